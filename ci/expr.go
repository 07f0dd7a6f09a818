package ci

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// RecordVar names the whole record in an expression, for keys that are not
// identifiers: record["total-price"].
const RecordVar = "record"

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// pathRE matches a plain field reference (customer.email): evaluated by map
// lookups, without the interpreter.
var pathRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

var celKeywords = map[string]bool{"true": true, "false": true, "null": true, "in": true, RecordVar: true}

// expr is one compiled mapping expression: a field path or a CEL program,
// compiled once and evaluated per record.
type expr struct {
	text string
	path []string    // the fast path, when text is a plain reference
	prog cel.Program // otherwise
}

// baseEnv is the CEL environment every expression starts from: the standard
// library, the strings extension (lowerAscii, trim, split...) and the math
// extension, with the record as a map.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		ext.Strings(),
		ext.Math(),
		ext.Encoders(),
		cel.CrossTypeNumericComparisons(true),
		cel.Variable(RecordVar, cel.MapType(cel.StringType, cel.DynType)),
	)
})

// compileExpr compiles text; where names the expression in errors
// (check "x" field "total" source).
func compileExpr(text, where string) (*expr, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("%s: empty expression", where)
	}
	if pathRE.MatchString(text) && !celKeywords[strings.SplitN(text, ".", 2)[0]] {
		return &expr{text: text, path: strings.Split(text, ".")}, nil
	}
	env, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("ci: cel environment: %w", err)
	}
	src := common.NewStringSource(text, where)
	parsed, iss := env.ParseSource(src)
	if iss.Err() != nil {
		return nil, errors.New(strings.TrimSpace(iss.String()))
	}
	// Every free identifier is a top-level field of the record.
	var vars []cel.EnvOption
	seen := map[string]bool{RecordVar: true}
	for _, id := range ast.MatchDescendants(ast.NavigateAST(parsed.NativeRep()), ast.KindMatcher(ast.IdentKind)) {
		name := id.AsIdent()
		if !seen[name] {
			seen[name] = true
			vars = append(vars, cel.Variable(name, cel.DynType))
		}
	}
	if len(vars) > 0 {
		if env, err = env.Extend(vars...); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		return nil, errors.New(strings.TrimSpace(iss.String()))
	}
	prog, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return &expr{text: text, prog: prog}, nil
}

// activation presents a record to a program without copying it.
type activation struct{ rec map[string]any }

func (a *activation) ResolveName(name string) (any, bool) {
	if name == RecordVar {
		return a.rec, true
	}
	v, ok := a.rec[name]
	if !ok {
		return nil, true // a missing field reads as null
	}
	return v, true
}

func (a *activation) Parent() interpreter.Activation { return nil }

// eval maps one record.
func (e *expr) eval(act *activation) value {
	if e.path != nil {
		var cur any = act.rec
		for _, p := range e.path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nullValue()
			}
			cur = m[p]
		}
		return fromGo(cur)
	}
	out, _, err := e.prog.Eval(act)
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return nullValue()
		}
		return errorValue(err)
	}
	return fromCEL(out)
}
