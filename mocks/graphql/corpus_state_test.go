package graphql_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/graphql"
	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// statefulCorpus is a stateful mock of one corpus schema.
func statefulCorpus(t *testing.T, name string) *graphql.Mock {
	t.Helper()
	c, err := contracts.LoadGraphQL(context.Background(), corpustest.File(t, "graphql", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := graphql.NewHandler(c, graphql.WithStateful(true))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// field collects one field of each object in a list of the answer.
func field(list any, key string) []any {
	var out []any
	for _, it := range list.([]any) {
		out = append(out, at(it, key))
	}
	return out
}

// hasCollections fails unless the store names every collection of want, as
// a consistency check names them.
func hasCollections(t *testing.T, m *graphql.Mock, want ...string) {
	t.Helper()
	for _, c := range want {
		if !slices.Contains(m.Store().Collections(), c) {
			t.Errorf("no collection %s; the store has %v", c, m.Store().Collections())
		}
	}
}

// ignored is what the journal entry of the last request marks ignored.
func ignored(m *graphql.Mock) []string {
	es := m.Journal().Entries(toolkit.Filter{})
	return es[len(es)-1].Ignored
}

// Shopify's storefront: a customer created through a payload with
// customerUserErrors is stored as a Customer; a cart is created, updated,
// and keeps living when lines are removed from it; seeded products are
// found by a search string and listed in pages.
func TestCorpusStateShopify(t *testing.T) {
	t.Parallel()
	m := statefulCorpus(t, "shopify__storefront-2021-10.schema.graphql")
	hasCollections(t, m, "Customer", "Cart", "Product")

	// Create, through the payload type: the write lands on Customer.
	r := do(t, m, `mutation { customerCreate(input: {email: "ada@example.com", firstName: "Ada", password: "x"}) {
		customer { id email firstName } customerUserErrors { message } } }`, nil).ok(t)
	if at(r.Data, "customerCreate", "customer", "id") == nil || at(r.Data, "customerCreate", "customer", "email") != "ada@example.com" || len(at(r.Data, "customerCreate", "customerUserErrors").([]any)) != 0 {
		t.Fatalf("customerCreate: %s", r.raw)
	}
	if snap, _ := m.Store().Snapshot("Customer"); len(snap) != 1 || snap[0]["firstName"] != "Ada" {
		t.Errorf("Customer collection = %v; want the created customer", snap)
	}
	// Update, and find by argument: a cart's note, then lines removed from
	// it (the cart stays), read back by id. (The storefront finds a customer
	// by access token only.)
	r = do(t, m, `mutation { cartCreate(input: {note: "gift"}) { cart { id note } userErrors { message } } }`, nil).ok(t)
	cart := at(r.Data, "cartCreate", "cart", "id").(string)
	do(t, m, `mutation($c: ID!) { cartNoteUpdate(cartId: $c, note: "wrapped") { cart { id } } }`, map[string]any{"c": cart}).ok(t)
	do(t, m, `mutation($c: ID!) { cartLinesRemove(cartId: $c, lineIds: ["l1"]) { cart { id } userErrors { message } } }`, map[string]any{"c": cart}).ok(t)
	r = do(t, m, `query($c: ID!) { cart(id: $c) { id note } }`, map[string]any{"c": cart}).ok(t)
	if at(r.Data, "cart", "note") != "wrapped" {
		t.Errorf("cart after note update and lines removed: %s", r.raw)
	}

	// List, filtered by a search string, then paged.
	products := []store.Record{
		{"id": "p1", "title": "Blue Mug", "vendor": "Acme", "productType": "mug", "tags": []any{"kitchen"}, "description": "ceramic", "createdAt": "2024-01-10T00:00:00Z"},
		{"id": "p2", "title": "Red Plate", "vendor": "Acme", "productType": "plate", "tags": []any{"kitchen"}, "description": "ceramic", "createdAt": "2024-02-10T00:00:00Z"},
		{"id": "p3", "title": "White Mug", "vendor": "Mugly", "productType": "mug", "tags": []any{"office"}, "description": "porcelain", "createdAt": "2024-03-10T00:00:00Z"},
		{"id": "p4", "title": "Black Mug", "vendor": "Acme", "productType": "mug", "tags": []any{"kitchen", "sale"}, "description": "stoneware", "createdAt": "2024-04-10T00:00:00Z"},
	}
	if _, err := m.Seed("Product", products); err != nil {
		t.Fatal(err)
	}
	// The 2021-10 storefront's PageInfo has no endCursor: the last edge's
	// cursor is the next page's after.
	list := func(q string, vars map[string]any) ([]any, map[string]any) {
		t.Helper()
		r := do(t, m, q, vars).ok(t)
		edges := at(r.Data, "products", "edges").([]any)
		info := at(r.Data, "products", "pageInfo").(map[string]any)
		if len(edges) > 0 {
			info["endCursor"] = at(edges, len(edges)-1, "cursor")
		}
		return field(edges, "node"), info
	}
	const page = `query($q: String, $after: String) { products(first: 2, after: $after, query: $q) {
		edges { cursor node { id title } } pageInfo { hasNextPage hasPreviousPage } } }`
	for _, tt := range []struct {
		q    string
		want []any
	}{
		{`title:*`, nil}, // "*" alone is a value, not a prefix: no title is *
		{`vendor:acme product_type:mug`, []any{"p1", "p4"}},
		{`title:"white mug"`, []any{"p3"}},
		{`tag:kitchen -tag:sale`, []any{"p1", "p2"}},
		{`mug created_at:>=2024-03-01`, []any{"p3", "p4"}},
		{`vendor:mugly OR tag:sale`, []any{"p3", "p4"}},
		{`porcelain`, []any{"p3"}},
	} {
		var got []any
		for after := any(nil); ; {
			nodes, info := list(page, map[string]any{"q": tt.q, "after": after})
			got = append(got, field(nodes, "id")...)
			if info["hasNextPage"] != true {
				break
			}
			after = info["endCursor"]
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) && !(len(got) == 0 && tt.want == nil) {
			t.Errorf("products(query: %q), all pages: %v; want %v", tt.q, got, tt.want)
		}
	}
	nodes, info := list(page, map[string]any{"q": "tag:kitchen"})
	if fmt.Sprint(field(nodes, "id")) != "[p1 p2]" || info["hasNextPage"] != true || info["hasPreviousPage"] != false {
		t.Errorf("first page of tag:kitchen: %v %v", nodes, info)
	}
	nodes, info = list(page, map[string]any{"q": "tag:kitchen", "after": "p2"})
	if fmt.Sprint(field(nodes, "id")) != "[p4]" || info["hasNextPage"] != false || info["hasPreviousPage"] != true {
		t.Errorf("second page of tag:kitchen: %v %v", nodes, info)
	}
	// A term naming no field is answered without, and said so.
	nodes, _ = list(`{ products(first: 10, query: "colour:blue vendor:mugly") { edges { node { id } } pageInfo { hasNextPage } } }`, nil)
	if fmt.Sprint(field(nodes, "id")) != "[p3]" || fmt.Sprint(ignored(m)) != "[products(query:) colour:blue]" {
		t.Errorf("an unreadable term: %v, ignored %q", field(nodes, "id"), ignored(m))
	}
}

// GitHub: a repository and issues created, issues updated, found by id
// and by a search string (qualifiers included) across the search union,
// listed in pages.
func TestCorpusStateGitHub(t *testing.T) {
	t.Parallel()
	m := statefulCorpus(t, "github__schema.graphql")
	hasCollections(t, m, "Repository", "Issue")
	r := do(t, m, `mutation { createRepository(input: {name: "hello", visibility: PUBLIC}) { repository { id name } } }`, nil).ok(t)
	repo := at(r.Data, "createRepository", "repository", "id").(string)
	var issues []any
	for _, title := range []string{"bug: crash on start", "feature: dark mode", "bug: typo in README"} {
		r := do(t, m, `mutation($r: ID!, $t: String!) { createIssue(input: {repositoryId: $r, title: $t}) { issue { id title repository { name } } } }`,
			map[string]any{"r": repo, "t": title}).ok(t)
		if at(r.Data, "createIssue", "issue", "repository", "name") != "hello" {
			t.Errorf("createIssue: the issue's repository is not the one created: %s", r.raw)
		}
		issues = append(issues, at(r.Data, "createIssue", "issue", "id"))
	}
	// Update: one closed, one open and retitled.
	do(t, m, `mutation($id: ID!) { updateIssue(input: {id: $id, state: CLOSED}) { issue { id } } }`, map[string]any{"id": issues[0]}).ok(t)
	r = do(t, m, `mutation($id: ID!) { updateIssue(input: {id: $id, state: OPEN, title: "feature: dark mode, again"}) { issue { id title state } } }`,
		map[string]any{"id": issues[1]}).ok(t)
	if at(r.Data, "updateIssue", "issue", "title") != "feature: dark mode, again" || at(r.Data, "updateIssue", "issue", "state") != "OPEN" {
		t.Errorf("updateIssue: %s", r.raw)
	}
	// Find by argument: nodes(ids:), which also tells the state each issue
	// shows (the third one's is generated, as GitHub's input has none).
	r = do(t, m, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Issue { id title state } } }`, map[string]any{"ids": issues}).ok(t)
	var open, closed []any
	for _, n := range at(r.Data, "nodes").([]any) {
		if at(n, "state") == "OPEN" {
			open = append(open, at(n, "id"))
		} else {
			closed = append(closed, at(n, "id"))
		}
	}
	if !slices.Contains(closed, issues[0]) || !slices.Contains(open, issues[1]) || len(open)+len(closed) != 3 {
		t.Fatalf("nodes(ids:): %s", r.raw)
	}
	search := func(q string, first int, after any) ([]any, map[string]any, any) {
		t.Helper()
		r := do(t, m, `query($q: String!, $n: Int, $after: String) { search(query: $q, type: ISSUE, first: $n, after: $after) {
			issueCount nodes { ... on Issue { id } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"q": q, "n": first, "after": after}).ok(t)
		return field(at(r.Data, "search", "nodes"), "id"), at(r.Data, "search", "pageInfo").(map[string]any), at(r.Data, "search", "issueCount")
	}
	for _, tt := range []struct {
		q    string
		want []any
	}{
		{"is:open", open},
		{"is:closed", closed},
		{"state:closed", closed},
		{"is:issue", issues},
		{"bug", []any{issues[0], issues[2]}},
		{`"dark mode"`, []any{issues[1]}},
		{"bug -is:closed", without(open, issues[1])},
		{"title:feature*", []any{issues[1]}},
		{"repository.name:hello is:open", open},
		{"repository.name:other", nil},
	} {
		got, _, count := search(tt.q, 10, nil)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) && !(len(got) == 0 && len(tt.want) == 0) || count != float64(len(tt.want)) {
			t.Errorf("search(query: %q): %v (issueCount %v); want %v", tt.q, got, count, tt.want)
		}
	}
	// List in pages of one.
	var all []any
	for after := any(nil); ; {
		got, info, count := search("is:issue", 1, after)
		if len(got) != 1 || count != 3.0 {
			t.Fatalf("a page of one: %v of %v", got, count)
		}
		all = append(all, got...)
		if info["hasNextPage"] != true {
			break
		}
		after = info["endCursor"]
	}
	if fmt.Sprint(all) != fmt.Sprint(issues) {
		t.Errorf("pages of is:issue: %v; want %v", all, issues)
	}
	// The repository, found by name (its owner cannot be read: it is
	// generated), lists its issues filtered by states and paged.
	r = do(t, m, `{ repository(owner: "octo", name: "hello") { id issues(states: [OPEN], first: 10) { totalCount nodes { id } }
		closedOne: issues(states: [CLOSED], first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } } }`, nil).ok(t)
	if at(r.Data, "repository", "id") != repo || fmt.Sprint(field(at(r.Data, "repository", "issues", "nodes"), "id")) != fmt.Sprint(open) ||
		at(r.Data, "repository", "closedOne", "totalCount") != float64(len(closed)) || at(r.Data, "repository", "closedOne", "nodes", 0, "id") != closed[0] ||
		at(r.Data, "repository", "closedOne", "pageInfo", "hasNextPage") != (len(closed) > 1) {
		t.Errorf("repository.issues: %s; want open %v, closed %v", r.raw, open, closed)
	}
	if fmt.Sprint(ignored(m)) != "[repository(owner:)]" {
		t.Errorf("repository(owner:) not marked ignored: %q", ignored(m))
	}
	// An input object filter: its fields read as arguments; one the mock
	// cannot read is answered without, one left at its default silently.
	r = do(t, m, `{ repository(name: "hello", owner: "octo") { issues(first: 10, filterBy: {states: [CLOSED], createdBy: "octocat"}) { nodes { id } } } }`, nil).ok(t)
	if fmt.Sprint(field(at(r.Data, "repository", "issues", "nodes"), "id")) != fmt.Sprint(closed) ||
		fmt.Sprint(ignored(m)) != "[repository(owner:) issues(filterBy.createdBy:)]" {
		t.Errorf("issues(filterBy:): %s, ignored %q; want %v", r.raw, ignored(m), closed)
	}
	r = do(t, m, `{ repository(owner: "octo", name: "nope") { id } }`, nil).ok(t)
	if v, ok := r.Data["repository"]; !ok || v != nil {
		t.Errorf("a repository of another name: %s", r.raw)
	}
	// GitHub's repo: qualifier names no field of Issue: answered without, said so.
	if got, _, _ := search("repo:octo/hello is:closed", 10, nil); fmt.Sprint(got) != fmt.Sprint(closed) ||
		fmt.Sprint(ignored(m)) != "[search(query:) repo:octo/hello]" {
		t.Errorf("repo: qualifier: %v, ignored %q", got, ignored(m))
	}
}

func without(l []any, x any) []any {
	return slices.DeleteFunc(slices.Clone(l), func(e any) bool { return e == x })
}

// monday.com: a board and items created (item_name stored as the item's
// name), found by ids, a column value changed, updates created and edited,
// items listed by page.
func TestCorpusStateMonday(t *testing.T) {
	t.Parallel()
	m := statefulCorpus(t, "monday__schema.graphql")
	hasCollections(t, m, "Board", "Item", "Update")
	r := do(t, m, `mutation { create_board(board_name: "Roadmap", board_kind: public) { id name } }`, nil).ok(t)
	board := at(r.Data, "create_board", "id").(string)
	if at(r.Data, "create_board", "name") != "Roadmap" {
		t.Errorf("create_board: the board_name is not the board's name: %s", r.raw)
	}
	var items []any
	for _, name := range []string{"Design", "Build", "Ship"} {
		r := do(t, m, `mutation($b: ID!, $n: String!) { create_item(board_id: $b, item_name: $n) { id name board { name } } }`,
			map[string]any{"b": board, "n": name}).ok(t)
		if at(r.Data, "create_item", "name") != name || at(r.Data, "create_item", "board", "name") != "Roadmap" {
			t.Errorf("create_item: %s", r.raw)
		}
		items = append(items, at(r.Data, "create_item", "id"))
	}
	names := func(q string, vars map[string]any) string {
		t.Helper()
		return fmt.Sprint(field(at(do(t, m, q, vars).ok(t).Data, "items"), "name"))
	}
	if got := names(`query($ids: [ID!]) { items(ids: $ids) { name } }`, map[string]any{"ids": []any{items[2], items[0]}}); got != "[Design Ship]" {
		t.Errorf("items(ids:) = %s; want [Design Ship]", got)
	}
	if got := names(`{ items(limit: 2, page: 2) { name } }`, nil); got != "[Ship]" {
		t.Errorf("items(limit: 2, page: 2) = %s; want [Ship]", got)
	}
	if got := names(`query($ids: [ID!]) { items(ids: $ids, limit: 1, page: 2) { name } }`, map[string]any{"ids": items[1:]}); got != "[Ship]" {
		t.Errorf("items(ids:, limit: 1, page: 2) = %s; want [Ship]", got)
	}
	// Update: a column value changed on the item named by item_id.
	do(t, m, `mutation($b: ID!, $i: ID) { change_simple_column_value(board_id: $b, item_id: $i, column_id: "status", value: "Done") { id } }`,
		map[string]any{"b": board, "i": items[1]}).ok(t)
	snap, _ := m.Store().Snapshot("Item")
	if len(snap) != 3 || snap[1]["value"] != "Done" || snap[1]["column_id"] != "status" || snap[1]["name"] != "Build" {
		t.Errorf("Item collection after change_simple_column_value: %v", snap)
	}
	// Updates (monday's comments): created, edited, found by ids.
	var ups []any
	for _, body := range []string{"first", "second"} {
		r := do(t, m, `mutation($i: ID, $b: String!) { create_update(item_id: $i, body: $b) { id body } }`, map[string]any{"i": items[0], "b": body}).ok(t)
		ups = append(ups, at(r.Data, "create_update", "id"))
	}
	do(t, m, `mutation($id: ID!) { edit_update(id: $id, body: "second, edited") { id } }`, map[string]any{"id": ups[1]}).ok(t)
	r = do(t, m, `query($ids: [ID!]) { updates(ids: $ids) { id body } }`, map[string]any{"ids": ups[1:]}).ok(t)
	if fmt.Sprint(field(at(r.Data, "updates"), "body")) != "[second, edited]" {
		t.Errorf("updates(ids:) after edit_update: %s", r.raw)
	}
	// boards(state: active) is the default: boards not storing a state pass it.
	r = do(t, m, `{ boards { id name } }`, nil).ok(t)
	if fmt.Sprint(field(at(r.Data, "boards"), "name")) != "[Roadmap]" {
		t.Errorf("boards: %s", r.raw)
	}
}
