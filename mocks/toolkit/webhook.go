package toolkit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WebhookScheme is how deliveries are signed.
type WebhookScheme string

// The signature schemes a subscriber may choose.
const (
	// SchemeStandard signs as the Standard Webhooks specification says:
	// webhook-id, webhook-timestamp and webhook-signature "v1,<base64
	// HMAC-SHA256 of id.timestamp.body>", keyed by the base64 part of a
	// "whsec_" secret. The default.
	SchemeStandard WebhookScheme = "standard"
	// SchemeStripe signs as Stripe does: Stripe-Signature "t=<unix>,v1=<hex
	// HMAC-SHA256 of timestamp.body>", keyed by the whole secret.
	SchemeStripe WebhookScheme = "stripe"
	// SchemeGitHub signs as GitHub does: X-Hub-Signature-256
	// "sha256=<hex HMAC-SHA256 of the body>", with X-GitHub-Event and
	// X-GitHub-Delivery.
	SchemeGitHub WebhookScheme = "github"
	// SchemeHMAC is a plain HMAC as many smaller vendors sign:
	// X-Webhook-Signature "sha256=<hex HMAC-SHA256 of the body>", with
	// X-Webhook-Id and X-Webhook-Timestamp (not signed).
	SchemeHMAC WebhookScheme = "hmac-sha256"
)

// The kinds of change a subscriber may ask for.
const (
	EventCreate = "create"
	EventUpdate = "update"
	EventDelete = "delete"
)

var eventKinds = []string{EventCreate, EventUpdate, EventDelete}

// WebhookSubscriber is one receiver of a mock's events.
type WebhookSubscriber struct {
	URL    string        // where events are POSTed; loopback only, unless WebhookOptions.Network says otherwise
	Secret string        // signing secret; generated when empty (see Webhooks.Subscribers)
	Events []string      // create, update, delete; every kind when empty
	Scheme WebhookScheme // SchemeStandard when empty
}

// ParseWebhook reads a subscriber written as on the command line:
// "URL[,secret=S][,events=create,update,delete][,scheme=standard|stripe|github|hmac-sha256]".
// Names after events= that hold no "=" are more event kinds. The URL must
// be on loopback (see ParseWebhookOn).
func ParseWebhook(s string) (WebhookSubscriber, error) {
	return ParseWebhookOn(s, NetworkLoopback)
}

// ParseWebhookOn reads a subscriber as ParseWebhook does, for a mock on
// network n: on NetworkPrivate the URL may name a container's alias.
func ParseWebhookOn(s string, n Network) (WebhookSubscriber, error) {
	bad := func(format string, a ...any) (WebhookSubscriber, error) {
		return WebhookSubscriber{}, fmt.Errorf("mocks: webhook %q: %s (want URL[,secret=S][,events=create,update,delete][,scheme=standard|stripe|github|hmac-sha256])", s, fmt.Sprintf(format, a...))
	}
	parts := strings.Split(strings.TrimSpace(s), ",")
	sub := WebhookSubscriber{URL: strings.TrimSpace(parts[0])}
	last := ""
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		k, v, hasEq := strings.Cut(p, "=")
		if !hasEq {
			if last != "events" {
				return bad("%q is not key=value", p)
			}
			sub.Events = append(sub.Events, p)
			continue
		}
		last = k
		switch k {
		case "secret":
			sub.Secret = v
		case "events":
			sub.Events = append(sub.Events, v)
		case "scheme":
			sub.Scheme = WebhookScheme(v)
		default:
			return bad("unknown setting %q (known: secret, events, scheme)", k)
		}
	}
	if err := sub.check(n); err != nil {
		return bad("%v", err)
	}
	return sub, nil
}

// check validates a subscriber: an http URL n allows, known events, a
// known scheme and a secret that scheme can use.
func (s *WebhookSubscriber) check(n Network) error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q is not an http(s) URL", s.URL)
	}
	if !n.allowsHost(u.Hostname()) {
		return fmt.Errorf("URL %q: only receivers on %s are allowed", s.URL, n.Receivers())
	}
	for _, e := range s.Events {
		if !slices.Contains(eventKinds, e) {
			return fmt.Errorf("event %q is not one of create, update, delete", e)
		}
	}
	switch s.Scheme {
	case "":
		s.Scheme = SchemeStandard
	case SchemeStandard, SchemeStripe, SchemeGitHub, SchemeHMAC:
	default:
		return fmt.Errorf("scheme %q is not standard, stripe, github or hmac-sha256", s.Scheme)
	}
	if s.Secret == "" {
		return nil
	}
	if s.Scheme == SchemeStandard {
		if _, err := standardKey(s.Secret); err != nil {
			return err
		}
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// wants reports whether the subscriber asked for kind.
func (s *WebhookSubscriber) wants(kind string) bool {
	return len(s.Events) == 0 || slices.Contains(s.Events, kind)
}

// standardKey decodes a Standard Webhooks secret: "whsec_" (optional) and
// the key in base64.
func standardKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, errors.New("a Standard Webhooks secret is whsec_ followed by a base64 key")
	}
	return key, nil
}

// newSecret makes a secret the scheme accepts.
func newSecret(scheme WebhookScheme) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	switch scheme {
	case SchemeGitHub, SchemeHMAC:
		return hex.EncodeToString(b)
	default:
		return "whsec_" + base64.StdEncoding.EncodeToString(b)
	}
}

// SignDelivery sets the headers of a delivery signed by scheme with secret,
// as the mock's own deliveries carry them: what a flow step that plays a
// vendor's webhook sender sends. event names the event where the scheme
// carries it (GitHub's X-GitHub-Event); "" leaves it out.
func SignDelivery(h http.Header, scheme WebhookScheme, secret, id, event string, at time.Time, body []byte) error {
	sub := WebhookSubscriber{URL: "http://127.0.0.1/", Secret: secret, Scheme: scheme}
	if err := sub.check(NetworkLoopback); err != nil {
		return fmt.Errorf("mocks: sign: %w", err)
	}
	sign(h, &sub, id, event, at, body)
	return nil
}

// sign sets the signature headers of one delivery attempt.
func sign(h http.Header, sub *WebhookSubscriber, id, event string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	switch sub.Scheme {
	case SchemeStripe:
		mac := hmac.New(sha256.New, []byte(sub.Secret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		h.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
	case SchemeGitHub:
		mac := hmac.New(sha256.New, []byte(sub.Secret))
		mac.Write(body)
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		if event != "" {
			h.Set("X-GitHub-Event", event)
		}
		h.Set("X-GitHub-Delivery", id)
	case SchemeHMAC:
		mac := hmac.New(sha256.New, []byte(sub.Secret))
		mac.Write(body)
		h.Set("X-Webhook-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		h.Set("X-Webhook-Id", id)
		h.Set("X-Webhook-Timestamp", ts)
	default:
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", StandardSignature(sub.Secret, id, at.Unix(), body))
	}
}

// StandardSignature is the webhook-signature value of the Standard Webhooks
// specification for one message ("" when the secret is not a valid one).
func StandardSignature(secret, id string, timestamp int64, body []byte) string {
	key, err := standardKey(secret)
	if err != nil {
		return ""
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
