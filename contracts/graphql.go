package contracts

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Rules of the problems the tolerant GraphQL load reports. Each is a repair:
// the schema still loads, and the problem says what was changed and where.
const (
	RuleGraphQLDuplicateField     = "graphql-duplicate-field"      // a field, input field or argument defined twice: the first kept
	RuleGraphQLDuplicateEnumValue = "graphql-duplicate-enum-value" // an enum value defined twice: the first kept
	RuleGraphQLBuiltinRedeclared  = "graphql-builtin-redeclared"   // a built-in type (Int, __Schema...) declared again: the built-in kept
	RuleGraphQLDirectiveUndefined = "graphql-directive-undeclared" // a directive used but never declared: declared for it
)

// LoadGraphQL reads one or several SDL files and loads them as one schema,
// tolerantly (see ParseGraphQL). A file that cannot be read or a schema that
// cannot be repaired is an error naming the file, line and column.
func LoadGraphQL(ctx context.Context, paths ...string) (*GraphQL, error) {
	if len(paths) == 0 {
		return nil, errors.New("contracts: load graphql: no file given")
	}
	srcs := make([]*ast.Source, 0, len(paths))
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("contracts: load graphql: %w", err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("contracts: load graphql: %w", err)
		}
		srcs = append(srcs, &ast.Source{Name: p, Input: string(b)})
	}
	return loadGraphQL(ctx, srcs)
}

// ParseGraphQL loads one SDL document held in memory; name is the file name
// used in problems and errors.
//
// The load is tolerant of what real servers publish: a field defined twice on
// one type keeps the first definition; a built-in type declared again (scalar
// Int, type __Schema...) keeps the built-in; a directive used but never
// declared is declared (repeatable, on every location, with the arguments its
// uses show). Each repair is a warning in GraphQL.Problems with its file and
// line. What cannot be repaired (syntax errors, unknown types, a type declared
// twice) is a *LoadError naming the file, line and column.
func ParseGraphQL(ctx context.Context, name string, src []byte) (*GraphQL, error) {
	return loadGraphQL(ctx, []*ast.Source{{Name: name, Input: string(src)}})
}

func loadGraphQL(ctx context.Context, srcs []*ast.Source) (*GraphQL, error) {
	doc := &ast.SchemaDocument{}
	g := &GraphQL{}
	for _, src := range srcs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("contracts: load graphql: %w", err)
		}
		d, err := parser.ParseSchema(src)
		if err != nil {
			return nil, graphqlLoadError(src.Name, err)
		}
		doc.Merge(d)
		g.Paths = append(g.Paths, src.Name)
	}
	r := &repairer{}
	r.repair(doc)
	full := validator.PreludeDocument()
	full.Merge(doc)
	schema, err := validator.ValidateSchemaDocument(full)
	if err != nil {
		return nil, graphqlLoadError(srcs[0].Name, err)
	}
	if schema.Query == nil {
		return nil, &LoadError{File: srcs[0].Name, Err: errors.New("the schema has no Query type")}
	}
	g.Schema = schema
	g.Problems = r.problems
	return g, nil
}

// GraphQLLoadError is the LoadError of a GraphQL schema; kept as an alias
// for callers written before the two were one type.
//
// Deprecated: use LoadError.
type GraphQLLoadError = LoadError

// graphqlLoadError locates a gqlparser error: the file it names (or file when
// it names none), its first line and column, and its bare message.
func graphqlLoadError(file string, err error) error {
	var ge *gqlerror.Error
	if !errors.As(err, &ge) {
		return &LoadError{File: file, Err: err}
	}
	le := &LoadError{File: file, Err: errors.New(ge.Message)}
	if f, ok := ge.Extensions["file"].(string); ok && f != "" {
		le.File = f
	}
	if len(ge.Locations) > 0 && ge.Locations[0].Line > 0 {
		le.Line, le.Column = ge.Locations[0].Line, ge.Locations[0].Column
	}
	return le
}
