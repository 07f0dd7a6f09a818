package toolkit

import (
	"fmt"
	"hash/fnv"
)

// CallbacksURL names, in the queue and the journal, the deliveries to the
// URLs requests name through the contract's callbacks.
const CallbacksURL = "callbacks named in requests"

// Subscribe adds sub as the subscriber of resource, replacing the one
// resource had: how a mock lets clients subscribe through its contract (a
// record of Stripe's webhook_endpoints). A secret sub's scheme cannot use
// is replaced, as an empty one is, by a generated one. Nothing is
// subscribed after Close.
func (w *Webhooks) Subscribe(resource string, sub WebhookSubscriber) error {
	if sub.Secret != "" && sub.check(w.o.Network) != nil {
		sub.Secret = "" // the contract's secret does not fit the scheme: one is made
	}
	if err := sub.check(w.o.Network); err != nil {
		return fmt.Errorf("mocks: webhooks: subscribe %s: %w", resource, err)
	}
	if sub.Secret == "" {
		sub.Secret = newSecret(sub.Scheme)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if i, ok := w.byRes[resource]; ok {
		w.off[i] = true
	}
	if w.byRes == nil {
		w.byRes, w.off = map[string]int{}, map[int]bool{}
	}
	w.byRes[resource] = len(w.subs)
	w.subs = append(w.subs, &sub)
	first := len(w.lanes)
	w.lanes = append(w.lanes, make([][]*delivery, webhookLanes)...)
	if w.started {
		w.startLanes(first)
	}
	return nil
}

// Unsubscribe removes the subscriber of resource, if it has one.
func (w *Webhooks) Unsubscribe(resource string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i, ok := w.byRes[resource]; ok {
		w.off[i] = true
		delete(w.byRes, resource)
	}
}

// LoopbackURL reports whether raw is an http(s) URL on a loopback host:
// where a mock on NetworkLoopback delivers webhooks and callbacks.
func LoopbackURL(raw string) bool {
	return NetworkLoopback.AllowsURL(raw)
}

// Reaches reports whether w may deliver to raw, a URL a request named,
// on its network (WebhookOptions.Network; see Network.AllowsURL). The
// address a name resolves to is checked again when the delivery connects.
func (w *Webhooks) Reaches(raw string) bool {
	return w.o.Network.AllowsURL(raw)
}

// EnqueueTo queues one delivery of body to target, a URL a request named
// through the contract's callbacks, signed as CallbackSigning says, on
// lanes kept for callbacks. event names it in the journal; resource keys
// the order, as for Enqueue. Connections beyond the mock's network are
// refused (see Reaches).
func (w *Webhooks) EnqueueTo(target, event, resource string, body []byte) {
	h := fnv.New32a()
	h.Write([]byte(resource))
	lane := int(h.Sum32() % webhookLanes)
	now := w.o.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if w.cb < 0 {
		w.cb = len(w.subs)
		w.subs = append(w.subs, &WebhookSubscriber{URL: CallbacksURL, Secret: w.o.CallbackSecret, Scheme: w.o.CallbackScheme})
		first := len(w.lanes)
		w.lanes = append(w.lanes, make([][]*delivery, webhookLanes)...)
		if w.started {
			w.startLanes(first)
		}
	}
	to := *w.subs[w.cb]
	to.URL = target
	d := &delivery{sub: w.cb, to: &to, id: randomID("msg_"), event: event, body: body}
	if w.pending >= w.o.MaxQueue {
		w.dropped++
		w.journal(d, now, 0, nil, nil, "queue full: callback dropped", 0)
		return
	}
	w.pending++
	w.lanes[w.cb*webhookLanes+lane] = append(w.lanes[w.cb*webhookLanes+lane], d)
	w.startLocked()
	w.cond.Broadcast()
}

// CallbackSigning is how deliveries to the URLs requests name are signed:
// the scheme and the secret (generated when WebhookOptions gave none).
func (w *Webhooks) CallbackSigning() (WebhookScheme, string) {
	return w.o.CallbackScheme, w.o.CallbackSecret
}

// checkCallbackSigning validates and completes the callback signing options.
func (o *WebhookOptions) checkCallbackSigning() error {
	s := WebhookSubscriber{URL: "http://127.0.0.1/", Secret: o.CallbackSecret, Scheme: o.CallbackScheme}
	if err := s.check(NetworkLoopback); err != nil {
		return fmt.Errorf("callbacks: %w", err)
	}
	o.CallbackScheme = s.Scheme
	if o.CallbackSecret == "" {
		o.CallbackSecret = newSecret(o.CallbackScheme)
	}
	return nil
}
