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
// not parse, or holds over DefaultMaxTokens tokens, names nothing.
func Names(r *http.Request, body []byte) (journal string, fields []string) {
	return names(r, body, DefaultMaxTokens)
}

// Names is the package's Names within the mock's token limit.
func (m *Mock) Names(r *http.Request, body []byte) (journal string, fields []string) {
	return names(r, body, m.opts.limits.MaxTokens)
}

func names(r *http.Request, body []byte, maxTokens int) (journal string, fields []string) {
	p, err := readParams(r, body)
	if err != nil || p.Query == "" {
		return "", nil
	}
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, maxTokens)
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
