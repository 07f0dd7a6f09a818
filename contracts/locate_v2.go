package contracts

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxContractFile bounds a file read to locate a problem: contracts are
// megabytes, not gigabytes.
const maxContractFile = 256 << 20

func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxContractFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxContractFile {
		return nil, fmt.Errorf("contracts: %s is larger than %d bytes", name, maxContractFile)
	}
	return data, nil
}

// toV2 maps the tokens of a pointer into the converted (version 3) document
// back to where Swagger 2.0 wrote the same element.
func (s *sources) toV2(t []string) []string {
	if len(t) == 0 {
		return t
	}
	switch t[0] {
	case "servers":
		return []string{"host"}
	case "components":
		if len(t) < 3 {
			return []string{"definitions"}
		}
		rest := t[3:]
		switch t[1] {
		case "schemas":
			return append([]string{"definitions", t[2]}, rest...)
		case "parameters":
			return append([]string{"parameters", t[2]}, v2DropSchema(rest)...)
		case "requestBodies":
			return append([]string{"parameters", t[2]}, v2Body(rest)...)
		case "responses":
			return append([]string{"responses", t[2]}, v2Response(rest)...)
		case "securitySchemes":
			return append([]string{"securityDefinitions", t[2]}, rest...)
		}
		return t
	case "paths":
		return s.v2Path(t)
	}
	return t
}

func (s *sources) v2Path(t []string) []string {
	if len(t) < 4 {
		return t
	}
	if t[2] == "parameters" {
		return append(s.v2Param(t[:2], t[1], "", t[3]), v2DropSchema(t[4:])...)
	}
	op := t[:3]
	switch t[3] {
	case "requestBody":
		return s.v2RequestBody(op, t[4:])
	case "parameters":
		if len(t) < 5 {
			return t
		}
		return append(s.v2Param(op, t[1], t[2], t[4]), v2DropSchema(t[5:])...)
	case "responses":
		if len(t) < 5 {
			return t
		}
		return append(cloneTokens(t[:5]), v2Response(t[5:])...)
	}
	return t
}

// v2RequestBody maps what follows an operation's requestBody to its body
// parameter, or for a form (content/MT/schema/properties/NAME/...) to the
// formData parameter called NAME.
func (s *sources) v2RequestBody(op, rest []string) []string {
	params := nodeItems(s.find(s.root, append(cloneTokens(op), "parameters")))
	for i, p := range params {
		if s.field(p, "in") == "body" {
			return append(append(cloneTokens(op), "parameters", strconv.Itoa(i)), v2Body(rest)...)
		}
	}
	if len(rest) >= 5 && rest[0] == "content" && rest[2] == "schema" && rest[3] == "properties" {
		for i, p := range params {
			if s.field(p, "in") == "formData" && s.field(p, "name") == rest[4] {
				return append(append(cloneTokens(op), "parameters", strconv.Itoa(i)), rest[5:]...)
			}
		}
	}
	return op
}

// v2Param finds where the converted document's parameter idx of operation
// (pathKey, method) was written: among the operation's parameters or the
// path's, matched by name and location.
func (s *sources) v2Param(prefix []string, pathKey, method, idx string) []string {
	fallback := append(cloneTokens(prefix), "parameters", idx)
	i, err := strconv.Atoi(idx)
	if err != nil || s.doc == nil || s.doc.Paths == nil {
		return fallback
	}
	item := s.doc.Paths.Value(pathKey)
	if item == nil {
		return fallback
	}
	params := item.Parameters
	if method != "" {
		op := item.GetOperation(strings.ToUpper(method))
		if op == nil {
			return fallback
		}
		params = op.Parameters
	}
	if i >= len(params) || params[i] == nil || params[i].Value == nil {
		return fallback
	}
	name, in := params[i].Value.Name, params[i].Value.In
	for _, scope := range [][]string{prefix, {"paths", pathKey}} {
		list := s.find(s.root, append(cloneTokens(scope), "parameters"))
		for j, p := range nodeItems(list) {
			if s.field(p, "name") == name && s.field(p, "in") == in {
				return append(cloneTokens(scope), "parameters", strconv.Itoa(j))
			}
		}
	}
	return fallback
}

// field reads a scalar field of a mapping node, through one $ref.
func (s *sources) field(n *yaml.Node, name string) string {
	if n == nil {
		return ""
	}
	if ref := nodeRef(n); ref != "" {
		if f, frag, ok := s.target(s.root, ref); ok {
			if tn := s.find(f, frag); tn != nil {
				n = tn
			}
		}
	}
	if _, v := nodeChild(n, name); v != nil {
		return v.Value
	}
	return ""
}

func nodeItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// v2Body maps what follows requestBody (content/MT/schema/...) to what
// follows a body parameter (schema/...).
func v2Body(rest []string) []string {
	if len(rest) >= 3 && rest[0] == "content" {
		return rest[2:]
	}
	return nil
}

// v2Response maps what follows a response: content/MT/schema/... becomes
// schema/..., content/MT/example(s) becomes examples/MT, and header schemas
// lose their schema level.
func v2Response(rest []string) []string {
	if len(rest) >= 3 && rest[0] == "content" {
		switch rest[2] {
		case "schema":
			return rest[2:]
		case "example", "examples":
			return []string{"examples", rest[1]}
		}
		return nil
	}
	if len(rest) >= 2 && rest[0] == "headers" {
		return append([]string{"headers", rest[1]}, v2DropSchema(rest[2:])...)
	}
	return rest
}

func v2DropSchema(rest []string) []string {
	if len(rest) > 0 && rest[0] == "schema" {
		return rest[1:]
	}
	return rest
}

func cloneTokens(t []string) []string { return append([]string(nil), t...) }
