package graphql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/firedrill/firedrill/mocks/store"
)

// WithCompareAndSet gives, by collection (a type name), the
// compare-and-set rule of the mutations that write it (store.CompareAndSet)
// and the code of a stale write's user error (codes, by collection; STALE
// when absent). A mutation whose input carries the rule's Expect field
// changes the record only if its Field still holds that value; otherwise
// nothing changes and the payload's userErrors (customerUserErrors...)
// get {field, message, code}, or, when the payload has no such list, the
// answer a GraphQL error with extensions.code. Stateful mode only; a type
// that is not a collection is an error.
func WithCompareAndSet(rules map[string]store.CompareAndSet, codes map[string]string) Option {
	return func(o *options) error {
		o.cas, o.staleCodes = rules, codes
		return nil
	}
}

// setCompareAndSet puts the rules on the collections they name.
func (st *state) setCompareAndSet(rules map[string]store.CompareAndSet, codes map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		if _, ok := st.idField[name]; !ok {
			return fmt.Errorf("compare_and_set: the schema has no collection %q (it has %s)", name, strings.Join(st.store.Collections(), ", "))
		}
		rule := rules[name]
		if err := st.store.SetCompareAndSet(name, &rule); err != nil {
			return fmt.Errorf("compare_and_set: %w", err)
		}
	}
	st.cas, st.staleCodes = rules, codes
	return nil
}

// casCheck takes the expected value out of a mutation's record and
// returns the check of the write, nil when it carries none.
func (st *state) casCheck(coll string, rec store.Record) func(store.Record) error {
	rule, ok := st.cas[coll]
	if !ok {
		return nil
	}
	expected, ok := rule.Expected(rec)
	if !ok {
		return nil
	}
	return rule.Check(expected)
}

// staleAnswer answers a mutation whose write was stale the vendor's way:
// its payload's user errors, else a GraphQL error with the code.
func (st *state) staleAnswer(def *ast.FieldDefinition, mu mutation, se *store.StaleError, current store.Record) (any, error) {
	coll := mu.entity.Name
	code := st.staleCodes[coll]
	if code == "" {
		code = "STALE"
	}
	rule := st.cas[coll]
	ret := st.schema.Types[def.Type.Name()]
	if ret == nil || ret.Kind != ast.Object || ret.Name == coll || def.Type.Elem != nil {
		return nil, &gqlerror.Error{Message: fmt.Sprintf("%s: %v", def.Name, se), Extensions: map[string]any{"code": code}}
	}
	var list *ast.FieldDefinition
	for _, f := range ret.Fields {
		if f.Type.Elem != nil && strings.HasSuffix(strings.ToLower(f.Name), "errors") {
			list = f
			break
		}
	}
	if list == nil {
		return nil, &gqlerror.Error{Message: fmt.Sprintf("%s: %v", def.Name, se), Extensions: map[string]any{"code": code}}
	}
	userErr := map[string]any{}
	if et := st.schema.Types[list.Type.Name()]; et != nil {
		for _, f := range et.Fields {
			switch strings.ToLower(f.Name) {
			case "field":
				path := []any{rule.Expect}
				if argNamedInput(def) {
					path = []any{"input", rule.Expect}
				}
				userErr[f.Name] = path
			case "message":
				userErr[f.Name] = se.Error()
			case "code":
				userErr[f.Name] = st.enumValue(f.Type, code)
			}
		}
	}
	payload := map[string]any{list.Name: []any{userErr}}
	if mu.payloadField != "" {
		// The record as it is, where the payload cannot do without it;
		// else null, as vendors answer a mutation that did not happen.
		if f := ret.Fields.ForName(mu.payloadField); f != nil && f.Type.NonNull && current != nil {
			payload[mu.payloadField] = st.recordOf(coll, current)
		} else {
			payload[mu.payloadField] = nil
		}
	}
	for _, f := range ret.Fields {
		if _, set := payload[f.Name]; !set && f.Type.Elem != nil && strings.HasSuffix(strings.ToLower(f.Name), "errors") {
			payload[f.Name] = []any{}
		}
	}
	return payload, nil
}

// argNamedInput says whether the mutation takes its record as input:.
func argNamedInput(def *ast.FieldDefinition) bool {
	return def.Arguments.ForName("input") != nil
}

// enumValue is code as a value of t: itself for a String, the enum value
// of that name (case folded) for an enum, else the enum's first value.
func (st *state) enumValue(t *ast.Type, code string) any {
	def := st.schema.Types[t.Name()]
	if def == nil || def.Kind != ast.Enum || len(def.EnumValues) == 0 {
		return code
	}
	for _, v := range def.EnumValues {
		if strings.EqualFold(v.Name, code) {
			return v.Name
		}
	}
	return def.EnumValues[0].Name
}

// isStale finds a stale write's error.
func isStale(err error) (*store.StaleError, bool) {
	var se *store.StaleError
	return se, errors.As(err, &se)
}
