package graphql_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/graphql"
)

// variantsSDL is the part of Shopify's Admin API the service used:
// variants looked up by a search string, then updated through a payload.
const variantsSDL = `
enum Status { ACTIVE DRAFT ARCHIVED }
type ProductVariant { id: ID! sku: String! price: String status: Status! inventoryQuantity: Int product: Product }
type Product { id: ID! title: String! variants(first: Int): [ProductVariant!]! }
input ProductVariantsBulkInput { id: ID sku: String price: String }
type ProductPayload { product: Product userErrors: [UserError!]! }
type ProductVariantsBulkPayload { product: Product productVariants: [ProductVariant!] userErrors: [UserError!]! }
type ProductVariantEdge { node: ProductVariant! cursor: String! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type ProductVariantConnection { edges: [ProductVariantEdge!]! nodes: [ProductVariant!]! pageInfo: PageInfo! totalCount: Int! }
type UserError { field: [String!] message: String! }
input ProductVariantInput { id: ID sku: String price: String status: Status inventoryQuantity: Int }
type ProductVariantPayload { productVariant: ProductVariant userErrors: [UserError!]! }
type Query {
  product(id: ID!): Product
  productVariants(first: Int, after: String, last: Int, before: String, query: String, sortKey: String): ProductVariantConnection!
  variants(ids: [ID!], statuses: [Status!], status: Status = ACTIVE, limit: Int, page: Int, region: String, offset: Int, per_page: Int): [ProductVariant!]!
}
type Mutation {
  productVariantCreate(input: ProductVariantInput!): ProductVariantPayload
  productVariantUpdate(input: ProductVariantInput!): ProductVariantPayload
  productVariantSet(input: ProductVariantInput!): ProductVariantPayload
  productCreate(title: String!): ProductPayload
  productVariantsBulkCreate(productId: ID!, variants: [ProductVariantsBulkInput!]!): ProductVariantsBulkPayload
  productVariantsBulkUpdate(productId: ID!, variants: [ProductVariantsBulkInput!]!): ProductVariantsBulkPayload
}`

func variantsMock(t testing.TB, opts ...graphql.Option) *graphql.Mock {
	t.Helper()
	c, err := contracts.ParseGraphQL(context.Background(), "variants.graphql", []byte(variantsSDL))
	if err != nil {
		t.Fatal(err)
	}
	m, err := graphql.NewHandler(c, append([]graphql.Option{graphql.WithStateful(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// createVariants stores variants of the SKUs in order, with the status and
// quantity given, and returns their ids.
func createVariants(t testing.TB, m *graphql.Mock, specs ...string) []string {
	t.Helper()
	var ids []string
	for _, s := range specs {
		var sku, status string
		var qty int
		if _, err := fmt.Sscanf(s, "%s %s %d", &sku, &status, &qty); err != nil {
			t.Fatal(err)
		}
		r := do(t, m, `mutation($in: ProductVariantInput!) { productVariantCreate(input: $in) { productVariant { id } userErrors { message } } }`,
			map[string]any{"in": map[string]any{"sku": sku, "status": status, "inventoryQuantity": qty, "price": "10.00"}}).ok(t)
		ids = append(ids, at(r.Data, "productVariantCreate", "productVariant", "id").(string))
	}
	return ids
}

// The failure: productVariants(first: 1, query: "sku:MUG-WHT")
// answered the first variant, another SKU, so the service updated the wrong
// one. The first variant stored is MUG-BLK: an answer that does not read
// the search string finds it, and this test fails.
func TestSearchFindsTheVariantToUpdate(t *testing.T) {
	t.Parallel()
	m := variantsMock(t)
	ids := createVariants(t, m, "MUG-BLK ACTIVE 3", "MUG-WHT ACTIVE 5")
	r := do(t, m, `{ productVariants(first: 1, query: "sku:MUG-WHT") { nodes { id sku } totalCount } }`, nil).ok(t)
	if at(r.Data, "productVariants", "nodes", 0, "id") != ids[1] || at(r.Data, "productVariants", "totalCount") != 1.0 {
		t.Fatalf("sku:MUG-WHT found %s; want %s alone", r.raw, ids[1])
	}
	do(t, m, `mutation($id: ID!) { productVariantUpdate(input: {id: $id, price: "12.00"}) { productVariant { id } userErrors { message } } }`,
		map[string]any{"id": ids[1]}).ok(t)
	snap, _ := m.Store().Snapshot("ProductVariant")
	if snap[0]["price"] != "10.00" || snap[1]["price"] != "12.00" {
		t.Errorf("after the update: %v; want MUG-WHT at 12.00, MUG-BLK untouched", snap)
	}
	// A set writes by id as an upsert: an update of one, a create of another.
	do(t, m, `mutation($id: ID!) { productVariantSet(input: {id: $id, price: "13.00"}) { productVariant { id } } }`, map[string]any{"id": ids[1]}).ok(t)
	do(t, m, `mutation { productVariantSet(input: {id: "new", sku: "MUG-RED", status: DRAFT}) { productVariant { id } } }`, nil).ok(t)
	if snap, _ = m.Store().Snapshot("ProductVariant"); len(snap) != 3 || snap[1]["price"] != "13.00" || snap[2]["sku"] != "MUG-RED" {
		t.Errorf("after two sets: %v", snap)
	}
}

// Connections page over the records the search keeps: first/after and
// last/before, with totalCount and pageInfo of the kept records.
func TestSearchConnectionPaging(t *testing.T) {
	t.Parallel()
	m := variantsMock(t)
	ids := createVariants(t, m, "A-1 ACTIVE 1", "B-1 ACTIVE 2", "A-2 DRAFT 3", "A-3 ACTIVE 4", "B-2 ACTIVE 5", "A-4 ACTIVE 6")
	page := func(args string) (string, string) {
		t.Helper()
		r := do(t, m, `{ productVariants(`+args+`) { edges { cursor node { sku } } totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil).ok(t)
		var skus []string
		for _, e := range at(r.Data, "productVariants", "edges").([]any) {
			skus = append(skus, at(e, "node", "sku").(string))
		}
		pi := at(r.Data, "productVariants", "pageInfo")
		return strings.Join(skus, ","), fmt.Sprintf("total %v next %v prev %v %v..%v", at(r.Data, "productVariants", "totalCount"),
			at(pi, "hasNextPage"), at(pi, "hasPreviousPage"), at(pi, "startCursor"), at(pi, "endCursor"))
	}
	for _, tt := range []struct{ args, skus, info string }{
		{`query: "sku:A*"`, "A-1,A-2,A-3,A-4", "total 4 next false prev false 1..6"},
		{`first: 2, query: "sku:A*"`, "A-1,A-2", "total 4 next true prev false 1..3"},
		{fmt.Sprintf(`first: 2, after: %q, query: "sku:A*"`, ids[2]), "A-3,A-4", "total 4 next false prev true 4..6"},
		{`last: 1, query: "sku:A* status:active"`, "A-4", "total 3 next false prev true 6..6"},
		{fmt.Sprintf(`last: 2, before: %q, query: "sku:A*"`, ids[5]), "A-2,A-3", "total 4 next true prev true 3..4"},
		{`first: 10, query: "inventory_quantity:>=2 inventory_quantity:<5 -status:draft"`, "B-1,A-3", "total 2 next false prev false 2..4"},
		{`first: 10, query: "nothing:here"`, "A-1,B-1,A-2,A-3,B-2,A-4", "total 6 next false prev false 1..6"},
		{`first: 10, query: "sku:C*"`, "", "total 0 next false prev false <nil>..<nil>"},
		{`first: 0, query: "sku:A*"`, "", "total 4 next true prev false <nil>..<nil>"},
	} {
		skus, info := page(tt.args)
		if skus != tt.skus || info != tt.info {
			t.Errorf("productVariants(%s): %s, %s; want %s, %s", tt.args, skus, info, tt.skus, tt.info)
		}
	}
}

// Lists filter by arguments naming a field, a list argument by any of its
// values, then page; a default argument keeps records without the field.
func TestListArgumentFilters(t *testing.T) {
	t.Parallel()
	m := variantsMock(t)
	ids := createVariants(t, m, "A ACTIVE 1", "B DRAFT 2", "C ARCHIVED 3", "D ACTIVE 4")
	r := do(t, m, `mutation { productVariantCreate(input: {sku: "E"}) { productVariant { id status } } }`, nil).ok(t) // no status stored
	// E shows a generated status: a filter on status reads that one.
	draftOrArchived := "[B C]"
	if s := at(r.Data, "productVariantCreate", "productVariant", "status"); s == "DRAFT" || s == "ARCHIVED" {
		draftOrArchived = "[B C E]"
	}
	skus := func(args string) string {
		t.Helper()
		q := `{ variants { sku } }`
		if args != "" {
			q = `{ variants(` + args + `) { sku } }`
		}
		return fmt.Sprint(field(at(do(t, m, q, nil).ok(t).Data, "variants"), "sku"))
	}
	for _, tt := range []struct{ args, want string }{
		{``, "[A D E]"}, // status: ACTIVE by default; E stores none
		{`status: DRAFT`, "[B]"},
		{fmt.Sprintf(`ids: [%q, %q, "nope"]`, ids[2], ids[0]), "[A]"}, // and the default status
		{fmt.Sprintf(`ids: [%q, %q], status: ARCHIVED`, ids[2], ids[0]), "[C]"},
		{`statuses: [DRAFT, ARCHIVED]`, draftOrArchived}, // the default status gives way
		{`statuses: [DRAFT, ARCHIVED], limit: 1, page: 2`, "[C]"},
		{`limit: 2`, "[A D]"},
		{`limit: 2, page: 2`, "[E]"},
		{`limit: 2, page: 9`, "[]"},
		{`offset: 1`, "[D E]"},
		{`offset: 1, per_page: 1`, "[D]"},
		{`offset: 9`, "[]"},
	} {
		if got := skus(tt.args); got != tt.want {
			t.Errorf("variants(%s) = %s; want %s", tt.args, got, tt.want)
		}
	}
}

// An argument or search term the mock cannot read is answered without: the
// journal entry names it, and the log does the first time only.
func TestIgnoredFiltersAreReported(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	m := variantsMock(t, graphql.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	createVariants(t, m, "A ACTIVE 1", "B ACTIVE 2")
	for range 2 {
		r := do(t, m, `{ variants(region: "eu") { sku } productVariants(first: 5, query: "barcode:123 sku:B", sortKey: "SKU") { nodes { sku } } }`, nil).ok(t)
		if fmt.Sprint(field(at(r.Data, "variants"), "sku")) != "[A B]" || fmt.Sprint(field(at(r.Data, "productVariants", "nodes"), "sku")) != "[B]" {
			t.Errorf("answered %s; want every variant, then B", r.raw)
		}
		if got := fmt.Sprint(ignored(m)); got != "[variants(region:) productVariants(query:) barcode:123]" {
			t.Errorf("journal marks %s ignored", got)
		}
	}
	if n := strings.Count(logs.String(), "ignored="); n != 2 || !strings.Contains(logs.String(), `"productVariants(query:) barcode:123"`) {
		t.Errorf("%d warnings logged; want 2, once each:\n%s", n, logs.String())
	}
	do(t, m, `{ productVariants(first: 5, query: "sku:B") { nodes { sku } } }`, nil).ok(t)
	if got := ignored(m); len(got) != 0 {
		t.Errorf("a readable search marked %q ignored", got)
	}
}

// A list or connection field of a stored record lists the stored records
// linked to it: those storing its id (a post's authorId for author.posts),
// or those whose ids it stores (a post's tagIds for post.tags, in the
// collection's order); none without a link; filtered and paged as a root
// field is.
func TestNestedListsOfStoredRecords(t *testing.T) {
	t.Parallel()
	c, err := contracts.ParseGraphQL(context.Background(), "blog.graphql", []byte(`
type Tag { id: ID! name: String! }
type Post { id: ID! title: String! author: Author tags(first: Int): [Tag!]! }
type Author { id: ID! name: String! posts(first: Int, after: String, query: String): PostConnection! }
type PostEdge { node: Post! cursor: String! }
type PostConnection { edges: [PostEdge!]! totalCount: Int! }
type Query { author(id: ID!): Author tags: [Tag!]! posts(query: String): [Post!]! }
type Mutation {
  createAuthor(name: String!): Author
  createPost(authorId: ID!, title: String!, tagIds: [ID!]): Post
  createTag(name: String!): Tag
}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := graphql.NewHandler(c, graphql.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	id := func(q, field string) string {
		t.Helper()
		return at(do(t, m, q, nil).ok(t).Data, field, "id").(string)
	}
	ada, bob := id(`mutation { createAuthor(name: "Ada") { id } }`, "createAuthor"), id(`mutation { createAuthor(name: "Bob") { id } }`, "createAuthor")
	go1, db := id(`mutation { createTag(name: "go") { id } }`, "createTag"), id(`mutation { createTag(name: "db") { id } }`, "createTag")
	id(`mutation { createTag(name: "unused") { id } }`, "createTag")
	id(fmt.Sprintf(`mutation { createPost(authorId: %q, title: "Hello Go", tagIds: [%q, %q]) { id } }`, ada, db, go1), "createPost")
	id(fmt.Sprintf(`mutation { createPost(authorId: %q, title: "Draft") { id } }`, ada), "createPost")
	id(fmt.Sprintf(`mutation { createPost(authorId: %q, title: "Hello Bob") { id } }`, bob), "createPost")
	id(fmt.Sprintf(`mutation { createPost(authorId: %q, title: "Hello again") { id } }`, ada), "createPost")

	r := do(t, m, fmt.Sprintf(`{ author(id: %q) {
		all: posts { totalCount edges { node { title tags { name } } } }
		hello: posts(first: 1, query: "title:hello*") { totalCount edges { cursor node { title } } } } }`, ada), nil).ok(t)
	var titles, tags []any
	for _, e := range at(r.Data, "author", "all", "edges").([]any) {
		titles = append(titles, at(e, "node", "title"))
		tags = append(tags, field(at(e, "node", "tags"), "name"))
	}
	if fmt.Sprint(titles) != "[Hello Go Draft Hello again]" || fmt.Sprint(tags) != "[[go db] [] []]" {
		t.Errorf("Ada's posts and their tags: %v %v; want hers only, tags by the ids each stores", titles, tags)
	}
	// A search through a reference: by its id, or one of its fields.
	for _, tt := range []struct{ q, want, ignored string }{
		{"author:" + bob, "[Hello Bob]", "[]"},
		{"author.name:ada hello*", "[Hello Go Hello again]", "[]"},
		{"-author.name:ada", "[Hello Bob]", "[]"},
		{"tags:go hello*", "[Hello Go Hello Bob Hello again]", "[posts(query:) tags:go]"}, // a list of records is not read
	} {
		r := do(t, m, `query($q: String) { posts(query: $q) { title } }`, map[string]any{"q": tt.q}).ok(t)
		if got := fmt.Sprint(field(at(r.Data, "posts"), "title")); got != tt.want || fmt.Sprint(ignored(m)) != tt.ignored {
			t.Errorf("posts(query: %q) = %s, ignored %q; want %s, ignored %s", tt.q, got, ignored(m), tt.want, tt.ignored)
		}
	}
	if at(r.Data, "author", "hello", "totalCount") != 2.0 || at(r.Data, "author", "hello", "edges", 0, "node", "title") != "Hello Go" ||
		len(at(r.Data, "author", "hello", "edges").([]any)) != 1 {
		t.Errorf("Ada's posts titled hello*, first 1: %s", r.raw)
	}
}

// FuzzStatefulSearch: whatever search string a client sends, a stateful
// list answers 200 with data and no error, every record it lists one that
// exists.
func FuzzStatefulSearch(f *testing.F) {
	for _, s := range []string{`sku:A*`, `inventory_quantity:>=2 -status:draft OR x`, `is:active "a b`, `status.x.y:1`, `price:1..`} {
		f.Add(s)
	}
	m := variantsMock(f, graphql.WithLogger(slog.New(slog.DiscardHandler)))
	createVariants(f, m, "A-1 ACTIVE 1", "B-1 DRAFT 2")
	f.Fuzz(func(t *testing.T, s string) {
		r := do(t, m, `query($q: String) { productVariants(first: 5, query: $q) { nodes { id } totalCount } }`, map[string]any{"q": s}).ok(t)
		if n := len(at(r.Data, "productVariants", "nodes").([]any)); n > 2 || at(r.Data, "productVariants", "totalCount") != float64(n) {
			t.Errorf("%q: %s", s, r.raw)
		}
	})
}

// A bulk mutation writes each element of its list argument to the type its
// payload lists, with the record the other arguments name (productId), all
// or none; the payload lists what it wrote and the record it names.
func TestBulkWritesEachElement(t *testing.T) {
	t.Parallel()
	m := variantsMock(t)
	r := do(t, m, `mutation { productCreate(title: "Mug") { product { id } } }`, nil).ok(t)
	product := at(r.Data, "productCreate", "product", "id").(string)
	r = do(t, m, `mutation($p: ID!) { productVariantsBulkCreate(productId: $p, variants: [{sku: "MUG-BLK", price: "10.00"}, {sku: "MUG-WHT", price: "10.00"}]) {
		product { title } productVariants { id sku product { title } } userErrors { message } } }`, map[string]any{"p": product}).ok(t)
	created := at(r.Data, "productVariantsBulkCreate", "productVariants").([]any)
	if len(created) != 2 || at(created, 1, "sku") != "MUG-WHT" || at(created, 1, "product", "title") != "Mug" ||
		at(r.Data, "productVariantsBulkCreate", "product", "title") != "Mug" || len(at(r.Data, "productVariantsBulkCreate", "userErrors").([]any)) != 0 {
		t.Fatalf("productVariantsBulkCreate: %s", r.raw)
	}
	blk, wht := at(created, 0, "id"), at(created, 1, "id")
	r = do(t, m, `{ productVariants(first: 1, query: "sku:MUG-WHT") { nodes { id } } }`, nil).ok(t)
	if at(r.Data, "productVariants", "nodes", 0, "id") != wht {
		t.Fatalf("sku:MUG-WHT: %s", r.raw)
	}
	r = do(t, m, `mutation($p: ID!, $v: ID) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "12.00"}]) { productVariants { id price } } }`,
		map[string]any{"p": product, "v": wht}).ok(t)
	if at(r.Data, "productVariantsBulkUpdate", "productVariants", 0, "price") != "12.00" {
		t.Errorf("productVariantsBulkUpdate: %s", r.raw)
	}
	// All or none: an element naming no variant writes nothing.
	r = do(t, m, `mutation($p: ID!, $v: ID) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "1.00"}, {id: "nope", price: "1.00"}]) { productVariants { id } } }`,
		map[string]any{"p": product, "v": blk})
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, `variants[1]: no ProductVariant with id "nope"`) {
		t.Errorf("a bulk update naming a missing variant: %s", r.raw)
	}
	r = do(t, m, `query($p: ID!) { product(id: $p) { variants { sku price } } }`, map[string]any{"p": product}).ok(t)
	if got := fmt.Sprint(at(r.Data, "product", "variants")); got != "[map[price:10.00 sku:MUG-BLK] map[price:12.00 sku:MUG-WHT]]" {
		t.Errorf("the product's variants after the updates: %s", got)
	}
	if n := m.Store().Len("ProductVariant"); n != 2 {
		t.Errorf("%d variants stored; want 2", n)
	}
}
