package contracts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseOpenAPI feeds arbitrary documents to the loader and lint: they
// never panic, and every failure is a located *LoadError. The seed corpus
// is every fixture under testdata/openapi and testdata/lint.
func FuzzParseOpenAPI(f *testing.F) {
	for _, pattern := range []string{"openapi/*.*", "openapi/multi/*.yaml", "lint/*.yaml"} {
		files, _ := filepath.Glob(filepath.Join("testdata", pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`swagger: 2.0`))
	f.Add([]byte(`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {}}`))
	f.Add([]byte("openapi: 3.0.0\npaths:\n  /a/{x}:\n    get:\n      parameters: [{$ref: '#/components/parameters/p'}]\n"))
	dir := f.TempDir() // relative $refs resolve here, to nothing
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseOpenAPI(ctx, filepath.Join(dir, "fuzz.yaml"), data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoadError", err, err)
			}
			if le.File == "" {
				t.Fatalf("error without a file: %v", err)
			}
			return
		}
		_ = c.Name()
		_ = c.BasePath()
		for _, p := range Lint(ctx, c) {
			if p.File == "" {
				t.Fatalf("problem without a file: %+v", p)
			}
		}
	})
}
