package contracts

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// The reference for prepare and the site listings: the three walks loading
// made before they were merged, each over kin-openapi's WalkSchemas, kept
// here as they were so that TestPrepareMatchesSeparateWalks holds the merged
// walk to everything they found.

func (c *OpenAPI) refRepairSchemas() []Problem {
	var out []Problem
	needItems := !c.Doc.IsOpenAPI31OrLater()
	_ = c.Doc.WalkSchemas(func(ptr string, sr *openapi3.SchemaRef) error {
		s := sr.Value
		if needItems && s.Items == nil && s.Type.Is(openapi3.TypeArray) {
			s.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
			out = append(out, c.problemAt(SeverityWarning, RuleArrayItemsMissing, ptr,
				"array schema has no items; any item is accepted"))
		}
		for _, key := range sortedNames(s.PatternProperties) {
			if _, err := regexp.Compile(goPattern(key)); err != nil {
				out = append(out, c.problemAt(SeverityWarning, RulePatternUnsupported, ptr+"/patternProperties/"+escapeToken(key),
					fmt.Sprintf("patternProperties key %q is not supported by Go's regexp (%v); the properties it names are not checked", key, regexpReason(err))))
				delete(s.PatternProperties, key)
			}
		}
		if s.Pattern == "" {
			return nil
		}
		if _, err := regexp.Compile(goPattern(s.Pattern)); err != nil {
			out = append(out, c.problemAt(SeverityWarning, RulePatternUnsupported, ptr+"/pattern",
				fmt.Sprintf("pattern %q is not supported by Go's regexp (%v); it is not enforced", s.Pattern, regexpReason(err))))
			s.Pattern = ""
		}
		return nil
	})
	return out
}

func (c *OpenAPI) refValueSites() []valueSite {
	sites := c.refExampleSites()
	_ = c.Doc.WalkSchemas(func(ptr string, sr *openapi3.SchemaRef) error {
		s := sr.Value
		for i := range s.Enum {
			sites = append(sites, valueSite{pointer: fmt.Sprintf("%s/enum/%d", ptr, i), schema: s, value: s.Enum[i],
				set: func(v any) { s.Enum[i] = v }, kind: siteEnum})
		}
		if s.Default != nil {
			sites = append(sites, valueSite{pointer: ptr + "/default", schema: s, value: s.Default,
				set: func(v any) { s.Default = v }, kind: siteDefault})
		}
		return nil
	})
	return sites
}

func (c *OpenAPI) refExampleSites() []valueSite {
	var sites []valueSite
	_ = c.Doc.WalkSchemas(func(ptr string, sr *openapi3.SchemaRef) error {
		s := sr.Value
		if s.Example != nil {
			sites = append(sites, valueSite{pointer: ptr + "/example", schema: s, value: s.Example,
				set: func(v any) { s.Example = v }, kind: siteSchema})
		}
		for i := range s.Examples {
			sites = append(sites, valueSite{pointer: fmt.Sprintf("%s/examples/%d", ptr, i), schema: s, value: s.Examples[i],
				set: func(v any) { s.Examples[i] = v }, kind: siteSchema})
		}
		return nil
	})
	return append(sites, c.bodySites()...)
}

func (c *OpenAPI) refRetypeYAMLScalars() []Problem {
	var out []Problem
	for _, site := range c.refValueSites() {
		if site.schema == nil || !site.schema.Type.Is(openapi3.TypeString) || site.schema.Type.Includes(openapi3.TypeNumber) ||
			site.schema.Type.Includes(openapi3.TypeInteger) || site.schema.Type.Includes(openapi3.TypeBoolean) {
			continue
		}
		switch site.value.(type) {
		case float64, float32, int, int64, uint64, bool:
		default:
			continue
		}
		pos := c.src.locate(site.pointer)
		if !pos.exact || pos.node == nil || pos.node.Kind != yaml.ScalarNode || pos.node.Style != 0 {
			continue
		}
		site.set(pos.node.Value)
		out = append(out, c.problemAt(SeverityWarning, RuleYAMLTypedValue, site.pointer,
			fmt.Sprintf("unquoted %s is read by YAML as a %s but the schema says string; taken as the string %q (quote it)",
				pos.node.Value, jsonType(site.value), pos.node.Value)))
	}
	return out
}

// prepareInputs are the documents the merged walk is checked on: the
// corpus of real contracts (Stripe's 4.2 MB YAML included) and the test
// documents written to exercise repairs and YAML retyping.
func prepareInputs(t *testing.T) []string {
	t.Helper()
	files := corpustest.Files(t, "openapi", "*")
	files = append(files, corpustest.Files(t, "openapi-heldout", "*")...)
	for _, dir := range []string{"openapi", "lint", "prepare"} {
		more, err := filepath.Glob(filepath.Join("testdata", dir, "*.*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	return files
}

// siteKey is what a site says: where, of which schema, which value, how
// it is checked.
type siteKey struct {
	Pointer string
	Schema  *openapi3.Schema
	Value   string
	Kind    siteKind
}

func siteKeys(t *testing.T, sites []valueSite) []siteKey {
	t.Helper()
	out := make([]siteKey, len(sites))
	for i, s := range sites {
		v, err := json.Marshal(s.value)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = siteKey{s.pointer, s.schema, string(v), s.kind}
	}
	return out
}

// TestPrepareMatchesSeparateWalks loads every document twice and prepares
// one copy with the merged walk, the other with the three separate walks
// loading used to make (repairs, then every value site for YAML retyping):
// the problems must be the same, and so must the documents served. Then the
// listings lint uses (every example, every default) must list the same
// sites, schemas and values in the same order as the old walks. A merged
// walk that skipped a schema, a repair or a site would fail here on the
// corpus.
func TestPrepareMatchesSeparateWalks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, f := range prepareInputs(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			merged, _, err1 := loadUnprepared(ctx, f, data, false)
			separate, _, err2 := loadUnprepared(ctx, f, data, false)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("loads disagree: %v / %v", err1, err2)
			}
			if err1 != nil {
				return // a test document that is meant not to load
			}
			merged.Problems = tidyProblems(append(merged.Problems, merged.prepare(isYAML(data))...))
			separate.Problems = append(separate.Problems, separate.refRepairSchemas()...)
			if isYAML(data) {
				separate.Problems = append(separate.Problems, separate.refRetypeYAMLScalars()...)
			}
			separate.Problems = tidyProblems(separate.Problems)
			if !slices.Equal(merged.Problems, separate.Problems) {
				t.Errorf("problems differ:\nmerged   %v\nseparate %v", merged.Problems, separate.Problems)
			}
			a, err1 := json.Marshal(merged.Doc)
			b, err2 := json.Marshal(separate.Doc)
			if err1 != nil || err2 != nil {
				t.Fatalf("marshal: %v / %v", err1, err2)
			}
			if string(a) != string(b) {
				t.Errorf("the prepared documents differ (%d and %d bytes of JSON)", len(a), len(b))
			}
			if got, want := siteKeys(t, merged.exampleSites()), siteKeys(t, merged.refExampleSites()); !slices.Equal(got, want) {
				t.Errorf("example sites differ: %d listed, %d by the old walk", len(got), len(want))
			}
			var defaults []valueSite
			for _, s := range merged.refValueSites() {
				if s.kind == siteDefault {
					defaults = append(defaults, s)
				}
			}
			var got []valueSite
			walkSchemas(merged.Doc, func(w *schemaWalk, s *openapi3.Schema) { got = schemaSites(got, w, s, withDefaults, false) })
			if g, w := siteKeys(t, got), siteKeys(t, defaults); !slices.Equal(g, w) {
				t.Errorf("default sites differ: %d listed, %d by the old walk", len(g), len(w))
			}
			t.Logf("%d problems, %d example sites, %d defaults", len(merged.Problems), len(merged.exampleSites()), len(got))
		})
	}
}
