package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/ci"
)

// checkExpressions compiles every CEL expression of the consistency
// checks, as the run would after the attack: the join, the fields, a
// grouped side's group_by and aggregates. On a grouped side, the join and
// the fields must read what a group holds: its key and its aggregates.
func (v *validator) checkExpressions() {
	c := v.s.Gates.Consistency
	if c == nil {
		return
	}
	for i, chk := range c.Checks {
		path := fmt.Sprintf("gates.consistency.checks[%d]", i)
		for _, side := range []struct {
			name string
			col  Collection
			join string
		}{{"source", chk.Source, chk.Join.Source}, {"target", chk.Target, chk.Join.Target}} {
			groups := v.groupExpressions(path+"."+side.name, side.col)
			v.expression(path+".join."+side.name, side.join, groups)
			for _, name := range sortedKeys(chk.Fields) {
				f := chk.Fields[name]
				text := f.Source
				if side.name == "target" {
					text = f.Target
				}
				v.expression(path+".fields."+name+"."+side.name, text, groups)
			}
		}
	}
}

// groupExpressions compiles a side's group_by and aggregates, and returns
// the fields of its groups (nil when it is not grouped).
func (v *validator) groupExpressions(path string, c Collection) []string {
	if c.GroupBy == "" || len(c.Aggregate) == 0 {
		return nil // reported by collection when only one is set
	}
	v.expression(path+".group_by", c.GroupBy, nil)
	key := ci.Aggregate{GroupBy: c.GroupBy}.KeyField()
	fields := []string{key}
	for _, name := range sortedKeys(c.Aggregate) {
		if name == key {
			v.addf(path+".aggregate."+name, "give the aggregate another name", "%q is the group's key already (group_by %s)", name, c.GroupBy)
			continue
		}
		fields = append(fields, name)
		if err := ci.CompileAggregate(c.Aggregate[name]); err != nil {
			v.addf(path+".aggregate."+name, `sum(EXPR), min(EXPR), max(EXPR) or count(): "sum(math.greatest(0, on_hand - reserved))"`, "%s", celProblem(err, "aggregate"))
		}
	}
	return fields
}

// expression compiles one mapping expression; with groups, it must read
// only those fields.
func (v *validator) expression(path, text string, groups []string) {
	if strings.TrimSpace(text) == "" {
		return // reported where the field is required
	}
	if err := ci.CompileExpression(text); err != nil {
		v.addf(path, "a CEL expression over the record's fields: total_price, double(amount) / 100.0", "%s", celProblem(err, "expression"))
		return
	}
	if groups == nil {
		return
	}
	names, err := ci.ExpressionFields(text)
	if err != nil {
		return
	}
	for _, n := range names {
		if !slices.Contains(groups, n) {
			v.addf(path, "this side is grouped: its records are "+strings.Join(quoteAll(groups), ", "), "%s reads %q, which a group of this side does not have", text, n)
		}
	}
}

// celProblem is the first line of a compile error, without CEL's prefix
// and the name it gives the expression: "1:7: Syntax error: ...".
func celProblem(err error, where string) string {
	first, _, _ := strings.Cut(err.Error(), "\n")
	first = strings.TrimPrefix(first, "ERROR: ")
	first = strings.TrimPrefix(first, where+":")
	return strings.TrimPrefix(first, " ")
}
