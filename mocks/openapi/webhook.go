package openapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// WithWebhooks delivers the changes of the mock's stateful collections
// (WithStateful) to w's subscribers. Where the contract has a subscription
// collection (named like webhook, hook or subscription, e.g. Stripe's
// webhook_endpoints), a record created there with a loopback URL subscribes
// it too, for the events it names, until the record is deleted. Deliveries
// take the shape of the contract's OpenAPI 3.1 webhook or 3.0 callback for
// the change when it declares one. An operation's 3.0 callbacks are also
// called at the loopback URL the request names through the callback's
// runtime expression ({$request.body#/callback_url}), stateful or not,
// signed as toolkit.WebhookOptions.CallbackScheme says. The mock serves w's
// admin API (toolkit.WebhooksPath) and journals its attempts. One Webhooks
// serves one mock.
func WithWebhooks(w *toolkit.Webhooks) Option {
	return func(m *Mock) error {
		if w == nil {
			return errors.New("mocks: nil webhooks")
		}
		h := &hooks{w: w, m: m}
		m.hooks = append(m.hooks, h)
		m.front = append(m.front, frontRoute{path: toolkit.WebhooksPath, prefix: true, h: w.AdminHandler()})
		m.stages = append(m.stages, h.stage)
		return nil
	}
}

// hooks is a toolkit.Webhooks attached to a mock: its stage queues the
// changes of the mock's stateful collections and the operations' callbacks
// in the shapes the contract declares.
type hooks struct {
	w       *toolkit.Webhooks
	m       *Mock
	shapes  sync.Map // shapeKey → *webhookShape (nil: none declared)
	skipped sync.Map // callback and host already said to be beyond loopback
}

// attach binds the deliverer to the mock once its name and journal are
// known.
func (h *hooks) attach() error {
	return h.w.Attach(h.m.name, h.m.journal, h.m.logger)
}

// warn logs what the webhooks of the mock could not do.
func (h *hooks) warn(msg string, args ...any) {
	h.m.logger.Warn(msg, append([]any{"mock", h.m.name}, args...)...)
}

// stage turns successful changes of stateful collections into events for
// the subscribers, and calls the operation's callbacks at the URLs the
// request names.
func (h *hooks) stage(next toolkit.HandlerFunc) toolkit.HandlerFunc {
	m := h.m
	shaper := m.state
	if shaper == nil {
		if len(h.w.Subscribers()) > 0 {
			m.logger.Warn("mock: webhook subscribers get changes of stateful collections (WithStateful); only the contract's callbacks will be sent", "mock", m.name)
		}
		shaper = &stateful{m: m}
	}
	return func(rw http.ResponseWriter, tx *toolkit.Exchange) {
		x := served(tx)
		var b binding
		inColl := false
		if m.state != nil {
			b, inColl = m.state.byOp[x.Operation]
		}
		kind := changeKind(b.kind)
		var cbs openapi3.Callbacks
		if x.op != nil && x.op.op != nil {
			cbs = x.op.op.Callbacks
		}
		if p, _ := parsePrefer(x.Request.Header.Values("Prefer")); (kind == "" && len(cbs) == 0) || p.code != 0 || p.example != "" {
			next(rw, tx)
			return
		}
		rec := toolkit.NewCaptureWriter(rw)
		next(rec, tx)
		status, header, body := rec.Answer()
		if status/100 != 2 && status != 0 || x.Entry.Replayed {
			return
		}
		if x.change != "" {
			kind = x.change // an upsert: it created or replaced
		}
		data := map[string]any{}
		_ = json.Unmarshal(body, &data)
		resource, nouns := x.Operation+"/"+x.Request.URL.Path, []string(nil)
		if inColl && kind != "" {
			id := x.PathParams[b.coll.IDParam]
			if kind == toolkit.EventCreate && b.kind == opCreate {
				id, _ = b.coll.IDOf(data)
			} else if len(data) == 0 && b.coll.IDField != "" {
				data[b.coll.IDField] = id
			}
			parent := strings.Join(b.coll.ParentValues(x.Template, x.PathParams), "/")
			resource, nouns = b.coll.Name+"/"+parent+"/"+id, collectionNouns(b.coll.Name)
			if h.subscription(kind, resource, b.coll, data) {
				return
			}
			h.change(b.coll, kind, resource, data)
		}
		if len(cbs) > 0 {
			if status == 0 {
				status = http.StatusOK
			}
			a := &answered{x: x, status: status, header: header, body: body}
			h.callbacks(shaper, a, cbs, nouns, kind, resource, data)
		}
	}
}

// change queues a change of a collection for the subscribers, in the shape
// the contract declares for it, if it does.
func (h *hooks) change(c store.Collection, kind, resource string, data map[string]any) {
	evType, shaped := c.Name+"."+pastTense[kind], []byte(nil)
	if sh := h.shapeFor(c, kind); sh != nil {
		var err error
		if shaped, err = sh.body(h.m.state, data); err == nil {
			evType = sh.event
		} else {
			h.warn("mock: webhook body not shaped as the contract declares; sending the default envelope", "webhook", sh.name, "err", err)
		}
	}
	h.w.Enqueue(kind, evType, resource, data, shaped)
}

func changeKind(op string) string {
	switch op {
	case opCreate:
		return toolkit.EventCreate
	case opPut, opUpsert, opPatch:
		return toolkit.EventUpdate
	case opDelete:
		return toolkit.EventDelete
	}
	return ""
}

var pastTense = map[string]string{toolkit.EventCreate: "created", toolkit.EventUpdate: "updated", toolkit.EventDelete: "deleted"}

// shapeKey names a change of one of the mock's collections.
type shapeKey struct {
	collection string
	kind       string
}

// shapeFor is the contract's webhook or callback for a change, looked up once.
func (h *hooks) shapeFor(c store.Collection, kind string) *webhookShape {
	key := shapeKey{c.Name, kind}
	if v, ok := h.shapes.Load(key); ok {
		return v.(*webhookShape)
	}
	v, _ := h.shapes.LoadOrStore(key, findWebhookShape(h.m.contract.Doc, c, kind))
	return v.(*webhookShape)
}
