package mocks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRecordsFile reads arbitrary bytes as a records file of each format
// (--seed COLLECTION=FILE and records: in a declaration read them): it
// never panics; what it reads is objects, each at a line of the file; what
// it refuses names the file, and a position inside it when it gives one.
func FuzzRecordsFile(f *testing.F) {
	f.Add([]byte(`[{"id": "acct_1"}, {"id": "acct_2", "tags": [1, 2]}]`))
	f.Add([]byte("{\"id\": 1}\n\n{\"id\": 2}\n"))
	f.Add([]byte("- id: 1\n  name: a\n- {id: 2}\n"))
	f.Add([]byte("[1, {\"id\": 1}]"))
	f.Add([]byte("{\"id\": 1}\nnull\n"))
	f.Add([]byte("- &a {id: 1}\n- *a\n- [x]\n"))
	f.Add([]byte("\xff\xfe[{}]"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 1 + bytes.Count(data, []byte("\n"))
		for _, ext := range RecordFormats {
			file := filepath.Join(dir, "records"+ext)
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
			recs, err := Records{File: file}.Load("")
			if err != nil {
				if !strings.Contains(err.Error(), file) {
					t.Errorf("%s: the error does not name the file: %v", ext, err)
				}
				var pe *PositionError
				if errors.As(err, &pe) && (pe.Line < 1 || pe.Line > lines) {
					t.Errorf("%s: error at line %d of a %d-line file: %v", ext, pe.Line, lines, err)
				}
				continue
			}
			for i, r := range recs {
				if r.Data == nil {
					t.Errorf("%s: record %d is no object", ext, i)
				}
				if r.File != file || r.Line < 1 || r.Line > lines {
					t.Errorf("%s: record %d at %s:%d of a %d-line file", ext, i, r.File, r.Line, lines)
				}
			}
		}
	})
}
