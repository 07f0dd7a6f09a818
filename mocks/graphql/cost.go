package graphql

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Codes of the GraphQL errors of cost mode (WithRateLimit with
// toolkit.RateLimitOptions.Cost), as Shopify names them.
const (
	CodeThrottled       = "THROTTLED"
	CodeMaxCostExceeded = "MAX_COST_EXCEEDED"
)

// Costs of cost mode, Shopify's: a scalar or enum field costs 0, an object
// field 1 plus its selection's (an interface or union field 1 plus the most
// expensive of its possible types' selections; a list of objects that is
// not a connection as one object), a Relay connection (edges { node } or
// nodes) ConnectionCost plus its page size times the cost of one item (its
// edge's selection, 1 for each node), a mutation's root field MutationCost.
const (
	ConnectionCost = 2
	MutationCost   = 10
	// DefaultPageSize is the page size charged for a connection asked for
	// with neither first nor last when the schema gives them no default:
	// Shopify's largest page. Shopify refuses such a connection; the mock
	// answers it and charges the worst case.
	DefaultPageSize = 250
)

// costLimit is WithRateLimit's bucket in cost mode.
type costLimit struct {
	l    *toolkit.RateLimiter
	size int // the bucket size: the most a single query may cost
}

// costReport is extensions.cost, as Shopify names its fields.
type costReport struct {
	Requested int
	Actual    *int // null when the query did not run
	Status    toolkit.BucketStatus
}

// MarshalJSON writes the report with throttleStatus.
func (c *costReport) MarshalJSON() ([]byte, error) {
	type status struct {
		Maximum     float64 `json:"maximumAvailable"`
		Available   float64 `json:"currentlyAvailable"`
		RestoreRate float64 `json:"restoreRate"`
	}
	return json.Marshal(struct {
		Requested int    `json:"requestedQueryCost"`
		Actual    *int   `json:"actualQueryCost"`
		Throttle  status `json:"throttleStatus"`
	}{c.Requested, c.Actual, status(c.Status)})
}

// runCosted is run in cost mode: the request's requested cost is charged
// to its credential's bucket before it executes, and what it did not use
// refunded after. A query costing more than the bucket holds is refused
// with CodeMaxCostExceeded, one the bucket cannot pay now with
// CodeThrottled (journaled Throttled); both are 200 and never executed.
// Every answer carries extensions.cost; a request that is not a valid
// operation costs nothing.
func (m *Mock) runCosted(r *http.Request, p plan, status int, resp response, entry *toolkit.Entry) (int, response, *toolkit.KeyClaim) {
	c := m.opts.cost
	if p.op == nil {
		st, _ := c.l.Charge(r, 0)
		zero := 0
		resp.cost = &costReport{Actual: &zero, Status: st}
		return status, resp, nil
	}
	ex := &execution{ctx: r.Context(), m: m, schema: m.schema, doc: p.doc, op: p.op, vars: p.vars}
	requested := ex.requestedCost()
	if requested > c.size {
		st, _ := c.l.Charge(r, 0)
		ge := codedError(fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, c.size), CodeMaxCostExceeded)
		ge.Extensions["cost"], ge.Extensions["maxCost"] = requested, c.size
		return http.StatusOK, response{Errors: gqlerror.List{ge}, cost: &costReport{Requested: requested, Status: st}}, nil
	}
	st, ok := c.l.Charge(r, float64(requested))
	if !ok {
		entry.Throttled = true
		return http.StatusOK, response{Errors: gqlerror.List{codedError("Throttled", CodeThrottled)}, cost: &costReport{Requested: requested, Status: st}}, nil
	}
	// A repeat answered from its idempotency key costs what it requested,
	// as any other; one refused for its key ran nothing and costs nothing.
	claim, refusedStatus, ge := m.claim(r, p, entry)
	switch {
	case ge != nil:
		st = c.l.Refund(r, float64(requested))
		return refusedStatus, response{Errors: gqlerror.List{ge}, cost: &costReport{Requested: requested, Status: st}}, nil
	case claim != nil && claim.Standing == toolkit.KeyRepeat:
		return 0, response{}, claim
	}
	data, errs := m.execute(r.Context(), p, entry)
	actual := min(ex.actualCost(data), requested)
	st = c.l.Refund(r, float64(requested-actual))
	return http.StatusOK, response{Data: data, Errors: errs, hasData: true, limit: m.opts.limits.MaxAnswerBytes, cost: &costReport{Requested: requested, Actual: &actual, Status: st}}, claim
}

// requestedCost is the cost of ex's operation before it runs: each
// connection at its full page (first or last, else their default in the
// schema, else DefaultPageSize), each interface and union at its most
// expensive possible type. A mutation costs MutationCost per root field;
// what its fields select is not charged.
func (ex *execution) requestedCost() (cost int) {
	defer func() {
		if recover() != nil { // an argument that does not coerce: validated away
			cost = 0
		}
	}()
	root := ex.rootType()
	if root == nil {
		return 0
	}
	if ex.op.Operation == ast.Mutation {
		n := 0
		for _, g := range ex.groups(root, ex.op.SelectionSet) {
			if root.Fields.ForName(g.fields[0].Name) != nil && !strings.HasPrefix(g.fields[0].Name, "__") {
				n++
			}
		}
		return MutationCost * n
	}
	return clampCost(ex.selectionCost(root, ex.op.SelectionSet))
}

// actualCost is the cost of what data, the answer to ex's operation,
// holds: a connection charges the items it returned, an object field that
// came out null its own point and none of its selection's, an interface or
// union the most expensive possible type its answer fits. A mutation costs
// what it requested.
func (ex *execution) actualCost(data any) (cost int) {
	defer func() {
		if recover() != nil {
			cost = 0
		}
	}()
	if ex.op.Operation == ast.Mutation {
		return ex.requestedCost()
	}
	root := ex.rootType()
	obj, _ := data.(*orderedObject)
	if root == nil || obj == nil {
		return 0
	}
	return clampCost(ex.answerCost(root, ex.op.SelectionSet, obj))
}

func (ex *execution) rootType() *ast.Definition {
	switch ex.op.Operation {
	case ast.Mutation:
		return ex.schema.Mutation
	case ast.Subscription:
		return ex.schema.Subscription
	}
	return ex.schema.Query
}

// clampCost turns a float cost (deeply nested pages overflow ints) into
// the int the answer reports.
func clampCost(c float64) int {
	return int(min(c, math.MaxInt32))
}

// selectionCost is the requested cost of sel on typ, computed once per
// type and selection: an interface's possible types each select the same
// fields again, and nested interfaces would multiply them.
func (ex *execution) selectionCost(typ *ast.Definition, sel ast.SelectionSet) float64 {
	if len(sel) == 0 {
		return 0
	}
	k := groupKey{typ: typ, sel: &sel[0], n: len(sel)}
	if c, ok := ex.costs[k]; ok {
		return c
	}
	c := ex.computeCost(typ, sel)
	if ex.costs == nil {
		ex.costs = map[groupKey]float64{}
	}
	ex.costs[k] = c
	return c
}

func (ex *execution) computeCost(typ *ast.Definition, sel ast.SelectionSet) float64 {
	if typ.IsAbstractType() {
		var most float64
		for _, p := range ex.schema.GetPossibleTypes(typ) {
			most = max(most, ex.selectionCost(p, sel))
		}
		return most
	}
	var total float64
	for _, g := range ex.groups(typ, sel) {
		named := ex.fieldType(typ, g)
		if named == nil {
			continue
		}
		sub := merged(g.fields)
		if edge, node := ex.connection(named); edge != nil || node != nil {
			total += ConnectionCost + ex.pageSize(g.fields[0])*ex.itemCost(named, sub)
			continue
		}
		total += 1 + ex.selectionCost(named, sub)
	}
	return total
}

// itemCost is the cost of one item of the connection conn selected by sel:
// its edge's selection (node is an object field, cursor a scalar) and its
// node in nodes (1 plus its selection). The connection's own fields
// (pageInfo, totalCount) are in its ConnectionCost.
func (ex *execution) itemCost(conn *ast.Definition, sel ast.SelectionSet) float64 {
	var total float64
	for _, g := range ex.groups(conn, sel) {
		def := conn.Fields.ForName(g.fields[0].Name)
		if def == nil || def.Type.Elem == nil {
			continue // pageInfo, totalCount: the connection's own points
		}
		item := ex.schema.Types[def.Type.Name()]
		switch def.Name {
		case "edges":
			total += ex.selectionCost(item, merged(g.fields))
		case "nodes":
			total += 1 + ex.selectionCost(item, merged(g.fields))
		}
	}
	return total
}

// fieldType returns the type g's field on typ returns when that is an
// object, interface or union; nil otherwise: a scalar, an enum or a meta
// field (__typename), which cost nothing.
func (ex *execution) fieldType(typ *ast.Definition, g *fieldGroup) *ast.Definition {
	def := typ.Fields.ForName(g.fields[0].Name)
	if def == nil {
		return nil
	}
	named := ex.schema.Types[def.Type.Name()]
	if named == nil || (named.Kind != ast.Object && !named.IsAbstractType()) {
		return nil
	}
	return named
}

// connection returns the edge type (edges { node }) and the node type
// (nodes: [T]) of a Relay connection type, nil when t is not one.
func (ex *execution) connection(t *ast.Definition) (edge, node *ast.Definition) {
	if t.Kind != ast.Object {
		return nil, nil
	}
	if f := t.Fields.ForName("edges"); f != nil && f.Type.Elem != nil {
		if e := ex.schema.Types[f.Type.Name()]; e != nil && e.Fields.ForName("node") != nil {
			edge = e
		}
	}
	if f := t.Fields.ForName("nodes"); f != nil && f.Type.Elem != nil {
		if n := ex.schema.Types[f.Type.Name()]; n != nil && (n.Kind == ast.Object || n.IsAbstractType()) {
			node = n
		}
	}
	return edge, node
}

// pageSize is the page a connection field asks for: the larger of first
// and last, else DefaultPageSize.
func (ex *execution) pageSize(f *ast.Field) float64 {
	args := f.ArgumentMap(ex.vars)
	size, asked := 0.0, false
	for _, k := range []string{"first", "last"} {
		if n, ok := number(args[k]); ok {
			size, asked = max(size, n), true
		}
	}
	if !asked {
		return DefaultPageSize
	}
	return size
}

// answerCost is the actual cost of sel on typ answered by obj.
func (ex *execution) answerCost(typ *ast.Definition, sel ast.SelectionSet, obj *orderedObject) float64 {
	if typ.IsAbstractType() {
		var most float64
		for _, p := range ex.schema.GetPossibleTypes(typ) {
			most = max(most, ex.answerCost(p, sel, obj))
		}
		return most
	}
	var total float64
	for _, g := range ex.groups(typ, sel) {
		named := ex.fieldType(typ, g)
		if named == nil {
			continue
		}
		v, present := obj.get(g.key)
		if !present {
			continue // cut short: a null propagated, or the answer was too large
		}
		sub := merged(g.fields)
		if edge, node := ex.connection(named); edge != nil || node != nil {
			total += ConnectionCost
			if conn, ok := v.(*orderedObject); ok {
				total += ex.itemsCost(named, sub, conn)
			}
			continue
		}
		total++
		total += ex.valueCost(named, sub, v)
	}
	return total
}

// valueCost is the cost of the selection of an object field answered v:
// nothing for null, the most expensive item for a list.
func (ex *execution) valueCost(typ *ast.Definition, sel ast.SelectionSet, v any) float64 {
	switch x := v.(type) {
	case *orderedObject:
		return ex.answerCost(typ, sel, x)
	case []any:
		var most float64
		for _, it := range x {
			most = max(most, ex.valueCost(typ, sel, it))
		}
		return most
	}
	return 0
}

// itemsCost is the actual cost of the items a connection answered: each
// edge's selection and each node in nodes (1 plus its selection).
func (ex *execution) itemsCost(conn *ast.Definition, sel ast.SelectionSet, obj *orderedObject) float64 {
	var total float64
	for _, g := range ex.groups(conn, sel) {
		def := conn.Fields.ForName(g.fields[0].Name)
		if def == nil || def.Type.Elem == nil || (def.Name != "edges" && def.Name != "nodes") {
			continue
		}
		v, _ := obj.get(g.key)
		items, _ := v.([]any)
		item := ex.schema.Types[def.Type.Name()]
		for _, it := range items {
			if def.Name == "nodes" {
				total++
			}
			total += ex.valueCost(item, merged(g.fields), it)
		}
	}
	return total
}
