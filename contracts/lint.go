package contracts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The rules Lint applies besides those of loading (RulePatternUnsupported,
// RuleYAMLTypedValue) and RuleExampleInvalid. Severities:
//
//   - error: what makes the contract wrong for every consumer and that a
//     mock or a client generator cannot paper over: an example that breaks
//     its own schema (it teaches clients wrong data; Spectral ranks it an
//     error too), a $ref that resolves to nothing (the document does not
//     load), two path templates a router cannot tell apart, an operationId
//     used twice (generated clients and the journal's operation filter
//     collide), a document that does not parse.
//   - warning: what firedrill tolerates and works around: a default that
//     breaks its schema (a valid value is generated instead), a pattern only
//     Go cannot compile (it is valid ECMA-262, just not enforced), an
//     unquoted YAML number where a string is meant (retyped), and every
//     finding of kin-openapi's strict validation (real vendor contracts
//     such as GitHub's, Stripe's and Adyen's fail it and still serve).
const (
	RuleRefUnresolved  = "ref-unresolved" // a $ref that resolves to nothing, or to a URL (error)
	RulePathAmbiguous  = "path-ambiguous" // two templates matching the same URLs for one method (error)
	RuleOperationIDDup = "operation-id-duplicate"
	RuleSyntax         = "syntax"  // the file is not valid YAML or JSON, or not an OpenAPI document (error)
	RuleLoad           = "load"    // the document does not load for another reason (error)
	RuleSpec           = "openapi" // a finding of strict OpenAPI validation (warning); the kin-openapi code follows a slash
)

// Lint returns every problem of a loaded contract, sorted by file and line:
// those loading recorded, invalid examples and defaults, ambiguous paths, duplicate
// operationIds and the findings of strict validation.
func Lint(ctx context.Context, c *OpenAPI) []Problem {
	if c == nil || c.Doc == nil {
		return nil
	}
	out := append([]Problem(nil), c.Problems...)
	values := append(c.lintExamples(ctx), c.lintDefaults(ctx)...)
	out = append(out, values...)
	out = append(out, c.lintPaths()...)
	out = append(out, c.lintOperationIDs()...)
	out = append(out, withoutRepeats(c.StrictProblems(ctx), values)...)
	return tidyProblems(out)
}

// withoutRepeats drops the strict findings the validator could not place
// (no pointer) that repeat a reason the located value rules already gave.
func withoutRepeats(strict, located []Problem) []Problem {
	reasons := map[string]bool{}
	for _, p := range located {
		if _, reason, ok := strings.Cut(p.Message, ": "); ok {
			reasons[reason] = true
		}
	}
	out := strict[:0]
	for _, p := range strict {
		if p.Pointer == "" && reasons[p.Message] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// LintFiles loads and lints each file: OpenAPI documents (YAML or JSON) and
// GraphQL SDL (.graphql, .graphqls, .gql). A document that does not parse
// or load is reported as error problems (every unresolved $ref, or the
// syntax error with its line), not as an error: the error return is for a
// file that cannot be read at all, or a cancelled ctx.
func LintFiles(ctx context.Context, paths ...string) ([]Problem, error) {
	var out []Problem
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("contracts: lint: %w", err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return out, fmt.Errorf("contracts: lint: %w", err)
		}
		if isGraphQLFile(p) {
			out = append(out, lintGraphQL(ctx, p)...)
			continue
		}
		c, src, err := parseOpenAPI(ctx, p, data)
		if err != nil {
			if ctx.Err() != nil {
				return out, fmt.Errorf("contracts: lint: %w", ctx.Err())
			}
			out = append(out, loadProblems(src, err)...)
			continue
		}
		out = append(out, Lint(ctx, c)...)
	}
	return tidyProblems(out), nil
}

func isGraphQLFile(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".graphql", ".graphqls", ".gql":
		return true
	}
	return false
}

func lintGraphQL(ctx context.Context, p string) []Problem {
	g, err := LoadGraphQL(ctx, p)
	if err == nil {
		return append([]Problem(nil), g.Problems...)
	}
	pr := Problem{Severity: SeverityError, Rule: RuleLoad, File: p, Message: err.Error()}
	var le *LoadError
	if errors.As(err, &le) && le.Err != nil {
		pr.File, pr.Line, pr.Column = le.File, le.Line, le.Column
		pr.Message = le.Err.Error()
		if strings.Contains(strings.ToLower(pr.Message), "syntax") || strings.Contains(pr.Message, "Unexpected") || strings.Contains(pr.Message, "Expected") {
			pr.Rule = RuleSyntax
		}
	}
	return []Problem{pr}
}

// loadProblems turns a failed load into error problems: every $ref that
// does not resolve when that is the cause, else the LoadError itself.
func loadProblems(src *sources, err error) []Problem {
	var le *LoadError
	if !errors.As(err, &le) {
		return []Problem{{Severity: SeverityError, Rule: RuleLoad, Message: err.Error()}}
	}
	if le.rule == RuleRefUnresolved && src != nil {
		var out []Problem
		for _, b := range src.brokenRefs() {
			out = append(out, Problem{
				Severity: SeverityError, Rule: RuleRefUnresolved,
				File: src.display(b.file), Line: b.line, Column: b.col, Pointer: b.pointer,
				Message: fmt.Sprintf("cannot resolve $ref %q: %v", b.ref, b.err),
			})
		}
		if len(out) > 0 {
			return out
		}
	}
	rule := le.rule
	if rule == "" {
		rule = RuleLoad
	}
	msg := "does not load"
	if le.Err != nil {
		msg = le.Err.Error()
	}
	return []Problem{{Severity: SeverityError, Rule: rule, File: le.File, Line: le.Line, Column: le.Column, Pointer: le.Pointer, Message: msg}}
}

// lintOperationIDs reports every operationId used by more than one operation.
func (c *OpenAPI) lintOperationIDs() []Problem {
	var out []Problem
	first := map[string]string{}
	for _, op := range c.operations() {
		id := op.op.OperationID
		if id == "" {
			continue
		}
		if prev, ok := first[id]; ok {
			out = append(out, c.problemAt(SeverityError, RuleOperationIDDup, op.pointer+"/operationId",
				fmt.Sprintf("operationId %q of %s %s is already used by %s", id, op.method, op.path, prev)))
			continue
		}
		first[id] = op.method + " " + op.path
	}
	return out
}

// operation is one operation of the document with where it is.
type operation struct {
	path, method, pointer string
	op                    *openapi3.Operation
}

// operations lists the operations under paths in document order.
func (c *OpenAPI) operations() []operation {
	var out []operation
	if c.Doc.Paths == nil {
		return nil
	}
	for _, p := range c.pathsInOrder() {
		item := c.Doc.Paths.Value(p)
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, m := range sortedNames(ops) {
			out = append(out, operation{path: p, method: m, pointer: Pointer("paths", p, strings.ToLower(m)), op: ops[m]})
		}
	}
	return out
}

// pathsInOrder lists path templates in the order of their lines in the
// source, falling back to sorted order for a document built in code.
func (c *OpenAPI) pathsInOrder() []string {
	keys := c.Doc.Paths.Keys()
	if c.src == nil {
		return keys
	}
	line := make(map[string]int, len(keys))
	for _, k := range keys {
		line[k] = c.src.locate(Pointer("paths", k)).line
	}
	sortStable(keys, func(a, b string) bool { return line[a] < line[b] })
	return keys
}
