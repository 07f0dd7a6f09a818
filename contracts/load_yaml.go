package contracts

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxRetypes bounds how many unquoted YAML scalars loading retypes one at a
// time before it gives up and reports the loader's error.
const maxRetypes = 32

// retyped is a YAML scalar loading quoted so that the loader accepts it.
type retyped struct {
	pointer, value string
}

var (
	// kin-openapi names the field in two shapes: 3.x `string field "version"
	// in /info`, 2.0 `field T.info.version of type string`.
	typeErrV3 = regexp.MustCompile(`cannot unmarshal !!(?:int|float|bool) into string field "([^"]+)"(?: in (/\S*))?`)
	typeErrV2 = regexp.MustCompile(`cannot unmarshal (?:number|bool) into field (\w+)\.([\w.]+) of type string`)
)

// typeErrorField reads a loader error that says a field was typed as a
// number or boolean where a string is required: the field's pointer when
// the error says where, else only its name.
func typeErrorField(err error) (pointer, name string) {
	msg := err.Error()
	if m := typeErrV3.FindStringSubmatch(msg); m != nil {
		return m[2] + "/" + escapeToken(m[1]), m[1]
	}
	if m := typeErrV2.FindStringSubmatch(msg); m != nil {
		path := strings.Split(m[2], ".")
		switch m[1] {
		case "T":
			return joinPointer(path), path[len(path)-1]
		case "Info":
			return joinPointer(append([]string{"info"}, path...)), path[len(path)-1]
		}
		return "", path[len(path)-1]
	}
	return "", ""
}

// typedScalar finds the plain scalar to quote: at pointer, or else the
// first non-string scalar under a key called name, in document order.
func typedScalar(top *yaml.Node, pointer, name string) (*yaml.Node, string) {
	if pointer != "" {
		n := top
		for _, tok := range splitPointer(pointer) {
			if _, n = nodeChild(n, tok); n == nil {
				return nil, ""
			}
		}
		return n, pointer
	}
	var found *yaml.Node
	var at string
	var visit func(n *yaml.Node, path []string)
	visit = func(n *yaml.Node, path []string) {
		for i := 0; found == nil && i < len(n.Content); i++ {
			child := n.Content[i]
			switch {
			case n.Kind == yaml.MappingNode && i%2 == 0:
				continue
			case n.Kind == yaml.MappingNode:
				key := n.Content[i-1].Value
				if key == name && child.Kind == yaml.ScalarNode && child.Style == 0 && child.Tag != "!!str" {
					found, at = child, joinPointer(append(path, key))
					return
				}
				visit(child, append(cloneTokens(path), key))
			case n.Kind == yaml.SequenceNode:
				visit(child, append(cloneTokens(path), fmt.Sprint(i)))
			}
		}
	}
	visit(top, nil)
	return found, at
}

// quoteScalar rewrites data with the plain scalar typedScalar finds quoted
// as a string (`version: 1.0` becomes `version: "1.0"`), or returns ok false.
// The rewritten bytes only feed the loader: problems are located in the
// original, whose structure, and so every pointer, is the same.
func quoteScalar(data []byte, pointer, name string) (out []byte, fix retyped, ok bool) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil, fix, false
	}
	n, at := typedScalar(doc.Content[0], pointer, name)
	if n == nil || n.Kind != yaml.ScalarNode || n.Style != 0 || n.Tag == "!!str" {
		return nil, fix, false
	}
	n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fix, false
	}
	return out, retyped{pointer: at, value: n.Value}, true
}

// retypedProblems reports each scalar loading had to quote.
func (c *OpenAPI) retypedProblems(fixes []retyped) []Problem {
	out := make([]Problem, 0, len(fixes))
	for _, f := range fixes {
		out = append(out, c.problemAt(SeverityWarning, RuleYAMLTypedValue, f.pointer,
			fmt.Sprintf("unquoted %s is read by YAML as a number or boolean but OpenAPI wants a string; taken as %q (quote it)", f.value, f.value)))
	}
	return out
}
