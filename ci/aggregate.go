package ci

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
)

// Aggregate groups the records of one side of a check before the join, for
// a side that holds many records per key (stock per warehouse bin against
// one inventory level per SKU). The side then offers one record per group:
// the group's key under KeyField, and each aggregate under its name. The
// join and the fields of that side read these records.
type Aggregate struct {
	// GroupBy is a CEL expression over a record: records with the same
	// value form one group. A record whose value is null or fails counts
	// as an error.
	GroupBy string `json:"group_by" yaml:"group_by"`
	// Values are the aggregates, by name: "sum(EXPR)", "min(EXPR)",
	// "max(EXPR)" over a CEL expression per record, or "count()" for the
	// group's records. Nulls are skipped; a sum of nothing is 0, a min or
	// max of nothing is null. Sums and bounds take numbers (min and max
	// also text); anything else is an error of that record.
	Values map[string]string `json:"values" yaml:"values"`
}

// KeyField is the name of the group's key in its record: GroupBy itself
// when it is a top-level field name (group_by: sku gives sku), else "key".
func (a Aggregate) KeyField() string {
	if g := strings.TrimSpace(a.GroupBy); identRE.MatchString(g) && !celKeywords[g] {
		return g
	}
	return "key"
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// The aggregate functions.
const (
	aggSum   = "sum"
	aggCount = "count"
	aggMin   = "min"
	aggMax   = "max"
)

// aggValue is one compiled aggregate.
type aggValue struct {
	name, fn string
	arg      *expr // nil for count
}

// aggregator is a compiled Aggregate.
type aggregator struct {
	by     *expr
	key    string
	values []aggValue // sorted by name
}

// CompileAggregate checks one aggregate ("sum(on_hand - reserved)")
// without running it. The error carries CEL's message, with columns of
// text.
func CompileAggregate(text string) error {
	_, err := compileAggValue("", text, "aggregate")
	return err
}

// CompileExpression checks a mapping expression (a join key, a field, a
// group key) without running it.
func CompileExpression(text string) error {
	_, err := compileExpr(text, "expression")
	return err
}

// compileAggregate compiles a; side names it in errors.
func compileAggregate(a Aggregate, where string) (*aggregator, error) {
	var errs []error
	g := &aggregator{key: a.KeyField()}
	var err error
	if g.by, err = compileExpr(a.GroupBy, where+" group_by"); err != nil {
		errs = append(errs, err)
	}
	if len(a.Values) == 0 {
		errs = append(errs, fmt.Errorf("%s: group_by needs at least one aggregate", where))
	}
	for name, text := range a.Values {
		if name == g.key {
			errs = append(errs, fmt.Errorf("%s aggregate %q: the group's key already has that name", where, name))
			continue
		}
		v, err := compileAggValue(name, text, fmt.Sprintf("%s aggregate %q", where, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.values = append(g.values, v)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(g.values, func(i, j int) bool { return g.values[i].name < g.values[j].name })
	return g, nil
}

// compileAggValue reads FN(EXPR) with CEL's parser, so that an aggregate
// of aggregates (sum(a) + sum(b)) is refused as such, and compiles EXPR
// with its columns where they are in text.
func compileAggValue(name, text, where string) (aggValue, error) {
	env, err := baseEnv()
	if err != nil {
		return aggValue{}, fmt.Errorf("ci: cel environment: %w", err)
	}
	parsed, iss := env.ParseSource(common.NewStringSource(text, where))
	if iss.Err() != nil {
		return aggValue{}, errors.New(strings.TrimSpace(iss.String()))
	}
	root := parsed.NativeRep().Expr()
	want := fmt.Errorf("%s: %q is not sum(EXPR), min(EXPR), max(EXPR) or count()", where, text)
	if root.Kind() != ast.CallKind || root.AsCall().IsMemberFunction() {
		return aggValue{}, want
	}
	call := root.AsCall()
	v := aggValue{name: name, fn: call.FunctionName()}
	switch {
	case v.fn == aggCount && len(call.Args()) == 0:
		return v, nil
	case (v.fn == aggSum || v.fn == aggMin || v.fn == aggMax) && len(call.Args()) == 1:
	default:
		return aggValue{}, want
	}
	open, end := strings.Index(text, "("), strings.LastIndex(text, ")")
	if v.arg, err = compileExpr(text[open+1:end], where); err != nil {
		// Again, padded, for the columns of the whole aggregate.
		_, err = compileCEL(strings.Repeat(" ", open+1)+text[open+1:end], where, false)
		return aggValue{}, err
	}
	return v, nil
}

// group is one group being aggregated.
type group struct {
	key   value
	first int // the ordinal of its first record
	rows  int
	vals  []value
	bad   []bool // an aggregate that met an error: null in the record
}

// groups are one worker's groups, by key text.
type groups map[string]*group

// add folds one record, of ordinal ord, into its group; a failure is
// returned as an example.
func (g *aggregator) add(gs groups, act *activation, ord int, side string) []Example {
	kv := g.by.eval(act)
	where := func() string { return fmt.Sprintf("%s record %d", side, ord+1) }
	switch kv.k {
	case kindError:
		return []Example{{Key: where(), Error: "group_by " + g.by.text + ": " + kv.s, ord: ord}}
	case kindNull:
		return []Example{{Key: where(), Error: "group_by " + g.by.text + " is null", ord: ord}}
	}
	kt := kv.keyText()
	gr := gs[kt]
	if gr == nil {
		gr = &group{key: kv, first: ord, vals: make([]value, len(g.values)), bad: make([]bool, len(g.values))}
		gs[kt] = gr
	}
	gr.first = min(gr.first, ord)
	gr.rows++
	var bad []Example
	for i, a := range g.values {
		if a.arg == nil {
			continue
		}
		v, err := fold(a.fn, gr.vals[i], a.arg.eval(act))
		if err != nil {
			gr.bad[i] = true
			bad = append(bad, Example{Key: where(), Error: fmt.Sprintf("%s aggregate %s (%s): %v", side, a.name, a.arg.text, err), ord: ord})
			continue
		}
		gr.vals[i] = v
	}
	return bad
}

// fold adds v to the aggregate acc of function fn.
func fold(fn string, acc, v value) (value, error) {
	switch {
	case v.k == kindError:
		return acc, errors.New(v.s)
	case v.k == kindNull:
		return acc, nil
	case fn == aggSum && !v.numeric():
		return acc, fmt.Errorf("sum of %s, not a number", v.json())
	case acc.k == kindNull:
		return v, nil
	case fn == aggSum:
		if acc.k == kindInt && v.k == kindInt {
			s := acc.int() + v.int()
			if (s > acc.int()) == (v.int() > 0) {
				return intValue(s), nil
			}
		}
		return doubleValue(acc.asFloat() + v.asFloat()), nil
	}
	less, ok := before(v, acc)
	if !ok {
		return acc, fmt.Errorf("%s of %s and %s, which do not compare", fn, acc.json(), v.json())
	}
	if less == (fn == aggMin) && !equalOrder(v, acc) {
		return v, nil
	}
	return acc, nil
}

// before reports whether a orders before b: numbers by value, text by
// bytes, instants by time.
func before(a, b value) (less, ok bool) {
	switch {
	case a.numeric() && b.numeric():
		return a.asFloat() < b.asFloat(), true
	case a.k == kindString && b.k == kindString:
		return a.s < b.s, true
	case a.k == kindTime && b.k == kindTime:
		return a.int() < b.int(), true
	}
	return false, false
}

func equalOrder(a, b value) bool {
	l1, _ := before(a, b)
	l2, _ := before(b, a)
	return !l1 && !l2
}

// merge folds another worker's group of the same key into gr.
func (g *aggregator) merge(gr, o *group) {
	gr.first = min(gr.first, o.first)
	gr.rows += o.rows
	for i, a := range g.values {
		gr.bad[i] = gr.bad[i] || o.bad[i]
		if a.arg != nil && !gr.bad[i] {
			gr.vals[i], _ = fold(a.fn, gr.vals[i], o.vals[i]) // both folded already: they compare
		}
	}
}

// record is the group as a record of the side.
func (g *aggregator) record(gr *group) map[string]any {
	rec := make(map[string]any, len(g.values)+1)
	rec[g.key] = gr.key.native()
	for i, a := range g.values {
		switch {
		case a.fn == aggCount:
			rec[a.name] = int64(gr.rows)
		case gr.bad[i]:
			rec[a.name] = nil
		case a.fn == aggSum && gr.vals[i].k == kindNull:
			rec[a.name] = int64(0)
		default:
			rec[a.name] = gr.vals[i].native()
		}
	}
	return rec
}

// aggregated is a side read and grouped: its records in the order of
// their groups' first records, and how many records each stands for.
type aggregated struct {
	records []map[string]any
	rows    []int
	read    int // the side's records
}

// run reads src and groups it, on the workers of w; failures are kept in
// res.Errors.
func (g *aggregator) run(ctx context.Context, w *workers, src Source, side string, limit int, res *Result) (*aggregated, error) {
	var mu sync.Mutex
	parts := make([]groups, w.n+1)
	for i := range parts {
		parts[i] = groups{}
	}
	var bad []Example
	n, err := each(ctx, w, src, func(i int, in batchIn) {
		act := &activation{}
		var b []Example
		for j, rec := range in.recs {
			act.rec = rec
			b = append(b, g.add(parts[i], act, in.seq*batchSize+j, side)...)
		}
		if len(b) > 0 {
			mu.Lock()
			bad = append(bad, b...)
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	all := parts[0]
	for _, p := range parts[1:] {
		for kt, o := range p {
			if gr := all[kt]; gr != nil {
				g.merge(gr, o)
			} else {
				all[kt] = o
			}
		}
	}
	list := make([]*group, 0, len(all))
	for _, gr := range all {
		list = append(list, gr)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].first < list[j].first })
	out := &aggregated{read: n, records: make([]map[string]any, len(list)), rows: make([]int, len(list))}
	for i, gr := range list {
		out.records[i], out.rows[i] = g.record(gr), gr.rows
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].ord < bad[j].ord })
	for _, e := range bad {
		keep(&res.Errors, limit, e)
	}
	return out, nil
}

// rowsByKey maps each group's join key, as key reads it from the group's
// record, to the records behind the group.
func (a *aggregated) rowsByKey(key *expr) map[string]int {
	m := make(map[string]int, len(a.records))
	act := &activation{}
	for i, rec := range a.records {
		act.rec = rec
		if kv := key.eval(act); kv.k != kindError && kv.k != kindNull {
			m[kv.keyText()] += a.rows[i]
		}
	}
	return m
}

// ExpressionFields returns the top-level fields of a record that text
// reads by name, sorted (not what it reads through record["..."]), so
// that a scenario can check them against the fields a grouped side has.
func ExpressionFields(text string) ([]string, error) {
	env, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("ci: cel environment: %w", err)
	}
	parsed, iss := env.Parse(strings.TrimSpace(text))
	if iss.Err() != nil {
		return nil, errors.New(strings.TrimSpace(iss.String()))
	}
	nav := ast.NavigateAST(parsed.NativeRep())
	local := map[string]bool{RecordVar: true}
	for _, c := range ast.MatchDescendants(nav, ast.KindMatcher(ast.ComprehensionKind)) {
		cp := c.AsComprehension()
		local[cp.IterVar()], local[cp.AccuVar()] = true, true
		if cp.HasIterVar2() {
			local[cp.IterVar2()] = true
		}
	}
	for _, c := range ast.MatchDescendants(nav, ast.KindMatcher(ast.CallKind)) {
		call := c.AsCall()
		if call.IsMemberFunction() && call.Target().Kind() == ast.IdentKind {
			if ns := call.Target().AsIdent(); env.HasFunction(ns + "." + call.FunctionName()) {
				local[ns] = true // a namespace: math.abs(x), strings.quote(s)
			}
		}
	}
	var names []string
	for _, id := range ast.MatchDescendants(nav, ast.KindMatcher(ast.IdentKind)) {
		if n := id.AsIdent(); !local[n] && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}
