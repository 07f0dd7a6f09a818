package contracts

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// everyKeyword is an OpenAPI 3.1 document with a schema under every place
// and keyword WalkSchemas visits: component parameters, headers, request
// bodies, responses and callbacks, path and operation parameters, bodies,
// response headers, callbacks, webhooks, a custom method, itemSchema, and
// each sub-schema keyword, with a shared schema and a cycle.
const everyKeyword = `openapi: 3.1.0
info: {title: every keyword, version: "1"}
components:
  schemas:
    Node:
      type: object
      properties:
        next: {$ref: '#/components/schemas/Node'}
        a~b/c: {type: string}
      items: {type: string}
      additionalProperties: {type: integer}
      allOf: [{type: object}, {$ref: '#/components/schemas/Shared'}]
      anyOf: [{type: string}]
      oneOf: [{type: number}]
      not: {type: boolean}
      prefixItems: [{type: string}]
      contains: {type: string}
      patternProperties: {'^x-': {type: string}}
      dependentSchemas: {a: {type: object}}
      propertyNames: {type: string}
      if: {type: string}
      then: {type: string}
      else: {type: string}
      unevaluatedItems: {type: string}
      unevaluatedProperties: {type: string}
      contentSchema: {type: string}
      $defs: {d: {type: string}}
    Shared: {type: string}
  parameters:
    P: {name: p, in: query, schema: {type: string}}
    Q: {name: q, in: query, content: {application/json: {schema: {type: integer}}}}
  headers:
    H: {schema: {type: string}}
    I: {content: {text/plain: {schema: {type: string}}}}
  requestBodies:
    B: {content: {application/json: {schema: {type: object}}}}
  responses:
    R:
      description: r
      headers: {X-R: {schema: {type: string}}}
      content: {application/json: {schema: {$ref: '#/components/schemas/Shared'}}}
  callbacks:
    C:
      '{$request.body#/url}':
        post:
          requestBody: {content: {application/json: {schema: {type: string}}}}
          responses: {'200': {description: ok}}
paths:
  /a/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      parameters: [{$ref: '#/components/parameters/P'}, {$ref: '#/components/parameters/Q'}]
      responses:
        '200':
          description: ok
          headers: {X-A: {schema: {type: integer}}}
          content:
            application/jsonl: {itemSchema: {type: object}}
            application/json: {schema: {type: array, items: {type: string}}}
        default: {$ref: '#/components/responses/R'}
      callbacks:
        cb: {$ref: '#/components/callbacks/C'}
    post:
      requestBody: {$ref: '#/components/requestBodies/B'}
      responses: {'201': {description: created}}
    additionalOperations:
      COPY:
        requestBody: {content: {application/json: {schema: {type: boolean}}}}
        responses: {'200': {description: ok}}
webhooks:
  hook:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {w: {type: string}}}}}}
      responses: {'200': {description: ok}}
`

// everyKeywordPointers is every schema of everyKeyword, in the order WalkSchemas
// visits them: each place and keyword once.
var everyKeywordPointers = []string{
	"/components/schemas/Node",
	"/components/schemas/Node/properties/a~0b~1c",
	"/components/schemas/Node/items",
	"/components/schemas/Node/additionalProperties",
	"/components/schemas/Node/allOf/0",
	"/components/schemas/Node/allOf/1",
	"/components/schemas/Node/anyOf/0",
	"/components/schemas/Node/oneOf/0",
	"/components/schemas/Node/not",
	"/components/schemas/Node/prefixItems/0",
	"/components/schemas/Node/contains",
	"/components/schemas/Node/patternProperties/^x-",
	"/components/schemas/Node/dependentSchemas/a",
	"/components/schemas/Node/propertyNames",
	"/components/schemas/Node/if",
	"/components/schemas/Node/then",
	"/components/schemas/Node/else",
	"/components/schemas/Node/unevaluatedItems",
	"/components/schemas/Node/unevaluatedProperties",
	"/components/schemas/Node/contentSchema",
	"/components/schemas/Node/$defs/d",
	"/components/parameters/P/schema",
	"/components/parameters/Q/content/application~1json/schema",
	"/components/headers/H/schema",
	"/components/headers/I/content/text~1plain/schema",
	"/components/requestBodies/B/content/application~1json/schema",
	"/components/responses/R/headers/X-R/schema",
	"/components/callbacks/C/{$request.body#~1url}/post/requestBody/content/application~1json/schema",
	"/paths/~1a~1{id}/parameters/0/schema",
	"/paths/~1a~1{id}/get/responses/200/headers/X-A/schema",
	"/paths/~1a~1{id}/get/responses/200/content/application~1json/schema",
	"/paths/~1a~1{id}/get/responses/200/content/application~1json/schema/items",
	"/paths/~1a~1{id}/get/responses/200/content/application~1jsonl/itemSchema",
	"/paths/~1a~1{id}/additionalOperations/COPY/requestBody/content/application~1json/schema",
	"/webhooks/hook/post/requestBody/content/application~1json/schema",
	"/webhooks/hook/post/requestBody/content/application~1json/schema/properties/w",
}

type visited struct {
	pointer string
	schema  *openapi3.Schema
}

// walkPair lists what kin-openapi's WalkSchemas visits in doc and what
// walkSchemas does.
func walkPair(doc *openapi3.T) (kin, ours []visited) {
	_ = doc.WalkSchemas(func(ptr string, sr *openapi3.SchemaRef) error {
		kin = append(kin, visited{ptr, sr.Value})
		return nil
	})
	walkSchemas(doc, func(w *schemaWalk, s *openapi3.Schema) {
		ours = append(ours, visited{w.pointer(), s})
	})
	return kin, ours
}

func compareWalks(t *testing.T, doc *openapi3.T) {
	t.Helper()
	kin, ours := walkPair(doc)
	if slices.Equal(kin, ours) {
		return
	}
	t.Errorf("walkSchemas visits %d schemas, WalkSchemas %d", len(ours), len(kin))
	for i := 0; i < len(kin) || i < len(ours); i++ {
		var k, o visited
		if i < len(kin) {
			k = kin[i]
		}
		if i < len(ours) {
			o = ours[i]
		}
		if k != o {
			t.Errorf("first difference at %d: WalkSchemas %q, walkSchemas %q", i, k.pointer, o.pointer)
			break
		}
	}
}

// TestSchemaWalkMatchesKin holds walkSchemas to kin-openapi's WalkSchemas:
// the same schemas, at the same pointers, in the same order, on a document
// that uses every place and keyword a schema can sit in and on every
// document the merged walk is checked on.
func TestSchemaWalkMatchesKin(t *testing.T) {
	t.Parallel()
	t.Run("every keyword", func(t *testing.T) {
		t.Parallel()
		doc, err := openapi3.NewLoader().LoadFromData([]byte(everyKeyword))
		if err != nil {
			t.Fatal(err)
		}
		compareWalks(t, doc)
		var got []string
		walkSchemas(doc, func(w *schemaWalk, _ *openapi3.Schema) { got = append(got, w.pointer()) })
		if !slices.Equal(got, everyKeywordPointers) {
			t.Errorf("walkSchemas visits\n%q\nwant every schema the document writes\n%q", got, everyKeywordPointers)
		}
	})
	for _, f := range prepareInputs(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseOpenAPI(context.Background(), f, data)
			if err != nil {
				return // a test document that is meant not to load
			}
			compareWalks(t, c.Doc)
		})
	}
}
