package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadFile reads and parses the scenario file at path, then validates it.
// Every problem is reported at once in an *Error.
func ReadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	s, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s, nil
}

// Parse reads a scenario strictly: unknown fields, wrong types and
// duplicate keys are problems. It does not check meaning; Validate does.
// file names the source in problems and anchors relative paths.
func Parse(file string, data []byte) (*Scenario, error) {
	ix := &posIndex{file: file, paths: map[string]pos{}}
	s := &Scenario{file: file, index: ix}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []Problem{{File: file, Line: 1, Column: 1, Message: "the file is empty: a scenario needs at least name and systems"}}}
	} else if err != nil {
		return nil, &Error{Problems: []Problem{syntaxProblem(file, err)}}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Problems: []Problem{{File: file, Line: 1, Column: 1, Message: "the file is empty: a scenario needs at least name and systems"}}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Problems: []Problem{{File: file, Line: extra.Line, Column: extra.Column, Message: "a scenario file holds one YAML document; this is a second one"}}}
	}
	root := doc.Content[0]
	d := &decoder{ix: ix, budget: maxNodes}
	d.decode(root, reflect.ValueOf(s).Elem(), "")
	s.order = systemOrder(root)
	if len(d.problems) > 0 {
		return s, &Error{Problems: d.problems}
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem locates a YAML syntax error.
func syntaxProblem(file string, err error) Problem {
	p := Problem{File: file, Message: "not valid YAML: " + err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column = 1
		p.Message = "not valid YAML: " + m[2]
		if strings.HasPrefix(m[2], "did not find expected") {
			// yaml.v3 reports where the unclosed construct began,
			// counting lines from 0 in this message alone.
			p.Line++
			p.Message += " (the construct that is not closed starts here)"
		}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		p.Message = te.Errors[0]
	}
	return p
}

// systemOrder returns the keys of the top-level systems mapping in file order.
func systemOrder(root *yaml.Node) []string {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "systems" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		var names []string
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			names = append(names, m.Content[j].Value)
		}
		return names
	}
	return nil
}
