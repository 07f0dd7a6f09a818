package contracts

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateSample rewrites the sample golden files: go test -run TestSampleGolden -update-sample.
// (A flag of its own: several files of this package keep golden files.)
var updateSample = flag.Bool("update-sample", false, "rewrite testdata/sample/*.golden")

// TestSampleGolden samples every component schema of the documents in
// testdata/sample, both directions, and compares with the golden files: the
// same seed gives the same bytes on every run and every machine, and a
// change to the generator shows up in review.
func TestSampleGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "sample", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no documents in testdata/sample: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			d, err := loadSampleDoc(t, file)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]any{}
			for _, name := range sortedSchemaNames(d.doc.Components.Schemas) {
				s := d.doc.Components.Schemas[name].Value
				for _, dir := range []Direction{Response, Request} {
					v := Sample(s, SampleOptions{Seed: 1, Direction: dir})
					if err := checkSample(s, v, sampleValidation(d.v31, dir, sampleTestFormats)); err != nil {
						t.Errorf("%s (%s): %v", name, dir, err)
					}
					out[name+" "+dir.String()] = v
				}
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *updateSample {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSampleGolden -update-sample)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("samples of %s differ from %s (rerun with -update-sample if intended):\n%s", file, golden, got)
			}
		})
	}
}
