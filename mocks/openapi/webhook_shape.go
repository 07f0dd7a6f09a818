package openapi

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// webhookShape is the webhook or callback a contract declares for one
// kind of change of one collection: deliveries take its body schema.
type webhookShape struct {
	name      string // the webhook's or callback's name
	event     string // the event type sent: the type property's value, else name
	schema    *openapi3.Schema
	dataField string // the property that holds the record; "" merges it at the top
	typeField string // the property that names the event; may be ""
}

// Names of the envelope properties vendors use.
var (
	webhookDataFields = []string{"data", "object", "payload", "record", "resource"}
	webhookTypeFields = []string{"type", "event", "eventType", "event_type", "topic"}
	kindWords         = map[string][]string{
		toolkit.EventCreate: {"created", "create", "new", "added"},
		toolkit.EventUpdate: {"updated", "update", "changed", "modified"},
		toolkit.EventDelete: {"deleted", "delete", "removed"},
	}
)

// findWebhookShape looks for what the contract declares a change of
// collection c of the given kind sends, in this order:
//   - an OpenAPI 3.1 webhook named after the collection (plural or
//     singular) and the kind of change: "order.created",
//     "balancePlatform.transfer.created", "invoiceUpdated";
//   - an OpenAPI 3.0 callback of the operation that makes the change
//     (createOrder's "orderCreated"): the one named for the kind of change,
//     else the operation's only one;
//   - an OpenAPI 3.0 callback of any other operation or of the components
//     named after the collection and the kind (a subscribe operation that
//     declares "orderCreated", "orderDeleted"...).
//
// nil when the contract declares none.
func findWebhookShape(doc *openapi3.T, c store.Collection, kind string) *webhookShape {
	if doc == nil {
		return nil
	}
	nouns := collectionNouns(c.Name)
	if sh := namedShape(webhookBodies(doc.Webhooks), nouns, kind, true); sh != nil {
		return sh
	}
	if doc.Paths == nil {
		return nil
	}
	changing := changeOperations(doc, c, kind)
	for _, op := range changing {
		bodies := callbackBodies(op.Callbacks)
		if sh := namedShape(bodies, nouns, kind, false); sh != nil {
			return sh
		}
		if len(bodies) == 1 {
			for name, s := range bodies {
				return shapeOf(name, s, nouns, kind)
			}
		}
	}
	all := map[string]*openapi3.Schema{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for name, s := range callbackBodies(op.Callbacks) {
				all[name] = s
			}
		}
	}
	if doc.Components != nil { // a contract may have no components at all
		for name, s := range callbackBodies(doc.Components.Callbacks) {
			if _, ok := all[name]; !ok {
				all[name] = s
			}
		}
	}
	return namedShape(all, nouns, kind, true)
}

// collectionNouns are the words a webhook of collection name may use for
// it: the last segment, and that segment made singular.
func collectionNouns(name string) []string {
	last := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
	nouns := []string{last}
	for _, suffix := range []string{"es", "s"} {
		if s, ok := strings.CutSuffix(last, suffix); ok && s != "" {
			nouns = append(nouns, s)
		}
	}
	return nouns
}

// namedShape is the first body, in name order, whose name says the kind
// of change and, when needNoun, names the collection too.
func namedShape(bodies map[string]*openapi3.Schema, nouns []string, kind string, needNoun bool) *webhookShape {
	for _, name := range slices.Sorted(maps.Keys(bodies)) {
		lower := strings.ToLower(name)
		if (needNoun && !containsAny(lower, nouns)) || !containsAny(lower, kindWords[kind]) {
			continue
		}
		return shapeOf(name, bodies[name], nouns, kind)
	}
	return nil
}

// changeOperations are the operations of c that make a change of kind.
func changeOperations(doc *openapi3.T, c store.Collection, kind string) []*openapi3.Operation {
	var ops []*openapi3.Operation
	add := func(path string, pick func(*openapi3.PathItem) []*openapi3.Operation) {
		if path == "" {
			return
		}
		if item := doc.Paths.Value(path); item != nil {
			for _, op := range pick(item) {
				if op != nil {
					ops = append(ops, op)
				}
			}
		}
	}
	switch kind {
	case toolkit.EventCreate:
		add(c.ListPath, func(p *openapi3.PathItem) []*openapi3.Operation { return []*openapi3.Operation{p.Post} })
	case toolkit.EventUpdate:
		add(c.ItemPath, func(p *openapi3.PathItem) []*openapi3.Operation { return []*openapi3.Operation{p.Patch, p.Put, p.Post} })
	case toolkit.EventDelete:
		add(c.ItemPath, func(p *openapi3.PathItem) []*openapi3.Operation { return []*openapi3.Operation{p.Delete} })
	}
	return ops
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// webhookBodies are the JSON body schemas of 3.1 webhooks, by name.
func webhookBodies(hooks map[string]*openapi3.PathItem) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	for name, item := range hooks {
		if s := webhookBodySchema(item); s != nil {
			out[name] = s
		}
	}
	return out
}

// callbackBodies are the JSON body schemas of 3.0 callbacks, by name: of
// a callback's expressions, the first in order that POSTs a JSON body.
func callbackBodies(cbs openapi3.Callbacks) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	for name, ref := range cbs {
		if ref == nil || ref.Value == nil {
			continue
		}
		items := ref.Value.Map()
		for _, expr := range slices.Sorted(maps.Keys(items)) {
			if s := webhookBodySchema(items[expr]); s != nil {
				out[name] = s
				break
			}
		}
	}
	return out
}

// webhookBodySchema is the JSON body schema of a webhook's POST.
func webhookBodySchema(item *openapi3.PathItem) *openapi3.Schema {
	if item == nil || item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Value == nil {
		return nil
	}
	for mt, media := range item.Post.RequestBody.Value.Content {
		if strings.Contains(mt, "json") && media.Schema != nil && media.Schema.Value != nil {
			return media.Schema.Value
		}
	}
	return nil
}

func shapeOf(name string, s *openapi3.Schema, nouns []string, kind string) *webhookShape {
	sh := &webhookShape{name: name, event: name, schema: s}
	props := s.Properties
	for _, f := range append(append([]string{}, webhookDataFields...), nouns...) {
		if p := props[f]; p != nil && p.Value != nil && (p.Value.Type == nil || p.Value.Type.Is("object") || len(p.Value.AllOf) > 0) {
			sh.dataField = f
			break
		}
	}
	for _, f := range webhookTypeFields {
		if p := props[f]; p != nil && p.Value != nil && p.Value.Type.Is("string") {
			sh.typeField = f
			if v, ok := declaredEventType(p.Value, nouns, kind); ok {
				sh.event = v
			}
			break
		}
	}
	return sh
}

// declaredEventType is the value the schema of a type property allows for
// the change: its const, its only enum value, or the enum value that names
// the kind of change and the collection ("order.created") or the kind
// alone ("created"); never one that names another collection.
func declaredEventType(s *openapi3.Schema, nouns []string, kind string) (string, bool) {
	if c, ok := s.Const.(string); ok {
		return c, true
	}
	var values []string
	for _, v := range s.Enum {
		if str, ok := v.(string); ok {
			values = append(values, str)
		}
	}
	if len(values) == 1 {
		return values[0], true
	}
	bare := ""
	for _, v := range values {
		lower := strings.ToLower(v)
		switch {
		case !containsAny(lower, kindWords[kind]):
		case containsAny(lower, nouns):
			return v, true
		case bare == "" && slices.Contains(kindWords[kind], strings.Trim(lower, "._-/: ")):
			bare = v
		}
	}
	return bare, bare != ""
}

// body builds a delivery: the record in the envelope the contract
// declares, fitted to its schema (fields the record lacks generated).
func (sh *webhookShape) body(st *stateful, record map[string]any) ([]byte, error) {
	v := map[string]any{}
	if sh.dataField == "" {
		for k, val := range record {
			v[k] = val
		}
	} else {
		v[sh.dataField] = record
	}
	if sh.typeField != "" {
		v[sh.typeField] = sh.event
	}
	if sh.dataField != "" {
		envelope(sh.schema, v, time.Now())
	}
	b, err := json.Marshal(st.shape(sh.schema, v, nil))
	if err != nil {
		return nil, fmt.Errorf("mocks: webhook %s: %w", sh.name, err)
	}
	return b, nil
}

// eventSeq numbers the events a process sends, for their ids.
var eventSeq atomic.Uint64

// Envelope properties that identify an event and say when it happened.
var (
	eventIDFields   = []string{"id", "event_id", "eventId"}
	eventTimeFields = []string{"created", "created_at", "createdAt", "timestamp", "occurred_at", "occurredAt"}
)

// envelope fills an event envelope's id and time as the vendor would: an
// id no other event had (a receiver that deduplicates by event id must see
// each delivery's event as new), and the time of the change, in the type
// the schema gives them. Generated values would repeat in every event.
func envelope(schema *openapi3.Schema, v map[string]any, at time.Time) {
	prop := func(names []string) (string, *openapi3.Schema) {
		for _, n := range names {
			if ref := schema.Properties[n]; ref != nil && ref.Value != nil {
				return n, ref.Value
			}
		}
		return "", nil
	}
	if name, s := prop(eventIDFields); s != nil {
		n := eventSeq.Add(1)
		switch {
		case s.Type.Is(openapi3.TypeInteger) || s.Type.Is(openapi3.TypeNumber):
			v[name] = at.UnixMilli()*1000 + int64(n%1000)
		case s.Format == "uuid":
			var b [16]byte
			_, _ = rand.Read(b[:])
			b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
			v[name] = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
		default:
			v[name] = fmt.Sprintf("evt_%x%06x", at.UnixNano(), n&0xffffff)
		}
	}
	if name, s := prop(eventTimeFields); s != nil {
		switch {
		case s.Type.Is(openapi3.TypeInteger) || s.Type.Is(openapi3.TypeNumber):
			v[name] = at.Unix()
		default:
			v[name] = at.UTC().Format(time.RFC3339)
		}
	}
}
