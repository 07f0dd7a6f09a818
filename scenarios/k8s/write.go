package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Write prints objs as one YAML stream, each document after "---", in
// their order.
func Write(w io.Writer, objs []runtime.Object) error {
	bw := bufio.NewWriter(w)
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("k8s: object %d: %w", i, err)
		}
		bw.WriteString("---\n")
		bw.Write(data)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("k8s: write: %w", err)
	}
	return nil
}

// Scheme knows the kinds Objects makes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	// Adding two fixed groups to a new scheme cannot fail.
	_ = corev1.AddToScheme(s)
	_ = batchv1.AddToScheme(s)
	return s
}

// Decode reads a YAML stream of objects strictly, as the API server's
// strict field validation does: a field the kind does not have, or one
// given twice, is an error, as is a kind Scheme does not know.
func Decode(r io.Reader) ([]runtime.Object, error) {
	scheme := Scheme()
	ser := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var objs []runtime.Object
	var errs []error
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return objs, fmt.Errorf("k8s: document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := ser.Decode(doc, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("k8s: document %d: %w", i, err))
			continue
		}
		objs = append(objs, obj)
	}
	return objs, errors.Join(errs...)
}
