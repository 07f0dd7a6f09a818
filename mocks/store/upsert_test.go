package store_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
)

// TestInferPutCreates: a PUT on an item path creates an absent record when
// the contract says so, by a 201 answer or in words; a PUT that only
// replaces does not.
func TestInferPutCreates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		statuses                    []int
		operationID, summary, descr string
		want                        bool
	}{
		{name: "201 declared", statuses: []int{200, 201}, summary: "Update a contact", want: true},
		{name: "only 201", statuses: []int{201}, want: true},
		{name: "create or update", statuses: []int{200}, summary: "Create or update a contact by email", want: true},
		{name: "creates or replaces", statuses: []int{200}, descr: "Creates a new object or replaces the object stored under that key.", want: true},
		{name: "upsert in the summary", statuses: []int{200}, summary: "Upsert rate limit", want: true},
		{name: "upsert in the operationId", statuses: []int{200}, operationID: "upsertContact", want: true},
		{name: "createOrUpdate operationId", statuses: []int{204}, operationID: "crm.contacts.createOrUpdate", want: true},
		{name: "replace only", statuses: []int{200, 404}, summary: "Update a Domain", want: false},
		{name: "update or cancel", statuses: []int{204}, summary: "Update or cancel tracking information", want: false},
		{name: "create somewhere else", statuses: []int{200}, descr: "Replaces the contact. Create one with POST /contacts.", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obj := openapi3.NewObjectSchema().WithProperty("email", openapi3.NewStringSchema()).NewRef()
			put := openapi3.NewOperation()
			put.OperationID, put.Summary, put.Description = tt.operationID, tt.summary, tt.descr
			for _, s := range tt.statuses {
				put.AddResponse(s, openapi3.NewResponse().WithDescription("answer").WithJSONSchemaRef(obj))
			}
			paths := openapi3.NewPaths()
			paths.Set("/v1/contacts/{email}", &openapi3.PathItem{Put: put})
			colls := store.Infer(&openapi3.T{Paths: paths})
			if len(colls) != 1 {
				t.Fatalf("inferred %v, want one collection", colls)
			}
			c := colls[0]
			if c.PutCreates != tt.want {
				t.Errorf("PutCreates = %v, want %v", c.PutCreates, tt.want)
			}
			if c.IDField != "email" || c.ItemSchema == nil {
				t.Errorf("id field %q, item schema %v: want the PUT answer's email", c.IDField, c.ItemSchema)
			}
		})
	}
}

// TestInferPutCreatesCorpus: Twilio Lookups says "Upsert rate limit" of its
// PUT; Postmark's PUTs only edit.
func TestInferPutCreatesCorpus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, coll string
		want       bool
	}{
		{"twilio__twilio_lookups_v2.json", "RateLimits.Fields.Bucket", true},
		{"twilio__twilio_lookups_v2.json", "PhoneNumbers.Overrides", false},
		{"postmark__account-0.9.0.swagger.yaml", "domains", false},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.coll, func(t *testing.T) {
			t.Parallel()
			c, ok := corpusCollections(t, tt.file)[tt.coll]
			if !ok || c.PutOp == "" {
				t.Fatalf("no collection %q with a PUT in %s", tt.coll, tt.file)
			}
			if c.PutCreates != tt.want {
				t.Errorf("%s PutCreates = %v, want %v", c.PutOp, c.PutCreates, tt.want)
			}
		})
	}
}
