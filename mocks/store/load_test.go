package store_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// docCache holds loaded documents by path, each loaded once even when
// parallel tests ask at the same time: Infer and the store only read them.
var docCache sync.Map // path → *cachedDoc

type cachedDoc struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

// loadDoc loads a document once per test binary; see readDoc.
func loadDoc(tb testing.TB, path string) *openapi3.T {
	tb.Helper()
	v, _ := docCache.LoadOrStore(path, &cachedDoc{})
	cd := v.(*cachedDoc)
	cd.once.Do(func() { cd.doc, cd.err = readDoc(path) })
	if cd.err != nil {
		tb.Fatal(cd.err)
	}
	return cd.doc
}

// readDoc loads an OpenAPI 2.0 or 3.x document, JSON or YAML, the way the
// mocks do: Swagger 2.0 is converted to version 3.
func readDoc(path string) (*openapi3.T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Swagger string `json:"swagger" yaml:"swagger"`
	}
	if strings.HasSuffix(path, ".json") {
		_ = json.Unmarshal(data, &probe)
	} else {
		_ = yaml.Unmarshal(data, &probe)
	}
	if probe.Swagger == "" {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = true
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return doc, nil
	}
	if !strings.HasSuffix(path, ".json") {
		var tree any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if data, err = json.Marshal(tree); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	var v2 openapi2.T
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	doc, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("%s: convert: %w", path, err)
	}
	return doc, nil
}
