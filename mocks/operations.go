package mocks

import (
	"fmt"
	"slices"
	"strings"
)

// Operations lists every name a fault's or a gate's operation may take on
// the contract, sorted: for OpenAPI, each operation's operationId and its
// "METHOD /template"; for GraphQL, the root fields of Query, Mutation and
// Subscription (a fault scoped to one applies to the requests that select
// it).
func (c Contract) Operations() []string {
	var out []string
	switch {
	case c.OpenAPI != nil && c.OpenAPI.Doc != nil && c.OpenAPI.Doc.Paths != nil:
		for template, item := range c.OpenAPI.Doc.Paths.Map() {
			for method, op := range item.Operations() {
				out = append(out, method+" "+template)
				if op.OperationID != "" {
					out = append(out, op.OperationID)
				}
			}
		}
	case c.GraphQL != nil && c.GraphQL.Schema != nil:
		s := c.GraphQL.Schema
		for _, root := range []string{"Query", "Mutation", "Subscription"} {
			var def = s.Query
			switch root {
			case "Mutation":
				def = s.Mutation
			case "Subscription":
				def = s.Subscription
			}
			if def == nil {
				continue
			}
			for _, f := range def.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					out = append(out, f.Name)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HasOperation reports whether name names an operation of the contract,
// as Operations lists them. For OpenAPI it also takes "METHOD /path", a
// concrete path that fills a template's parameters (POST /invoices/42/pay
// for POST /invoices/{id}/pay), as the backoff gate does.
func (c Contract) HasOperation(name string) bool {
	ops := c.Operations()
	if _, ok := slices.BinarySearch(ops, name); ok {
		return true
	}
	method, path, ok := strings.Cut(name, " ")
	if !ok || c.OpenAPI == nil {
		return false
	}
	for _, op := range ops {
		m, template, ok := strings.Cut(op, " ")
		if ok && m == strings.ToUpper(method) && fillsTemplate(path, template) {
			return true
		}
	}
	return false
}

// fillsTemplate reports whether path is template with each {parameter}
// segment filled.
func fillsTemplate(path, template string) bool {
	ps, ts := strings.Split(strings.Trim(path, "/"), "/"), strings.Split(strings.Trim(template, "/"), "/")
	if len(ps) != len(ts) {
		return false
	}
	for i := range ts {
		if strings.Contains(ts[i], "{") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != ts[i] {
			return false
		}
	}
	return true
}

// CheckOperation is nil when name is empty (every operation) or names an
// operation of the contract; else an error that says which names come
// closest, so a misspelled operation never makes a fault that hits nothing.
func (c Contract) CheckOperation(name string) error {
	if name == "" || c.HasOperation(name) {
		return nil
	}
	return fmt.Errorf("operation %q is not in %s%s", name, c.Name(), Suggest(name, c.Operations()))
}

// Suggest is ": did you mean X?" for the known name closest to got (see
// Nearest), or ": known: a, b, c" when none is close.
func Suggest(got string, known []string) string {
	switch near := Nearest(got, known); {
	case near != "":
		return fmt.Sprintf(": did you mean %q?", near)
	case len(known) == 0:
		return ""
	case len(known) <= 12:
		return ": known: " + strings.Join(known, ", ")
	}
	return fmt.Sprintf(": %d operations, none close", len(known))
}
