package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/mocks"
)

// ReadMockFile reads a mock declaration written in the very format of a
// scenario's `mock:` section (what `firedrill mock --config FILE` takes),
// strictly, and checks it as a scenario's mock is checked. Every problem is
// reported at once in an *Error, with its line and field. A contract: in the
// file, and the files of its records:, are resolved against the file's
// folder; contract, when not empty,
// stands in for it (the command line's argument). ${env:NAME} references
// are expanded by ExpandMock; a mock on its own has no other system to
// refer to.
func ReadMockFile(path, contract string) (*mocks.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	ix := &posIndex{file: path, paths: map[string]pos{}}
	problem := func(line, col int, msg string) error {
		return &Error{Problems: []Problem{{File: path, Line: line, Column: col, Message: msg}}}
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); errors.Is(err, io.EOF) || err == nil && len(doc.Content) == 0 {
		return nil, problem(1, 1, "the file is empty: a mock declaration needs at least its contract")
	} else if err != nil {
		return nil, &Error{Problems: []Problem{syntaxProblem(path, err)}}
	}
	spec := &mocks.Spec{}
	d := &decoder{ix: ix, budget: maxNodes}
	d.decode(doc.Content[0], reflect.ValueOf(spec).Elem(), "")
	if len(d.problems) > 0 {
		return nil, &Error{Problems: d.problems}
	}
	switch {
	case contract != "" && spec.Contract != "":
		at := ix.at("contract")
		return nil, problem(at.line, at.col, fmt.Sprintf("contract: the file names %q and the command line %q: give it once", spec.Contract, contract))
	case contract != "":
		spec.Contract = contract
	case spec.Contract == "":
		return nil, problem(1, 1, "contract: required (or give it on the command line)")
	default:
		if !filepath.IsAbs(spec.Contract) {
			spec.Contract = filepath.Join(filepath.Dir(path), spec.Contract)
		}
	}
	spec.Records = mocks.ResolveRecords(spec.Records, filepath.Dir(path))
	var problems []Problem
	for _, e := range spec.Check(mocks.KindOf(spec.Contract)) {
		at := ix.at(e.Field)
		problems = append(problems, Problem{File: path, Line: at.line, Column: at.col, Path: e.Field, Message: e.Message})
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return spec, nil
}

// ExpandMock resolves the ${env:NAME} references of a mock declaration read
// on its own (ReadMockFile, flags): its secrets and keys. getenv reads the
// environment (ok false when unset). Any other reference is an error: there
// is no other system.
func ExpandMock(spec mocks.Spec, getenv func(string) (string, bool)) (mocks.Spec, error) {
	r := &run{res: &Resolver{Getenv: getenv, Secrets: &Secrets{}}}
	return r.expandMock("", spec)
}
