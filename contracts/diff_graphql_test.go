package contracts

import (
	"context"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

type astType = ast.Type

const (
	crmV1 = "testdata/diff/crm-v1.graphql" // the CRM example's contract as v2 was cut from it
	crmV2 = "testdata/diff/crm-v2.graphql"
)

// TestDiffGraphQL: each change made to the revision is found, judged as a
// client sees it and located.
func TestDiffGraphQL(t *testing.T) {
	t.Parallel()
	changes, err := DiffGraphQL(context.Background(), []string{crmV1}, []string{crmV2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Severity{
		"required-input-field-added CustomerInput.consent":       SeverityError,
		"field-type-changed UpsertCustomerPayload.created":       SeverityError,
		"field-type-changed Mutation.deleteCustomer":             SeverityError,
		"field-removed Customer.source":                          SeverityError,
		"required-argument-added Query.customerByEmail(tenant:)": SeverityError,
		"argument-default-changed Query.customers(first:)":       SeverityWarning,
		"field-type-narrowed Customer.firstName":                 SeverityInfo,
		"field-added Customer.status":                            SeverityInfo,
		"type-added CustomerStatus":                              SeverityInfo,
		"type-removed DeleteCustomerPayload":                     SeverityError,
	}
	got := map[string]Change{}
	for _, c := range changes {
		got[c.Rule+" "+c.Coordinate] = c
	}
	for key, sev := range want {
		c, ok := got[key]
		if !ok {
			t.Errorf("%s not found", key)
			continue
		}
		if c.Severity != sev {
			t.Errorf("%s: %s, want %s", key, c.Severity, sev)
		}
		if c.Base == nil && c.Revision == nil {
			t.Errorf("%s: not located", key)
		}
	}
	if len(changes) != len(want) {
		t.Errorf("%d changes, want %d: %v", len(changes), len(want), changes)
	}
	if c := got["required-input-field-added CustomerInput.consent"]; c.Revision == nil || c.Revision.File != crmV2 || c.Revision.Line != 30 {
		t.Errorf("consent located at %v, want %s:30", c.Revision, crmV2)
	}
	if same, err := DiffGraphQL(context.Background(), []string{crmV1}, []string{crmV1}); err != nil || len(same) > 0 {
		t.Errorf("a schema against itself: %v %v", same, err)
	}
}

// TestAffectingGraphQL: of the changes, those to what the integration's
// query selects and sends count; a field it never selects does not.
func TestAffectingGraphQL(t *testing.T) {
	t.Parallel()
	changes, err := DiffGraphQL(context.Background(), []string{crmV1}, []string{crmV2})
	if err != nil {
		t.Fatal(err)
	}
	base, err := LoadGraphQL(context.Background(), crmV1)
	if err != nil {
		t.Fatal(err)
	}
	var u GraphQLUsage
	if err := u.UseGraphQL(base, `mutation Upsert($input: CustomerInput!) {
  upsertCustomer(input: $input) { customer { id email } created }
}`); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range AffectingGraphQL(changes, u) {
		got[c.Rule+" "+c.Coordinate] = true
	}
	want := map[string]bool{
		"required-input-field-added CustomerInput.consent": true,
		"field-type-changed UpsertCustomerPayload.created": true,
	}
	if len(got) != len(want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s not kept", k)
		}
	}
	if err := u.UseGraphQL(base, `{ customer(id: 1) { nope } }`); err == nil {
		t.Error("a query the schema refuses was recorded")
	}
}

// TestGraphQLTypeVariance: what a client reads may become stricter, what
// it sends may become looser; nothing else is safe.
func TestGraphQLTypeVariance(t *testing.T) {
	t.Parallel()
	named := func(n string, nonNull bool) *astType { return &astType{NamedType: n, NonNull: nonNull} }
	list := func(e *astType, nonNull bool) *astType { return &astType{Elem: e, NonNull: nonNull} }
	for _, tc := range []struct {
		o, n          *astType
		output, input bool
	}{
		{named("String", false), named("String", true), true, false},
		{named("String", true), named("String", false), false, true},
		{named("String", false), named("ID", false), false, false},
		{list(named("A", true), false), list(named("A", false), false), false, true},
		{list(named("A", false), false), list(named("A", true), true), true, false},
		{named("A", false), list(named("A", false), false), false, false},
	} {
		if got := outputSafe(tc.o, tc.n); got != tc.output {
			t.Errorf("outputSafe(%s, %s) = %v", tc.o, tc.n, got)
		}
		if got := inputSafe(tc.o, tc.n, false); got != tc.input {
			t.Errorf("inputSafe(%s, %s) = %v", tc.o, tc.n, got)
		}
	}
	if !inputSafe(named("Int", false), named("Int", true), true) {
		t.Error("a nullable input that became non-null with a default breaks no client")
	}
}

// FuzzDiffGraphQL: any two schemas that load compare without a panic, and
// a schema compared with itself has no change.
func FuzzDiffGraphQL(f *testing.F) {
	f.Add("type Query { a: Int }", "type Query { a: Int! b(x: ID!): [String] }")
	f.Add("enum E { A B } type Query { e(in: I): E } input I { x: Int = 1 }", "enum E { A } type Query { e(in: I!): E } input I { x: Int! y: String! }")
	f.Add("union U = A | B type A { a: Int } type B { b: Int } type Query { u: U }", "union U = A type A implements N { a: Int } interface N { a: Int } type Query { u: [U!]! }")
	f.Fuzz(func(t *testing.T, a, b string) {
		ctx := context.Background()
		ga, err := ParseGraphQL(ctx, "a.graphql", []byte(a))
		if err != nil {
			return
		}
		gb, err := ParseGraphQL(ctx, "b.graphql", []byte(b))
		if err != nil {
			return
		}
		d := &gqlDiff{}
		d.types(ga.Schema, gb.Schema)
		same := &gqlDiff{}
		same.types(ga.Schema, ga.Schema)
		if len(same.out) > 0 {
			t.Errorf("a schema against itself: %v", same.out)
		}
	})
}

// TestDiffGraphQLInputsAlike: arguments and input fields are judged by the
// same rules, a changed default included.
func TestDiffGraphQLInputsAlike(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := ParseGraphQL(ctx, "b.graphql", []byte("input I { n: Int = 1 } type Query { q(n: Int = 1, i: I): Int }"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseGraphQL(ctx, "r.graphql", []byte("input I { n: Int = 2 } type Query { q(n: Int = 2, i: I): Int }"))
	if err != nil {
		t.Fatal(err)
	}
	d := &gqlDiff{}
	d.types(b.Schema, r.Schema)
	got := map[string]Severity{}
	for _, c := range d.out {
		got[c.Rule+" "+c.Coordinate] = c.Severity
	}
	if got["argument-default-changed Query.q(n:)"] != SeverityWarning || got["input-field-default-changed I.n"] != SeverityWarning || len(got) != 2 {
		t.Errorf("changes %v", got)
	}
}
