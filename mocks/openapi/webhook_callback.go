package openapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-openapi/jsonpointer"
)

// answered is what the stage saw of an answered exchange: what runtime
// expressions of a callback may read.
type answered struct {
	x      *exchange
	status int
	header http.Header
	body   []byte

	reqBody, respBody any // decoded on first use
	decoded           bool
}

// expression matches one runtime expression inside a callback's key, as
// in "http://127.0.0.1:9000/hooks?id={$request.body#/id}".
var expression = regexp.MustCompile(`\{(\$[^{}]+)\}`)

// callbackURL resolves a callback's key, an OpenAPI runtime expression or a
// URL with expressions in braces, against the exchange. ok is false when
// an expression names something the exchange does not have.
func (a *answered) callbackURL(key string) (string, bool) {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "$") {
		return a.eval(key)
	}
	ok := true
	out := expression.ReplaceAllStringFunc(key, func(m string) string {
		v, found := a.eval(m[1 : len(m)-1])
		ok = ok && found
		return v
	})
	return out, ok
}

// eval is the value of one runtime expression ("$request.body#/callback_url",
// "$request.query.cb", "$response.header.Location", "$statusCode"...).
func (a *answered) eval(expr string) (string, bool) {
	r := a.x.Request
	switch {
	case expr == "$method":
		return r.Method, true
	case expr == "$url":
		return "http://" + r.Host + r.URL.RequestURI(), true
	case expr == "$statusCode":
		return strconv.Itoa(a.status), true
	}
	source, rest, _ := strings.Cut(expr, ".")
	var header http.Header
	switch source {
	case "$request":
		header = r.Header
	case "$response":
		header = a.header
	default:
		return "", false
	}
	part, name, _ := strings.Cut(rest, ".")
	switch {
	case part == "header":
		v := header.Get(name)
		return v, v != ""
	case part == "query" && source == "$request":
		vs, ok := r.URL.Query()[name]
		if !ok || len(vs) == 0 {
			return "", false
		}
		return vs[0], true
	case part == "path" && source == "$request":
		v, ok := a.x.PathParams[name]
		return v, ok
	case strings.HasPrefix(rest, "body"):
		ptr, _ := strings.CutPrefix(strings.TrimPrefix(rest, "body"), "#")
		a.decode()
		doc := a.reqBody
		if source == "$response" {
			doc = a.respBody
		}
		return pointerValue(doc, ptr)
	}
	return "", false
}

func (a *answered) decode() {
	if a.decoded {
		return
	}
	a.decoded = true
	_ = json.Unmarshal(a.x.Body, &a.reqBody)
	_ = json.Unmarshal(a.body, &a.respBody)
}

// pointerValue is the value at a JSON pointer of doc, as text: strings as
// they are, anything else as JSON.
func pointerValue(doc any, ptr string) (string, bool) {
	if doc == nil {
		return "", false
	}
	v := doc
	if ptr != "" {
		p, err := jsonpointer.New(ptr)
		if err != nil {
			return "", false
		}
		if v, _, err = p.Get(doc); err != nil || v == nil {
			return "", false
		}
	}
	if s, ok := v.(string); ok {
		return s, s != ""
	}
	b, err := json.Marshal(v)
	return string(b), err == nil
}

// callbacks delivers the operation's callbacks whose key resolves, against
// the exchange, to a loopback http URL: the contract promises a call there
// when the request names one (a callback_url in the body, a header...).
// Each is shaped by the callback's body schema, with record (the answer,
// or the stored record) as its data; nouns and kind are those of the
// collection change, if the operation makes one.
func (h *hooks) callbacks(sh *stateful, a *answered, cbs openapi3.Callbacks, nouns []string, kind, resource string, record map[string]any) {
	for _, name := range slices.Sorted(maps.Keys(cbs)) {
		ref := cbs[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		items := ref.Value.Map()
		for _, key := range slices.Sorted(maps.Keys(items)) {
			if items[key] == nil || items[key].Post == nil {
				continue
			}
			target, ok := a.callbackURL(key)
			if !ok {
				continue // the request names no URL for this callback
			}
			if !h.w.Reaches(target) {
				// Said once per callback and host: generated request bodies
				// name such URLs on every request.
				host := target
				if u, err := url.Parse(target); err == nil {
					host = u.Host
				}
				if _, said := h.skipped.LoadOrStore(name+"\x00"+host, true); !said {
					h.warn("mock: callback URL skipped (said once per host): only http(s) receivers on the mock's network are called", "callback", name, "url", target)
				}
				continue
			}
			var err error
			event, body := name, []byte(nil)
			if s := webhookBodySchema(items[key]); s != nil {
				shape := shapeOf(name, s, nouns, kind)
				if body, err = shape.body(sh, record); err != nil {
					h.warn("mock: callback body unencodable", "callback", name, "err", err)
					continue
				}
				event = shape.event
			} else if body, err = json.Marshal(record); err != nil {
				continue
			}
			h.w.EnqueueTo(target, event, resource, body)
		}
	}
}
