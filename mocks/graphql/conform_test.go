package graphql_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// conforms checks that data is a valid answer to the query: every selected
// key present and no other, every value of its field's type (non-null
// respected, Int within 32 bits, enums among their values, objects of a
// possible type). It returns one error listing every violation.
func conforms(s *ast.Schema, query string, data map[string]any) error {
	doc, errs := gqlparser.LoadQueryWithRules(s, query, nil)
	if len(errs) > 0 {
		return fmt.Errorf("query does not validate: %v", errs)
	}
	c := &conformer{s: s, doc: doc}
	op := doc.Operations[0]
	root := s.Query
	if op.Operation == ast.Mutation {
		root = s.Mutation
	}
	c.object(root, op.SelectionSet, data, "data")
	return errors.Join(c.errs...)
}

type conformer struct {
	s    *ast.Schema
	doc  *ast.QueryDocument
	errs []error
}

func (c *conformer) bad(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// fields collects the fields of sel that apply to typ by response key
// (no @skip/@include in the queries checked).
func (c *conformer) fields(typ *ast.Definition, sel ast.SelectionSet, out map[string]*ast.Field, order *[]string) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if _, ok := out[key]; !ok {
				*order = append(*order, key)
				out[key] = s
			}
		case *ast.InlineFragment:
			if c.applies(typ, s.TypeCondition) {
				c.fields(typ, s.SelectionSet, out, order)
			}
		case *ast.FragmentSpread:
			if f := c.doc.Fragments.ForName(s.Name); f != nil && c.applies(typ, f.TypeCondition) {
				c.fields(typ, f.SelectionSet, out, order)
			}
		}
	}
}

func (c *conformer) applies(typ *ast.Definition, cond string) bool {
	if cond == "" || cond == typ.Name {
		return true
	}
	for _, p := range c.s.GetPossibleTypes(c.s.Types[cond]) {
		if p == typ {
			return true
		}
	}
	return false
}

func (c *conformer) object(typ *ast.Definition, sel ast.SelectionSet, v any, path string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(path, "want an object, got %T", v)
		return
	}
	if typ.IsAbstractType() {
		tn, _ := m["__typename"].(string)
		concrete := c.s.Types[tn]
		if concrete == nil || !c.applies(concrete, typ.Name) {
			c.bad(path, "__typename %q is not a possible type of %s", tn, typ.Name)
			return
		}
		typ = concrete
	}
	fields := map[string]*ast.Field{}
	var order []string
	c.fields(typ, sel, fields, &order)
	if len(m) != len(fields) {
		c.bad(path, "%d keys; the selection has %d (%s)", len(m), len(fields), strings.Join(order, ","))
	}
	for _, key := range order {
		f := fields[key]
		val, ok := m[key]
		if !ok {
			c.bad(path+"."+key, "missing")
			continue
		}
		if f.Name == "__typename" {
			if val != typ.Name {
				c.bad(path+"."+key, "%v; want %s", val, typ.Name)
			}
			continue
		}
		def := typ.Fields.ForName(f.Name)
		if def == nil {
			c.bad(path+"."+key, "no field %s on %s", f.Name, typ.Name)
			continue
		}
		c.value(def.Type, f.SelectionSet, val, path+"."+key)
	}
}

func (c *conformer) value(t *ast.Type, sel ast.SelectionSet, v any, path string) {
	if v == nil {
		if t.NonNull {
			c.bad(path, "null for %s", t)
		}
		return
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok {
			c.bad(path, "want a list for %s, got %T", t, v)
			return
		}
		for i, it := range l {
			c.value(t.Elem, sel, it, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	}
	def := c.s.Types[t.NamedType]
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		c.object(def, sel, v, path)
	case ast.Enum:
		if s, ok := v.(string); !ok || def.EnumValues.ForName(s) == nil {
			c.bad(path, "%v is not a value of %s", v, def.Name)
		}
	case ast.Scalar:
		c.scalar(def.Name, v, path)
	}
}

func (c *conformer) scalar(name string, v any, path string) {
	switch name {
	case "Int":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			c.bad(path, "%v is not an Int", v)
		}
	case "Float":
		if _, ok := v.(float64); !ok {
			c.bad(path, "%v is not a Float", v)
		}
	case "String", "ID":
		if _, ok := v.(string); !ok {
			c.bad(path, "%v (%T) is not a %s", v, v, name)
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			c.bad(path, "%v is not a Boolean", v)
		}
	}
}

// Negative control: the checker refuses answers that break their query.
func TestConformsNegative(t *testing.T) {
	t.Parallel()
	s := shopSchema(t).Schema
	q := `{ customer(id: "1") { id status orders { items } } search(text: "a") { __typename ... on Order { total } } }`
	good := do(t, newMock(t), q, nil).ok(t)
	if err := conforms(s, q, good.Data); err != nil {
		t.Fatalf("the mock's answer does not conform: %v", err)
	}
	spoil := []struct {
		name string
		edit func(d map[string]any)
		want string
	}{
		{"null non-null", func(d map[string]any) { at(d, "customer").(map[string]any)["id"] = nil }, "null for ID!"},
		{"bad enum", func(d map[string]any) { at(d, "customer").(map[string]any)["status"] = "GONE" }, "not a value of Status"},
		{"float for Int", func(d map[string]any) { at(d, "customer", "orders", 0).(map[string]any)["items"] = 1.5 }, "not an Int"},
		{"extra key", func(d map[string]any) { at(d, "customer").(map[string]any)["x"] = 1 }, "4 keys"},
		{"wrong typename", func(d map[string]any) { at(d, "search", 0).(map[string]any)["__typename"] = "PageInfo" }, "not a possible type"},
	}
	for _, sp := range spoil {
		d := do(t, newMock(t), q, nil).ok(t).Data
		sp.edit(d)
		if err := conforms(s, q, d); err == nil || !strings.Contains(err.Error(), sp.want) {
			t.Errorf("%s: err = %v; want %q", sp.name, err, sp.want)
		}
	}
}
