package contracts

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestJSONTreeMatchesYAML checks the fast JSON tree against yaml.v3's on
// the same documents: same shape, values, lines and columns.
func TestJSONTreeMatchesYAML(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("testdata", "openapi", "*.json"))
	docs := [][]byte{[]byte(`{"a": [1, 2.5, true, null, "x\"y"], "b": {"c": {}}, "d": []}`)}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, data)
	}
	for i, data := range docs {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			continue // not JSON yaml.v3 reads: nothing to compare
		}
		got, err := jsonTree(data)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		compareNodes(t, "", got, doc.Content[0])
	}
	if _, err := jsonTree([]byte(`{"a": [1,}`)); err == nil {
		t.Error("invalid JSON gave a tree")
	}
}

func compareNodes(t *testing.T, at string, got, want *yaml.Node) {
	t.Helper()
	if got.Kind != want.Kind || got.Line != want.Line || got.Column != want.Column || (got.Kind == yaml.ScalarNode && got.Value != want.Value) {
		t.Fatalf("%s: node %v %d:%d %q, yaml.v3 says %v %d:%d %q", at, got.Kind, got.Line, got.Column, got.Value, want.Kind, want.Line, want.Column, want.Value)
	}
	if len(got.Content) != len(want.Content) {
		t.Fatalf("%s: %d children, yaml.v3 says %d", at, len(got.Content), len(want.Content))
	}
	for i := range got.Content {
		compareNodes(t, at+"/"+got.Content[i].Value, got.Content[i], want.Content[i])
	}
}
