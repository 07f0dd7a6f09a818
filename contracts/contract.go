package contracts

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/vektah/gqlparser/v2/ast"
)

// Severity ranks a Problem. Errors make `contract lint` exit 1; warnings do not.
type Severity string

// The severities a Problem can have.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with a contract, located as precisely as known.
type Problem struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`              // short stable name: example-invalid, ref-unresolved, pattern-unsupported, path-ambiguous...
	File     string   `json:"file"`              // the file that holds the problem
	Line     int      `json:"line,omitempty"`    // 1-based, 0 when unknown
	Column   int      `json:"column,omitempty"`  // 1-based, 0 when unknown
	Pointer  string   `json:"pointer,omitempty"` // JSON pointer into the document, e.g. /paths/~1orders/post
	Message  string   `json:"message"`
}

// String renders a problem the way compilers do: file:line:col: severity: message (pointer) [rule].
func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += fmt.Sprintf(":%d", p.Line)
		if p.Column > 0 {
			loc += fmt.Sprintf(":%d", p.Column)
		}
	}
	s := fmt.Sprintf("%s: %s: %s", loc, p.Severity, p.Message)
	if p.Pointer != "" {
		s += " (at " + p.Pointer + ")"
	}
	if p.Rule != "" {
		s += " [" + p.Rule + "]"
	}
	return s
}

// OpenAPI is a loaded OpenAPI contract: Swagger 2.0 converted to 3, or 3.0 and
// 3.1 as written, with every local $ref resolved.
type OpenAPI struct {
	Path     string      // the file it was loaded from
	Version  string      // the version the document declares: "2.0", "3.0.3", "3.1.0"
	Doc      *openapi3.T // the document, version 3 shape
	Problems []Problem   // what loading noticed but tolerated (warnings)

	src *sources // the source files, to locate pointers; nil for a document built in code
}

// GraphQL is a loaded GraphQL schema from one or several SDL files.
type GraphQL struct {
	Paths    []string
	Schema   *ast.Schema
	Problems []Problem // what the tolerant load repaired (duplicate fields, redeclared built-ins)
}
