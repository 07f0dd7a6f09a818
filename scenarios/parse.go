package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
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
	var parsed *Error
	switch {
	case s == nil:
		return nil, err
	case err == nil:
		if err := s.Validate(); err != nil {
			return s, err
		}
		return s, nil
	case !errors.As(err, &parsed):
		return nil, err
	}
	// The file decoded with problems: what decoded is validated too, so
	// that every problem is reported at once, leaving out those about a
	// field that did not decode (a bad duration read as none).
	var validated *Error
	if errors.As(s.Validate(), &validated) {
		for _, p := range validated.Problems {
			if !slices.ContainsFunc(parsed.Problems, func(q Problem) bool { return related(p.Path, q.Path) }) {
				parsed.Problems = append(parsed.Problems, p)
			}
		}
		sortProblems(parsed.Problems)
	}
	return s, parsed
}

// related reports whether two field paths name the same field, or one lies
// inside the other.
func related(a, b string) bool {
	inside := func(x, y string) bool {
		return strings.HasPrefix(x, y) && (len(x) == len(y) || x[len(y)] == '.' || x[len(y)] == '[')
	}
	return a == "" || b == "" || inside(a, b) || inside(b, a)
}

// sortProblems orders problems by where they are in the file.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}

// Parse reads a scenario strictly: unknown fields, wrong types and
// duplicate keys are problems. It does not check meaning; Validate does.
// file names the source in problems and anchors relative paths.
func Parse(file string, data []byte) (*Scenario, error) {
	ix := &posIndex{file: file, paths: map[string]pos{}}
	s := &Scenario{file: file, index: ix, digest: digest(data), contracts: newContractCache()}
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

// digest names bytes by their SHA-256, as "sha256:HEX".
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
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
