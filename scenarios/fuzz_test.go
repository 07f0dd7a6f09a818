package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser and validator: they must
// return a scenario or an *Error, never panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	files = append(files, filepath.Join("testdata", "good.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(filepath.Join("testdata", "fuzz.yaml"), data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse returned %T, want *Error: %v", err, err)
			}
		}
		if s == nil {
			return
		}
		// What decoded is validated even when the decoding had problems:
		// it must hold whatever shape a broken file leaves.
		if err := s.Validate(); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Validate returned %T, want *Error: %v", err, err)
			}
		}
	})
}
