package ci

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
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

// pathRE matches a plain field reference (amount, customer.email,
// items[0].sku): evaluated by map and list lookups, without the
// interpreter.
var pathRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,9}\])*$`)

// stepRE splits a path into its steps.
var stepRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\]`)

var celKeywords = map[string]bool{"true": true, "false": true, "null": true, "in": true, RecordVar: true}

// expr is one compiled mapping expression: a field path or a CEL program,
// compiled once and evaluated per record.
type expr struct {
	text string
	path []step      // the fast path, when text is a plain reference
	prog cel.Program // the expression; for a path, what reads the records the fast path leaves to CEL
	// native is the fast path of a common expression over a path
	// (double(total), email.lowerAscii(), amount / 100.0): it answers
	// what CEL answers where it can, and leaves the rest to prog.
	native *native
}

// step is one step of a path: a map key, or a list index when key is "".
type step struct {
	key   string
	index int
}

// parsePath splits a plain reference into its steps.
func parsePath(text string) []step {
	var p []step
	for _, s := range stepRE.FindAllString(text, -1) {
		if s[0] == '[' {
			i, _ := strconv.Atoi(s[1 : len(s)-1])
			p = append(p, step{index: i})
			continue
		}
		p = append(p, step{key: s})
	}
	return p
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
// (check "x" field "total" source). A plain reference is read by lookups
// (the fast path) and also compiled, for the records whose shape the fast
// path leaves to CEL; viaCEL compiles it as any expression, which tests use
// to hold the fast path to CEL's answers.
func compileExpr(text, where string, viaCEL ...bool) (*expr, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("%s: empty expression", where)
	}
	if (len(viaCEL) == 0 || !viaCEL[0]) && pathRE.MatchString(text) && !celKeywords[stepRE.FindString(text)] {
		e := &expr{text: text, path: parsePath(text)}
		if c, err := compileCEL(text, where, false); err == nil {
			e.prog = c.prog
		}
		return e, nil
	}
	return compileCEL(text, where, len(viaCEL) == 0 || !viaCEL[0])
}

// compileCEL compiles text as a CEL program, with its native fast path
// when it has one and shortcuts is set.
func compileCEL(text, where string, shortcuts bool) (*expr, error) {
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
	e := &expr{text: text, prog: prog}
	if shortcuts {
		e.native = nativeOf(checked.NativeRep().Expr())
	}
	return e, nil
}

// activation presents a record to a program without copying it, and
// holds where the native forms write the text they compute (nil: they
// allocate it).
type activation struct {
	rec  map[string]any
	text *scratch
}

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

// celEval serializes CEL evaluations. cel-go (v0.33) answers a call with
// no matching overload (double() of a string, a sum of a number and a
// text) with one shared error value and labels it with the node that
// failed by writing into it: two evaluations that fail so at once race
// (the race detector caught it with the checks mapping records in
// parallel). Plain paths and the common expressions run natively, outside
// this lock; only what needs the interpreter waits its turn.
var celEval sync.Mutex

// eval maps one record.
func (e *expr) eval(act *activation) value {
	if e.path != nil {
		v, ok := e.lookup(act.rec)
		switch {
		case ok:
			return v
		case e.prog == nil: // a path CEL does not compile (a reserved word): lookups only
			return e.loose(act.rec)
		}
	} else if e.native != nil {
		if v, ok := e.native.eval(act.rec, act.text); ok {
			return v
		}
	}
	celEval.Lock()
	out, _, err := e.prog.Eval(act)
	celEval.Unlock()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return nullValue()
		}
		return errorValue(err)
	}
	return fromCEL(out)
}

// lookup reads a path by map and list lookups, and reports false for the
// records it leaves to CEL, whose answer it would otherwise have to
// imitate: a step through something that is not a JSON object or array, an
// index out of range, a missing key before the last step, a value that is
// not a JSON scalar. A missing last key reads as null, as in CEL.
func (e *expr) lookup(rec map[string]any) (value, bool) { return lookupPath(e.path, rec) }

func lookupPath(path []step, rec map[string]any) (value, bool) {
	var cur any = rec
	for i, s := range path {
		if s.key == "" {
			l, ok := cur.([]any)
			if !ok || s.index >= len(l) {
				return value{}, false
			}
			cur = l[s.index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return value{}, false
		}
		v, found := m[s.key]
		if !found {
			if i == len(path)-1 {
				return nullValue(), true
			}
			return value{}, false
		}
		cur = v
	}
	switch v := cur.(type) {
	case nil:
		return nullValue(), true
	case string:
		return stringValue(v), true
	case float64:
		return doubleValue(v), true
	case bool:
		return boolValue(v), true
	case int:
		return intValue(int64(v)), true
	case int64:
		return intValue(v), true
	}
	return value{}, false
}

// loose reads a path CEL cannot compile: null wherever a step finds no
// object or array to take it.
func (e *expr) loose(rec map[string]any) value {
	var cur any = rec
	for _, s := range e.path {
		switch c := cur.(type) {
		case map[string]any:
			if s.key == "" {
				return nullValue()
			}
			cur = c[s.key]
		case []any:
			if s.key != "" || s.index >= len(c) {
				return nullValue()
			}
			cur = c[s.index]
		default:
			return nullValue()
		}
	}
	return fromGo(cur)
}
