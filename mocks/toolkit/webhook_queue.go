package toolkit

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
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
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
	// Network is whom deliveries may reach (NetworkLoopback when empty):
	// checked on each subscriber's URL, and on the address of every
	// connection a delivery makes.
	Network Network
	Now     func() time.Time
}

// WebhookEvent is the body of a delivery when the contract declares no
// shape for it: the record that changed, with the type of change.
type WebhookEvent struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"` // "<collection>.created|updated|deleted"
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// Webhooks delivers a mock's events to subscribers: signed, retried with
// exponential backoff, in order per resource, every attempt journaled
// (Direction "webhook"). Delivery can be paused, resumed and drained while
// the mock runs. Build one with NewWebhooks, Attach it to the mock whose
// events it delivers (the OpenAPI mock's WithWebhooks does, and queues the
// changes of its stateful collections with Enqueue and its callbacks with
// EnqueueTo), and Close it when done: it owns the goroutines that deliver.
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
	if _, err := ParseNetwork(string(o.Network)); err != nil {
		return nil, err
	}
	if err := o.checkCallbackSigning(); err != nil {
		return nil, fmt.Errorf("mocks: webhooks: %w", err)
	}
	w := &Webhooks{o: o, lanes: make([][]*delivery, len(o.Subscribers)*webhookLanes), cb: -1}
	for i := range o.Subscribers {
		s := o.Subscribers[i]
		if err := s.check(o.Network); err != nil {
			return nil, fmt.Errorf("mocks: webhooks: subscriber %d: %w", i+1, err)
		}
		if s.Secret == "" {
			s.Secret = newSecret(s.Scheme)
		}
		w.subs = append(w.subs, &s)
	}
	w.cond = sync.NewCond(&w.mu)
	dialer := &net.Dialer{Timeout: o.Timeout, Control: o.Network.control}
	w.client = &http.Client{
		Timeout:   o.Timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: webhookLanes},
		// A receiver that redirects is answered, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	return w, nil
}

// Attach makes w deliver the events of the mock named system: every
// attempt goes into j, marked with system, and what w cannot deliver is
// logged to log. One Webhooks serves one mock.
func (w *Webhooks) Attach(system string, j *Journal, log *slog.Logger) error {
	if j == nil || log == nil {
		return errors.New("mocks: webhooks: attach needs a journal and a logger")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bound {
		return errors.New("mocks: webhooks: already attached to a mock; build one Webhooks per mock")
	}
	w.bound = true
	w.record = func(e Entry) { e.System = system; j.Record(e) }
	w.logger = func(msg string, args ...any) { log.Warn(msg, append([]any{"mock", system}, args...)...) }
	return nil
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

// Enqueue queues an event for every subscriber that wants its kind of
// change (EventCreate, EventUpdate or EventDelete): data, the record that
// changed, in a WebhookEvent of type evType (as Stripe sends its events to
// SchemeStripe subscribers), or shaped, when not nil, as the body to send,
// in the shape the contract declares. resource keys the order: events of
// one resource are delivered one after the other. Nothing is queued after
// Close.
func (w *Webhooks) Enqueue(kind, evType, resource string, data map[string]any, shaped []byte) {
	now := w.o.Now()
	ev := WebhookEvent{ID: randomID("evt_"), Type: evType, Timestamp: now.UTC(), Data: data}
	body, err := json.Marshal(ev)
	if err != nil {
		w.log("mock: webhook event unencodable", "event", ev.Type, "err", err)
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

// log warns of what could not be delivered, once attached.
func (w *Webhooks) log(msg string, args ...any) {
	if w.logger != nil {
		w.logger(msg, args...)
	}
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
