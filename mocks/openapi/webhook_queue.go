package openapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/store"
)

// Webhook delivery defaults.
const (
	DefaultWebhookAttempts   = 8
	DefaultWebhookBackoff    = 500 * time.Millisecond // doubled after each failure
	DefaultWebhookMaxBackoff = 30 * time.Second
	DefaultWebhookTimeout    = 5 * time.Second
	DefaultWebhookQueue      = 10_000
	// webhookLanes is how many deliveries run at once per subscriber. Events
	// of one resource always take the same lane, so they keep their order.
	webhookLanes = 4
)

// ErrWebhooksPaused is returned by Drain while delivery is paused.
var ErrWebhooksPaused = errors.New("mocks: webhooks: delivery is paused")

// WebhookOptions configure the delivery of events to subscribers.
type WebhookOptions struct {
	Subscribers []WebhookSubscriber
	MaxAttempts int           // per event and subscriber (DefaultWebhookAttempts)
	Backoff     time.Duration // before the first retry, doubled after each (DefaultWebhookBackoff)
	MaxBackoff  time.Duration // DefaultWebhookMaxBackoff
	Timeout     time.Duration // of one attempt (DefaultWebhookTimeout)
	MaxQueue    int           // events waiting, all subscribers together (DefaultWebhookQueue)
	// CallbackScheme and CallbackSecret sign the deliveries to the URLs
	// requests name through the contract's callbacks (SchemeStandard and
	// a generated secret when empty; see CallbackSigning).
	CallbackScheme WebhookScheme
	CallbackSecret string
	Now            func() time.Time
}

// WebhookEvent is the body of a delivery when the contract declares no
// shape for it: the record that changed, with the type of change.
type WebhookEvent struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"` // "<collection>.created|updated|deleted"
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// Webhooks delivers the changes of a mock's stateful collections to
// subscribers: signed, retried with exponential backoff, in order per
// resource, every attempt journaled (Direction "webhook"). Delivery can be
// paused, resumed and drained while the mock runs. Build one with
// NewWebhooks, attach it with WithWebhooks, and Close it when done: it owns
// the goroutines that deliver.
type Webhooks struct {
	o      WebhookOptions
	subs   []*WebhookSubscriber
	client *http.Client

	mu      sync.Mutex
	cond    *sync.Cond
	lanes   [][]*delivery // per subscriber and lane, in order
	paused  bool
	closed  bool
	started bool
	pending int // deliveries queued or in flight
	sent    int // delivered (2xx)
	failed  int // given up after MaxAttempts
	dropped int // refused because the queue was full
	bound   bool
	record  func(Entry)
	shapes  sync.Map       // shapeKey → *webhookShape (nil: none declared)
	skipped sync.Map       // callback and host already said to be beyond loopback
	off     map[int]bool   // subscribers removed through the contract
	byRes   map[string]int // subscription resource → subscriber
	cb      int            // the subscriber slot whose lanes carry callbacks; -1 until the first
	logger  func(msg string, args ...any)
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// delivery is one event on its way to one subscriber.
type delivery struct {
	sub      int // index of the subscriber, for the lanes
	to       *WebhookSubscriber
	id       string // stable across attempts: receivers deduplicate on it
	event    string // the event type
	body     []byte
	attempts int
}

// NewWebhooks checks o and returns the deliverer it describes; it starts
// no goroutine until the first event.
func NewWebhooks(o WebhookOptions) (*Webhooks, error) {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultWebhookAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultWebhookBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultWebhookMaxBackoff
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultWebhookTimeout
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = DefaultWebhookQueue
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAttempts < 0 || o.Backoff < 0 || o.MaxBackoff < 0 || o.Timeout < 0 || o.MaxQueue < 0 {
		return nil, errors.New("mocks: webhooks: attempts, backoff, timeout and queue size must be positive")
	}
	if err := o.checkCallbackSigning(); err != nil {
		return nil, fmt.Errorf("mocks: webhooks: %w", err)
	}
	w := &Webhooks{o: o, lanes: make([][]*delivery, len(o.Subscribers)*webhookLanes), cb: -1}
	for i := range o.Subscribers {
		s := o.Subscribers[i]
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("mocks: webhooks: subscriber %d: %w", i+1, err)
		}
		if s.Secret == "" {
			s.Secret = newSecret(s.Scheme)
		}
		w.subs = append(w.subs, &s)
	}
	w.cond = sync.NewCond(&w.mu)
	dialer := &net.Dialer{Timeout: o.Timeout, Control: loopbackOnly}
	w.client = &http.Client{
		Timeout:   o.Timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: webhookLanes},
		// A receiver that redirects is answered, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	return w, nil
}

// loopbackOnly refuses connections beyond the machine, whatever a name
// resolved to.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("mocks: webhooks: %s is not a loopback address", address)
	}
	return nil
}

// WithWebhooks delivers the changes of the mock's stateful collections
// (WithStateful) to w's subscribers. Where the contract has a subscription
// collection (named like webhook, hook or subscription, e.g. Stripe's
// webhook_endpoints), a record created there with a loopback URL subscribes
// it too, for the events it names, until the record is deleted. Deliveries
// take the shape of the contract's OpenAPI 3.1 webhook or 3.0 callback for
// the change when it declares one. An operation's 3.0 callbacks are also
// called at the loopback URL the request names through the callback's
// runtime expression ({$request.body#/callback_url}), stateful or not,
// signed as WebhookOptions.CallbackScheme says. One Webhooks serves one
// mock.
func WithWebhooks(w *Webhooks) Option {
	return func(m *Mock) error {
		if w == nil {
			return errors.New("mocks: nil webhooks")
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.bound {
			return errors.New("mocks: webhooks: already attached to a mock; build one Webhooks per mock")
		}
		w.bound = true
		w.record = func(e Entry) { e.System = m.name; m.journal.Record(e) }
		w.logger = func(msg string, args ...any) { m.logger.Warn(msg, append([]any{"mock", m.name}, args...)...) }
		m.front = append(m.front, frontRoute{path: WebhooksPath, prefix: true, h: w.AdminHandler()})
		m.stages = append(m.stages, w.stage(m))
		return nil
	}
}

// Subscribers returns the subscribers with their secrets (generated ones
// included), for the receivers' configuration.
func (w *Webhooks) Subscribers() []WebhookSubscriber {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]WebhookSubscriber, 0, len(w.subs))
	for i, s := range w.subs {
		if i == w.cb {
			continue
		}
		sub := *s
		sub.Events = append([]string(nil), s.Events...)
		out = append(out, sub)
	}
	return out
}

// stage turns successful changes of stateful collections into events for
// the subscribers, and calls the operation's callbacks at the URLs the
// request names.
func (w *Webhooks) stage(m *Mock) Stage {
	return func(next HandlerFunc) HandlerFunc {
		shaper := m.state
		if shaper == nil {
			if len(w.subs) > 0 {
				m.logger.Warn("mock: webhook subscribers get changes of stateful collections (WithStateful); only the contract's callbacks will be sent", "mock", m.name)
			}
			shaper = &stateful{m: m}
		}
		return func(rw http.ResponseWriter, x *Exchange) {
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
				next(rw, x)
				return
			}
			rec := &captureWriter{ResponseWriter: rw, header: http.Header{}}
			next(rec, x)
			if rec.status/100 != 2 && rec.status != 0 || x.Entry.Replayed {
				return
			}
			data := map[string]any{}
			_ = json.Unmarshal(rec.body, &data)
			resource, nouns := x.Operation+"/"+x.Request.URL.Path, []string(nil)
			if inColl && kind != "" {
				id := x.PathParams[b.coll.IDParam]
				if kind == EventCreate {
					id, _ = b.coll.IDOf(data)
				} else if len(data) == 0 && b.coll.IDField != "" {
					data[b.coll.IDField] = id
				}
				parent := strings.Join(b.coll.ParentValues(x.Template, x.PathParams), "/")
				resource, nouns = b.coll.Name+"/"+parent+"/"+id, collectionNouns(b.coll.Name)
				if w.subscription(kind, resource, b.coll, data) {
					return
				}
				w.change(m, b.coll, kind, resource, data)
			}
			if len(cbs) > 0 {
				status := rec.status
				if status == 0 {
					status = http.StatusOK
				}
				a := &answered{x: x, status: status, header: rec.header, body: rec.body}
				w.callbacks(shaper, a, cbs, nouns, kind, resource, data)
			}
		}
	}
}

// change queues a change of a collection for the subscribers, in the shape
// the contract declares for it, if it does.
func (w *Webhooks) change(m *Mock, c store.Collection, kind, resource string, data map[string]any) {
	evType, shaped := c.Name+"."+pastTense[kind], []byte(nil)
	if sh := w.shapeFor(m, c, kind); sh != nil {
		var err error
		if shaped, err = sh.body(m.state, data); err == nil {
			evType = sh.event
		} else {
			w.logger("mock: webhook body not shaped as the contract declares; sending the default envelope", "webhook", sh.name, "err", err)
		}
	}
	w.enqueue(kind, evType, resource, data, shaped)
}

func changeKind(op string) string {
	switch op {
	case opCreate:
		return EventCreate
	case opPut, opPatch:
		return EventUpdate
	case opDelete:
		return EventDelete
	}
	return ""
}

var pastTense = map[string]string{EventCreate: "created", EventUpdate: "updated", EventDelete: "deleted"}

// shapeKey names a change of one mock's collection.
type shapeKey struct {
	m          *Mock
	collection string
	kind       string
}

// shapeFor is the contract's webhook or callback for a change, looked up once.
func (w *Webhooks) shapeFor(m *Mock, c store.Collection, kind string) *webhookShape {
	key := shapeKey{m, c.Name, kind}
	if v, ok := w.shapes.Load(key); ok {
		return v.(*webhookShape)
	}
	v, _ := w.shapes.LoadOrStore(key, findWebhookShape(m.contract.Doc, c, kind))
	return v.(*webhookShape)
}

// enqueue queues an event for every subscriber that wants it. resource
// keys the order: events with one key are delivered one after the other.
// shaped, when not nil, is the body in the contract's declared shape.
func (w *Webhooks) enqueue(kind, evType, resource string, data map[string]any, shaped []byte) {
	now := w.o.Now()
	ev := WebhookEvent{ID: randomID("evt_"), Type: evType, Timestamp: now.UTC(), Data: data}
	body, err := json.Marshal(ev)
	if err != nil {
		w.logger("mock: webhook event unencodable", "event", ev.Type, "err", err)
		return
	}
	if shaped != nil {
		body = shaped
	}
	h := fnv.New32a()
	h.Write([]byte(resource))
	lane := int(h.Sum32() % webhookLanes)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	for i, s := range w.subs {
		if w.off[i] || i == w.cb || !s.wants(kind) {
			continue
		}
		d := &delivery{sub: i, to: s, id: randomID("msg_"), event: ev.Type, body: body}
		if s.Scheme == SchemeStripe && shaped == nil {
			d.body = stripeBody(ev)
		}
		if w.pending >= w.o.MaxQueue {
			w.dropped++
			w.journal(d, now, 0, nil, nil, "queue full: event dropped", 0)
			continue
		}
		w.pending++
		w.lanes[i*webhookLanes+lane] = append(w.lanes[i*webhookLanes+lane], d)
	}
	w.startLocked()
	w.cond.Broadcast()
}

// stripeBody shapes an event as Stripe sends its events.
func stripeBody(ev WebhookEvent) []byte {
	body, _ := json.Marshal(map[string]any{
		"id": ev.ID, "object": "event", "type": ev.Type, "created": ev.Timestamp.Unix(),
		"data": map[string]any{"object": ev.Data},
	})
	return body
}

func randomID(prefix string) string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func (w *Webhooks) startLocked() {
	if w.started {
		return
	}
	w.started = true
	w.startLanes(0)
}

// startLanes starts the workers of the lanes from first on.
func (w *Webhooks) startLanes(first int) {
	for i := first; i < len(w.lanes); i++ {
		w.wg.Add(1)
		go w.work(i)
	}
}

// work delivers lane i's events in order until Close.
func (w *Webhooks) work(i int) {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for !w.closed && (w.paused || len(w.lanes[i]) == 0) {
			w.cond.Wait()
		}
		if w.closed {
			w.mu.Unlock()
			return
		}
		d := w.lanes[i][0]
		w.mu.Unlock()

		ok := w.attempt(d)
		w.mu.Lock()
		if ok || d.attempts >= w.o.MaxAttempts {
			w.lanes[i] = w.lanes[i][1:]
			w.pending--
			if ok {
				w.sent++
			} else {
				w.failed++
			}
			w.cond.Broadcast()
			w.mu.Unlock()
			continue
		}
		w.mu.Unlock()
		select {
		case <-time.After(w.backoff(d.attempts)):
		case <-w.ctx.Done():
			return
		}
	}
}

func (w *Webhooks) backoff(attempts int) time.Duration {
	d := w.o.Backoff
	for range attempts - 1 {
		d *= 2
		if d >= w.o.MaxBackoff {
			return w.o.MaxBackoff
		}
	}
	return d
}

// attempt POSTs d once and journals the attempt; a 2xx is success.
func (w *Webhooks) attempt(d *delivery) bool {
	sub := d.to
	d.attempts++
	start := w.o.Now()
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, sub.URL, bytes.NewReader(d.body))
	if err != nil {
		w.journal(d, start, 0, nil, nil, err.Error(), 0)
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "firedrill-webhooks")
	sign(req.Header, sub, d.id, d.event, start, d.body)
	began := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.journal(d, start, 0, req.Header, nil, err.Error(), time.Since(began))
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxJournalBody))
	resp.Body.Close()
	e := ""
	if resp.StatusCode/100 != 2 {
		e = fmt.Sprintf("receiver answered %d (attempt %d of %d)", resp.StatusCode, d.attempts, w.o.MaxAttempts)
	}
	w.journal(d, start, resp.StatusCode, req.Header, body, e, time.Since(began))
	return e == ""
}

// journal records one attempt: what was sent, and what came back.
func (w *Webhooks) journal(d *delivery, at time.Time, status int, h http.Header, respBody []byte, errText string, took time.Duration) {
	if w.record == nil {
		return
	}
	u, _ := url.Parse(d.to.URL)
	e := Entry{
		Time: at, Duration: took, Direction: "webhook", Client: u.Host,
		Method: http.MethodPost, Path: u.Path, Query: u.RawQuery, Operation: d.event,
		Body: d.body, Status: status, ResponseBody: respBody, Error: errText, Valid: true,
	}
	if h != nil {
		e.Header = h.Clone()
	}
	w.record(e)
}

// Pause stops new delivery attempts (one in flight finishes); events keep
// queueing.
func (w *Webhooks) Pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = true
}

// Resume restarts delivery after Pause.
func (w *Webhooks) Resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = false
	w.cond.Broadcast()
}

// Drain waits until every queued event is delivered or given up, or ctx
// ends. It returns ErrWebhooksPaused at once while paused.
func (w *Webhooks) Drain(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		w.mu.Lock()
		pending, paused, closed := w.pending, w.paused, w.closed
		w.mu.Unlock()
		switch {
		case pending == 0:
			return nil
		case closed:
			return errors.New("mocks: webhooks: closed with events undelivered")
		case paused:
			return ErrWebhooksPaused
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mocks: webhooks: drain: %d events undelivered: %w", pending, ctx.Err())
		case <-tick.C:
		}
	}
}

// WebhookQueue is the state of delivery, as the admin API shows it.
type WebhookQueue struct {
	Paused      bool                `json:"paused"`
	Pending     int                 `json:"pending"` // queued or in flight
	Delivered   int                 `json:"delivered"`
	Failed      int                 `json:"failed"`  // given up after the last attempt
	Dropped     int                 `json:"dropped"` // refused: the queue was full
	Subscribers []WebhookQueueEntry `json:"subscribers"`
}

// WebhookQueueEntry is one subscriber's share of the queue.
type WebhookQueueEntry struct {
	URL     string   `json:"url"`
	Scheme  string   `json:"scheme"`
	Events  []string `json:"events,omitempty"`
	Pending int      `json:"pending"`
	Removed bool     `json:"removed,omitempty"` // unsubscribed through the contract
	Next    []string `json:"next,omitempty"`    // event types at the head of each busy lane
}

// Queue reports the state of delivery.
func (w *Webhooks) Queue() WebhookQueue {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := WebhookQueue{Paused: w.paused, Pending: w.pending, Delivered: w.sent, Failed: w.failed, Dropped: w.dropped, Subscribers: []WebhookQueueEntry{}}
	for i, s := range w.subs {
		e := WebhookQueueEntry{URL: s.URL, Scheme: string(s.Scheme), Events: s.Events, Removed: w.off[i]}
		for _, lane := range w.lanes[i*webhookLanes : (i+1)*webhookLanes] {
			e.Pending += len(lane)
			if len(lane) > 0 {
				e.Next = append(e.Next, lane[0].event)
			}
		}
		q.Subscribers = append(q.Subscribers, e)
	}
	return q
}

// Close stops delivery: attempts in flight are cancelled and queued events
// dropped. It waits for the delivering goroutines, is idempotent and safe
// on nil.
func (w *Webhooks) Close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.cancel()
	w.cond.Broadcast()
	w.mu.Unlock()
	w.wg.Wait()
	w.client.CloseIdleConnections()
}
