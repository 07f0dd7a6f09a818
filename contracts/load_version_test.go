package contracts

import (
	"context"
	"testing"
)

// versionDocs are document heads quickVersion may or may not read; for
// each, whether it reads the version without sniffVersion.
var versionDocs = []struct {
	doc   string
	quick bool
}{
	{"openapi: 3.0.3\ninfo: {}\n", true},
	{"info: {}\nopenapi: '3.1.0'\n", true},
	{"info: {}\r\nopenapi: \"3.0.0\"\r\npaths: {}\r\n", true},
	{"swagger: \"2.0\"\n", true},
	{"swagger: 2.0 # unquoted: a float\n", true},
	{"swagger: 2.00\n", true},
	{"openapi: 3.0\n", true},
	{"openapi: 3.10\n", true},
	{"openapi: 3\n", true},
	{"# comment\n---\nopenapi: 3.0.3\n", true},
	{"openapi: 3.0#1\n", false},      // a # in the value, not a comment
	{"openapi: 3.0\n\n  1\n", false}, // a plain scalar folded over lines
	{"openapi: 3.0.1\n\ninfo: {}\n", true},
	{"openapi: 03\n", false},        // an octal to some YAML readers
	{"openapi: 4.0.0\n", false},     // refused: sniffVersion says why
	{"swagger: '3.0'\n", false},     // refused
	{"openapi:\n  3.0.3\n", false},  // the value on the next line
	{"openapi: &v 3.0.3\n", false},  // an anchor
	{"openapi: !!str 3.0\n", false}, // a tag
	{"openapi: 'it''s'\n", false},   // an escaped quote
	{"\"openapi\": 3.0.3\n", false}, // a quoted key
	{"{openapi: 3.0.3}\n", false},   // a flow mapping
	{"openapi: 3.0.3\nopenapi: 3.1.0\n", false},
	{"openapi: 3.0.3\nswagger: '2.0'\n", false},
	{"  openapi: 3.0.3\n", false},       // not top level
	{"{\"openapi\": \"3.0.3\"}", false}, // JSON
	{"openapi: 99999999999999999999\n", false},
}

// TestQuickVersion: quickVersion reads plainly written versions, reads them
// as sniffVersion does, and declines everything else.
func TestQuickVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range versionDocs {
		v, _, ok := quickVersion([]byte(tc.doc))
		if ok != tc.quick {
			t.Errorf("%q: quick read %v, want %v", tc.doc, ok, tc.quick)
			continue
		}
		if !ok {
			continue
		}
		want, err := sniffVersion("doc.yaml", []byte(tc.doc))
		if err != nil || v != want {
			t.Errorf("%q: quick read %q, sniffVersion %q (%v)", tc.doc, v, want, err)
		}
	}
}

// FuzzQuickVersion: whatever the document, a version quickVersion reads is
// the one sniffVersion reads, or sniffVersion refuses the document.
func FuzzQuickVersion(f *testing.F) {
	for _, tc := range versionDocs {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _, ok := quickVersion(data)
		if !ok {
			return
		}
		if want, err := sniffVersion("doc.yaml", data); err == nil && v != want {
			t.Errorf("quick read %q, sniffVersion %q", v, want)
		}
	})
}

// TestQuickVersionMisread: a line that looks like the version but lies in a
// multi-line string, while the real field is written with a quoted key.
// The loader finds no such version in the document, so it is read in full
// and loaded as what it is.
func TestQuickVersionMisread(t *testing.T) {
	t.Parallel()
	doc := "\"swagger\": \"2.0\"\ninfo:\n  title: \"multi\nopenapi: 3.0.0\n\"\n  version: '1'\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
	if v, _, ok := quickVersion([]byte(doc)); !ok || v != "3.0.0" {
		t.Fatalf("the quick read is meant to be fooled here: %q %v", v, ok)
	}
	c, err := ParseOpenAPI(context.Background(), "doc.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "2.0" || c.Doc.Paths.Value("/a") == nil {
		t.Errorf("loaded as %q with paths %v, want the Swagger 2.0 document it is", c.Version, c.Doc.Paths.InMatchingOrder())
	}
}
