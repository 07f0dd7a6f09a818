package store

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Collection is one resource of a contract that the store keeps records for.
// Paths are templates exactly as in the contract's Paths (without the server's
// base path). Operation fields hold the operation id, or "METHOD path" when
// the operation has none; they are empty when the contract lacks that
// operation.
type Collection struct {
	Name     string // "orders", "customers.addresses": literal segments joined by dots, version segments dropped
	ListPath string // "/customers/{cid}/addresses"; empty when the contract has no list path
	ItemPath string // "/customers/{cid}/addresses/{id}"; empty when the contract has no item path

	IDParam string // the item path's last parameter ("id"); empty without an item path
	IDField string // the record property that holds the id, see Infer
	// Key, when set, are the properties whose values together key a
	// record, as a vendor's rows keyed by several fields (a stock row is
	// sku + warehouse): two records differing in any of them are two
	// records. Infer never sets it; a mock declaration does. The id the
	// store's methods take is then KeyID of the values, in Key's order.
	Key []string
	// Stamps are the fields the store writes on every create and update
	// (see Stamp), beside the timestamps it finds in the item schema.
	// Infer never sets them; a mock declaration does.
	Stamps []Stamp
	// CAS, when set, is the vendor's compare-and-set rule on the
	// collection (see CompareAndSet): a created record that sets no
	// CAS.Field holds CAS.Initial. Infer never sets it; a mock declaration
	// does.
	CAS          *CompareAndSet
	ParentParams []string // the parent path parameters in path order, named as in ListPath (else ItemPath)
	Parent       string   // the collection whose item path this one nests under ("customers" for /customers/{id}/addresses); empty when none

	ItemSchema *openapi3.Schema // the schema of one record; nil when the contract declares none
	IDSchema   *openapi3.Schema // the schema of the id property (or of the id parameter); may be nil
	// References maps a property of the record to the top-level collection
	// whose id it holds: an invoice's "customer" (or "customer_id") names a
	// record of "customers". A mock with references checked refuses a write
	// that names a record the collection does not hold, as the vendor does.
	References map[string]string

	// IDParamSchema is the schema of the item path's id parameter, when the
	// id property has one too: the ids the store makes fit both, so a record
	// can be fetched at the URL its own id makes (PayPal's order id is a
	// plain string in the body but ^[A-Z0-9]+$ in the path). May be nil.
	IDParamSchema *openapi3.Schema

	CreateOp string // POST on the list path
	ListOp   string // GET on the list path
	GetOp    string // GET on the item path
	PutOp    string // PUT on the item path: replace
	PatchOp  string // PATCH on the item path: JSON merge patch
	UpdateOp string // POST on the item path: a partial update, as Stripe and Twilio do
	DeleteOp string // DELETE on the item path

	// PutCreates says PUT on the item path also creates the record when it
	// is absent, keyed by the path (an upsert): the operation declares a
	// 201, or says it creates or updates. Otherwise PUT on an absent record
	// is a 404.
	PutCreates bool

	List ListShape // how GET on the list path answers
}

// ParentValues returns the parent key of a request: the values of the
// collection's parent path parameters, in path order. template is the path
// template the request matched (c.ListPath or c.ItemPath) and params the path
// parameters the router extracted from it. The list and item paths may name
// their parameters differently; the position is what counts. It returns nil
// for a top-level collection.
func (c Collection) ParentValues(template string, params map[string]string) []string {
	names := templateParams(template)
	if template == c.ItemPath && c.ItemPath != "" && len(names) > 0 {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil
	}
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = params[n]
	}
	return vals
}

// IDOf returns the id of rec as a string (the form Get, Replace, Patch and
// Delete take), and whether rec has one.
func (c Collection) IDOf(rec Record) (string, bool) {
	if len(c.Key) > 0 {
		vals := make([]string, len(c.Key))
		for i, k := range c.Key {
			v, ok := rec[k]
			if !ok || v == nil {
				return "", false
			}
			vals[i] = idString(v)
		}
		return KeyID(vals...), true
	}
	v, ok := rec[c.idField()]
	if !ok || v == nil {
		return "", false
	}
	return idString(v), true
}

// keySep separates the values of a key of several fields in its id.
const keySep = "\x1f"

// KeyID is the id of a record keyed by several fields (Collection.Key):
// their values, in Key's order. A key of one value is that value.
func KeyID(vals ...string) string { return strings.Join(vals, keySep) }

// keyValues splits an id made by KeyID into the values of c.Key; nil when
// it does not hold as many.
func (c Collection) keyValues(id string) []string {
	vals := strings.Split(id, keySep)
	if len(vals) != len(c.Key) {
		return nil
	}
	return vals
}

func (c Collection) idField() string {
	if c.IDField != "" {
		return c.IDField
	}
	return "id"
}

// Infer finds the collections of an OpenAPI document from its paths: a list
// path (/orders) with the item path whose last segment is a parameter
// (/orders/{id}), nested resources keyed by their parent parameters, a list
// path alone when its GET answers a list, and an item path alone when it can
// be read or written. Paths ending in a parameter whose only operation is a
// GET answering a list wrapper (HubSpot's /business-units/user/{userId}) are
// list paths under a parent. A list path with only a POST and no item path is
// an action, not a collection.
//
// IDField is chosen in this order: the property named like the item path's
// last parameter (compared without case, "_" and "-": Twilio's {Sid} is
// "sid"); else "id" in any case; else the first required property ending in
// "id", "Id" or "_id" that the list does not require as a filter; else the
// parameter's name; else "id".
//
// The result is sorted by name; names that would repeat get a "-2", "-3"
// suffix in path order. Infer never fails: what it cannot read it leaves out.
func Infer(doc *openapi3.T) []Collection {
	if doc == nil || doc.Paths == nil {
		return nil
	}
	groups := map[string]*group{}
	var order []string
	paths := doc.Paths.Keys()
	sort.Strings(paths)
	known := map[string]bool{}
	for _, p := range paths {
		known[normalise(splitPath(p))] = true
	}
	for _, p := range paths {
		pi := doc.Paths.Value(p)
		if pi == nil || len(pi.Operations()) == 0 {
			continue
		}
		key, isItem := classify(p, pi, known)
		g := groups[key]
		if g == nil {
			g = &group{key: key}
			groups[key] = g
			order = append(order, key)
		}
		if isItem && g.item == "" {
			g.item, g.itemPI = p, pi
		} else if !isItem && g.list == "" {
			g.list, g.listPI = p, pi
		}
	}
	var out []Collection
	used := map[string]int{}
	for _, key := range order {
		c, ok := groups[key].collection()
		if !ok {
			continue
		}
		used[c.Name]++
		if n := used[c.Name]; n > 1 {
			c.Name += "-" + strconv.Itoa(n)
		}
		out = append(out, c)
	}
	linkParents(out)
	linkReferences(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// linkReferences sets References: a property of a record whose name is
// another top-level collection's singular ("customer" for "customers"), with
// or without an id suffix ("customer_id", "customerId"), and whose value
// can be a string or an integer, holds that collection's ids. Stripe's
// expandable fields (a string id or the object) count.
func linkReferences(colls []Collection) {
	bySingular := map[string]string{}
	for _, c := range colls {
		if len(c.ParentParams) > 0 || c.CreateOp == "" && c.GetOp == "" {
			continue
		}
		segs := strings.Split(c.Name, ".")
		one := singular(norm(segs[len(segs)-1]))
		if _, taken := bySingular[one]; taken {
			bySingular[one] = "" // two collections of that name: ambiguous
			continue
		}
		bySingular[one] = c.Name
	}
	for i := range colls {
		c := &colls[i]
		for name, ref := range properties(c.ItemSchema) {
			if name == c.idField() || ref == nil || !holdsID(ref.Value) || !namesARecord(name, ref.Value) {
				continue
			}
			n := norm(name)
			target, ok := bySingular[strings.TrimSuffix(n, "id")]
			if !ok || target == "" {
				target, ok = bySingular[n]
			}
			if !ok || target == "" || target == c.Name {
				continue
			}
			if c.References == nil {
				c.References = map[string]string{}
			}
			c.References[name] = target
		}
	}
}

// namesARecord reports whether a property named for a collection holds the
// id of one of its records rather than some other value of that name
// (Postmark's sender "Domain" is a domain name, not a domain's id): its name
// ends in id, or it is expandable (the id or the object, Stripe's way), or
// its description says it is an id.
func namesARecord(name string, s *openapi3.Schema) bool {
	if strings.HasSuffix(norm(name), "id") {
		return true
	}
	for _, alt := range alternatives(s) {
		if alt.Type.Includes("object") || len(alt.Properties) > 0 {
			return true
		}
	}
	return idWord.MatchString(s.Description)
}

var idWord = regexp.MustCompile(`(?i)\b(id|identifier)\b`)

// singular is the English singular of a collection name, as APIs name them.
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 3:
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return s[:len(s)-1]
	}
	return s
}

// holdsID reports whether a property can hold an id: a string or an
// integer, or any of alternatives one of which is.
func holdsID(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	if s.Type.Includes("string") || s.Type.Includes("integer") {
		return s.Format == "" || s.Format == "uuid"
	}
	for _, alt := range alternatives(s) {
		if alt.Type.Includes("string") || alt.Type.Includes("integer") {
			return true
		}
	}
	return false
}

// alternatives are the schemas of s's anyOf and oneOf that are set.
func alternatives(s *openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	for _, ref := range append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...) {
		if ref != nil && ref.Value != nil {
			out = append(out, ref.Value)
		}
	}
	return out
}

// linkParents sets Parent: the collection whose item path is the prefix of
// this one's paths up to their last parameter.
func linkParents(colls []Collection) {
	byItem := map[string]string{}
	for _, c := range colls {
		if c.ItemPath != "" {
			byItem[normalise(splitPath(c.ItemPath))] = c.Name
		}
	}
	for i, c := range colls {
		if len(c.ParentParams) == 0 {
			continue
		}
		t := c.ListPath
		if t == "" {
			t = c.ItemPath
		}
		segs := splitPath(t)
		if t == c.ItemPath {
			segs = segs[:len(segs)-1]
		}
		last := -1
		for j, seg := range segs {
			if isParam(seg) {
				last = j
			}
		}
		if last >= 0 {
			colls[i].Parent = byItem[normalise(segs[:last+1])]
		}
	}
}

// group gathers the list and item paths that share a normalised list template.
type group struct {
	key            string
	list, item     string
	listPI, itemPI *openapi3.PathItem
}

// classify returns the normalised list template a path belongs to and
// whether the path is an item path. known holds every normalised template of
// the contract: a path ending in a parameter under an existing list path is
// an item path, whatever its GET answers.
func classify(p string, pi *openapi3.PathItem, known map[string]bool) (string, bool) {
	segs := splitPath(p)
	if len(segs) == 0 || !isParam(segs[len(segs)-1]) {
		return normalise(segs), false
	}
	prefix := normalise(segs[:len(segs)-1])
	if !known[prefix] && onlyGetListing(pi) {
		return normalise(segs), false
	}
	return prefix, true
}

// onlyGetListing reports whether a path ending in a parameter is really a
// list under a parent: GET is its only operation and answers a bare array or
// a wrapper of a few properties, one a well-known list array, none an id.
func onlyGetListing(pi *openapi3.PathItem) bool {
	if len(pi.Operations()) != 1 || pi.Get == nil {
		return false
	}
	s := responseSchema(pi.Get)
	if s == nil {
		return false
	}
	if s.Type.Includes("array") {
		return true
	}
	props := properties(s)
	if len(props) == 0 || len(props) > 6 {
		return false
	}
	if hasIDProperty(s) {
		return false
	}
	for name, ref := range props {
		if listNames[norm(name)] && ref != nil && ref.Value != nil && ref.Value.Type.Includes("array") {
			return true
		}
	}
	return false
}

func (g *group) collection() (Collection, bool) {
	c := Collection{ListPath: g.list, ItemPath: g.item}
	if g.item != "" {
		c.IDParam = lastParam(g.item)
		c.GetOp = opName(g.itemPI.Get, http.MethodGet, g.item)
		c.PutOp = opName(g.itemPI.Put, http.MethodPut, g.item)
		c.PutCreates = putCreates(g.itemPI.Put)
		c.PatchOp = opName(g.itemPI.Patch, http.MethodPatch, g.item)
		c.UpdateOp = opName(g.itemPI.Post, http.MethodPost, g.item)
		c.DeleteOp = opName(g.itemPI.Delete, http.MethodDelete, g.item)
	}
	var listResp *openapi3.Schema
	if g.list != "" {
		c.CreateOp = opName(g.listPI.Post, http.MethodPost, g.list)
		if g.listPI.Get != nil {
			listResp = responseSchema(g.listPI.Get)
		}
	}
	c.ItemSchema = g.itemSchema(listResp)
	if g.list != "" && g.listPI.Get != nil {
		last := lastLiteral(g.list)
		if shape, ok := detectListShape(g.listPI.Get, g.listPI.Parameters, listResp, c.ItemSchema, last); ok && (g.item != "" || shape.strong(last)) {
			c.List = shape
			c.ListOp = opName(g.listPI.Get, http.MethodGet, g.list)
			if c.ItemSchema == nil {
				c.ItemSchema = shape.itemsSchema()
			}
		}
	}
	switch {
	case g.item == "" && c.ListOp == "":
		return c, false // a singleton or an action, not a collection
	case g.item != "" && g.list == "" && c.GetOp == "" && c.PutOp == "" && c.PatchOp == "" && c.DeleteOp == "":
		return c, false // only a POST on an item path: an action
	case g.item != "" && g.list == "" && c.GetOp != "" && c.ItemSchema != nil && !isObject(c.ItemSchema):
		return c, false // reads something that is not a record
	}
	c.Name = collectionName(g.key)
	if g.list != "" {
		c.ParentParams = templateParams(g.list)
	} else {
		ps := templateParams(g.item)
		c.ParentParams = ps[:len(ps)-1]
	}
	if len(c.ParentParams) == 0 {
		c.ParentParams = nil
	}
	var required map[string]bool
	if c.ListOp != "" {
		required = requiredQuery(append(append(openapi3.Parameters{}, g.listPI.Get.Parameters...), g.listPI.Parameters...))
	}
	c.IDField = chooseIDField(c.ItemSchema, c.IDParam, required)
	if c.ListOp != "" {
		c.List.detectFilters(append(append(openapi3.Parameters{}, g.listPI.Get.Parameters...), g.listPI.Parameters...), c.ItemSchema, c.IDField)
	}
	c.IDSchema = idSchema(c, g)
	if ps := idParamSchema(c, g); ps != c.IDSchema {
		c.IDParamSchema = ps
	}
	return c, true
}

// itemSchema picks the schema of one record: the GET item answer, the POST
// create answer, the list's array items, the POST create body, the PUT
// answer, the PUT body.
func (g *group) itemSchema(listResp *openapi3.Schema) *openapi3.Schema {
	var cands []*openapi3.Schema
	if g.itemPI != nil && g.itemPI.Get != nil {
		cands = append(cands, responseSchema(g.itemPI.Get))
	}
	if g.listPI != nil && g.listPI.Post != nil {
		cands = append(cands, responseSchema(g.listPI.Post))
	}
	if listResp != nil {
		if listResp.Type.Includes("array") && listResp.Items != nil {
			cands = append(cands, listResp.Items.Value)
		}
	}
	if g.listPI != nil && g.listPI.Post != nil {
		cands = append(cands, requestSchema(g.listPI.Post))
	}
	if g.itemPI != nil && g.itemPI.Put != nil {
		cands = append(cands, responseSchema(g.itemPI.Put), requestSchema(g.itemPI.Put))
	}
	for _, s := range cands {
		if s != nil && isObject(s) {
			return s
		}
	}
	return nil
}

func idSchema(c Collection, g *group) *openapi3.Schema {
	if ref := properties(c.ItemSchema)[c.IDField]; ref != nil && ref.Value != nil {
		return ref.Value
	}
	return idParamSchema(c, g)
}

// idParamSchema is the schema of the item path's id parameter, or nil.
func idParamSchema(c Collection, g *group) *openapi3.Schema {
	if g.itemPI == nil {
		return nil
	}
	params := append(openapi3.Parameters{}, g.itemPI.Parameters...)
	for _, op := range g.itemPI.Operations() {
		params = append(params, op.Parameters...)
	}
	for _, p := range params {
		if p != nil && p.Value != nil && p.Value.In == "path" && p.Value.Name == c.IDParam && p.Value.Schema != nil {
			return p.Value.Schema.Value
		}
	}
	return nil
}

// requiredQuery are the names, folded by norm, of the query parameters a
// list requires.
func requiredQuery(params openapi3.Parameters) map[string]bool {
	out := map[string]bool{}
	for _, ref := range params {
		if ref != nil && ref.Value != nil && ref.Value.In == "query" && ref.Value.Required {
			out[norm(ref.Value.Name)] = true
		}
	}
	return out
}

// chooseIDField picks the record property that holds the id (see Infer).
// A property the list requires as a filter is shared by every record it
// lists (Adyen's entityId on SCA associations): it is never taken for the
// id by its name alone.
func chooseIDField(item *openapi3.Schema, idParam string, requiredFilters map[string]bool) string {
	props := properties(item)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	if idParam != "" {
		for _, n := range names {
			if norm(n) == norm(idParam) {
				return n
			}
		}
	}
	for _, n := range names {
		if norm(n) == "id" {
			return n
		}
	}
	if item != nil {
		for _, n := range item.Required {
			if _, ok := props[n]; ok && !requiredFilters[norm(n)] && (strings.HasSuffix(n, "id") || strings.HasSuffix(n, "Id") || strings.HasSuffix(n, "ID")) {
				return n
			}
		}
	}
	if idParam != "" {
		return idParam
	}
	return "id"
}

func opName(op *openapi3.Operation, method, path string) string {
	if op == nil {
		return ""
	}
	if op.OperationID != "" {
		return op.OperationID
	}
	return method + " " + path
}

var (
	versionSeg = regexp.MustCompile(`^(v\d+([._]\d+)*((alpha|beta|rc)\d*)?|\d{4}-\d{2}-\d{2})$`)
	extSeg     = regexp.MustCompile(`\.(json|xml)$`)
)

// collectionName joins the literal segments of a normalised list template
// with dots, dropping version segments (v1, 2010-04-01), a leading "api" and
// repeats of the previous segment.
func collectionName(key string) string {
	var parts []string
	for i, s := range splitPath(key) {
		s = extSeg.ReplaceAllString(s, "")
		switch {
		case isParam(s), s == "", versionSeg.MatchString(s), i == 0 && s == "api":
			continue
		case len(parts) > 0 && parts[len(parts)-1] == s:
			continue
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "items"
	}
	return strings.Join(parts, ".")
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// normalise blanks parameter names so /a/{x}/b and /a/{y}/b/{id} group.
func normalise(segs []string) string {
	out := make([]string, len(segs))
	for i, s := range segs {
		if isParam(s) {
			s = "{}"
		}
		out[i] = s
	}
	return "/" + strings.Join(out, "/")
}

func templateParams(t string) []string {
	var out []string
	for _, s := range splitPath(t) {
		if isParam(s) {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
		}
	}
	return out
}

func lastParam(t string) string {
	ps := templateParams(t)
	if len(ps) == 0 {
		return ""
	}
	return ps[len(ps)-1]
}

func lastLiteral(t string) string {
	segs := splitPath(t)
	for i := len(segs) - 1; i >= 0; i-- {
		if !isParam(segs[i]) {
			return extSeg.ReplaceAllString(segs[i], "")
		}
	}
	return ""
}

var normReplacer = strings.NewReplacer("_", "", "-", "", ".", "", "$", "", "[", "", "]", "")

// norm folds a name for loose comparison: lower case, without "_", "-",
// ".", "$" and brackets (JSON:API's page[size] is pagesize).
func norm(s string) string {
	return normReplacer.Replace(strings.ToLower(s))
}

// String describes a collection in one line, for logs.
func (c Collection) String() string {
	return fmt.Sprintf("%s list=%q item=%q id=%s", c.Name, c.ListPath, c.ItemPath, c.IDField)
}
