package graphql

import (
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Names reads the operation a GraphQL request runs without executing it:
// the name its journal entry takes (the operation's name, else its first
// root field) and its root fields, which a fault's or a gate's operation
// may name. body is the request's body, already read; a request that does
// not parse names nothing.
func Names(r *http.Request, body []byte) (journal string, fields []string) {
	p, err := readParams(r, body)
	if err != nil || p.Query == "" {
		return "", nil
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: p.Query})
	if perr != nil {
		return "", nil
	}
	op, err := pickOperation(doc, p.OperationName)
	if err != nil {
		return "", nil
	}
	for _, s := range op.SelectionSet {
		if f, ok := s.(*ast.Field); ok {
			fields = append(fields, f.Name)
		}
	}
	return operationName(op), fields
}
