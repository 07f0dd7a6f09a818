package mocks

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// webhookShape is the webhook an OpenAPI 3.1 contract declares for one
// kind of change of one collection: deliveries take its body schema.
type webhookShape struct {
	name      string // the webhook's name, sent as the event type
	schema    *openapi3.Schema
	dataField string // the property that holds the record; "" merges it at the top
	typeField string // the property that names the event; may be ""
}

// Names of the envelope properties vendors use.
var (
	webhookDataFields = []string{"data", "object", "payload", "record", "resource"}
	webhookTypeFields = []string{"type", "event", "eventType", "event_type", "topic"}
	kindWords         = map[string][]string{
		EventCreate: {"created", "create", "new", "added"},
		EventUpdate: {"updated", "update", "changed", "modified"},
		EventDelete: {"deleted", "delete", "removed"},
	}
)

// findWebhookShape looks for a webhook of doc named after the collection
// (plural or singular) and the kind of change, e.g. "order.created",
// "balancePlatform.transfer.created", "invoiceUpdated". nil when none.
func findWebhookShape(doc *openapi3.T, collection, kind string) *webhookShape {
	if doc == nil || len(doc.Webhooks) == 0 {
		return nil
	}
	last := collection[strings.LastIndex(collection, ".")+1:]
	nouns := []string{strings.ToLower(last)}
	for _, suffix := range []string{"es", "s"} {
		if s, ok := strings.CutSuffix(nouns[0], suffix); ok && s != "" {
			nouns = append(nouns, s)
		}
	}
	names := make([]string, 0, len(doc.Webhooks))
	for name := range doc.Webhooks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lower := strings.ToLower(name)
		if !containsAny(lower, nouns) || !containsAny(lower, kindWords[kind]) {
			continue
		}
		if s := webhookBodySchema(doc.Webhooks[name]); s != nil {
			return shapeOf(name, s, nouns)
		}
	}
	return nil
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
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

func shapeOf(name string, s *openapi3.Schema, nouns []string) *webhookShape {
	sh := &webhookShape{name: name, schema: s}
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
			break
		}
	}
	return sh
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
		v[sh.typeField] = sh.name
	}
	return json.Marshal(st.shape(sh.schema, v, nil))
}
