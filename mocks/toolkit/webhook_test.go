package toolkit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWebhookVerifiersMatchPublishedVectors(t *testing.T) {
	t.Parallel()
	// The Standard Webhooks reference vector.
	const secret, id, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", `{"test": 2432232314}`
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := StandardSignature(secret, id, 1614265330, []byte(body)); got != want {
		t.Errorf("StandardSignature = %q, want the specification's %q", got, want)
	}
	h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {"v1,bm9wZQ== " + want}}
	if err := verifyStandard(secret, h, []byte(body)); err != nil {
		t.Errorf("the test's verifier refuses the specification's vector: %v", err)
	}
	if err := verifyStandard(secret, h, []byte(body+" ")); err == nil {
		t.Error("the test's verifier accepts a tampered body")
	}
	// GitHub's documented vector.
	gh := http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}
	if err := verifyGitHub("It's a Secret to Everybody", gh, []byte("Hello, World!")); err != nil {
		t.Errorf("the test's verifier refuses GitHub's vector: %v", err)
	}
	if err := verifyGitHub("It's a Secret to Everybody", gh, []byte("Hello, World?")); err == nil {
		t.Error("the GitHub verifier accepts a tampered body")
	}
	var signed http.Header = http.Header{}
	sign(signed, &WebhookSubscriber{Scheme: SchemeGitHub, Secret: "It's a Secret to Everybody"}, "d1", "orders.created", time.Unix(1, 0), []byte("Hello, World!"))
	if signed.Get("X-Hub-Signature-256") != gh.Get("X-Hub-Signature-256") {
		t.Errorf("GitHub signature %q, want the documented one", signed.Get("X-Hub-Signature-256"))
	}
}

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	s, err := ParseWebhook("http://127.0.0.1:9000/hooks,secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,events=create,delete,scheme=standard")
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "http://127.0.0.1:9000/hooks" || strings.Join(s.Events, ",") != "create,delete" || s.Scheme != SchemeStandard || !strings.HasPrefix(s.Secret, "whsec_") {
		t.Errorf("parsed %+v", s)
	}
	if s, err := ParseWebhook("http://localhost:1/x,scheme=github,secret=plain"); err != nil || s.Scheme != SchemeGitHub {
		t.Errorf("github: %+v %v", s, err)
	}
	for in, want := range map[string]string{
		"":                                  "not an http(s) URL",
		"ftp://127.0.0.1/x":                 "not an http(s) URL",
		"http://example.com/hooks":          "only receivers on loopback",
		"http://10.0.0.1/hooks":             "only receivers on loopback",
		"http://127.0.0.1/x,events=created": `event "created"`,
		"http://127.0.0.1/x,scheme=svix":    `scheme "svix"`,
		"http://127.0.0.1/x,secret=not b64": "whsec_",
		"http://127.0.0.1/x,colour=red":     `unknown setting "colour"`,
		"http://127.0.0.1/x,create":         `"create" is not key=value`,
	} {
		_, err := ParseWebhook(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "mocks: webhook") {
			t.Errorf("ParseWebhook(%q) = %v, want an error naming %s", in, err, want)
		}
	}
	if err := NetworkLoopback.control("tcp", "93.184.216.34:80", nil); err == nil {
		t.Error("the dialer would reach beyond loopback")
	}
	if err := NetworkLoopback.control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Error(err)
	}
	if _, err := NewWebhooks(WebhookOptions{Subscribers: []WebhookSubscriber{{URL: "http://192.168.1.1/"}}}); err == nil {
		t.Error("a non-loopback subscriber accepted")
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:1/x,secret=a,events=create,update", "http://[::1]:1/,scheme=stripe", ",=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sub, err := ParseWebhook(s)
		if err != nil {
			return
		}
		if err := sub.check(NetworkLoopback); err != nil {
			t.Fatalf("%q parsed to %+v, which does not check: %v", s, sub, err)
		}
		for _, e := range sub.Events {
			if !slices.Contains(eventKinds, e) {
				t.Fatalf("%q: event %q", s, e)
			}
		}
	})
}

// The verifiers a receiver of each scheme runs (as the OpenAPI mock's
// webhook tests do), checked against the published vectors.

func verifyStandard(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, _ := strings.Cut(sig, ","); v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", h.Get("webhook-signature"))
}

func verifyGitHub(secret string, h http.Header, body []byte) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if got := h.Get("X-Hub-Signature-256"); !hmac.Equal([]byte(got), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
		return fmt.Errorf("X-Hub-Signature-256 %q does not verify", got)
	}
	return nil
}

func FuzzWebhookAdmin(f *testing.F) {
	for _, s := range []string{"", "/pause", "/resume", "/drain?timeout=1ms", "/drain?timeout=-1s", "/x"} {
		f.Add("POST", s)
		f.Add("GET", s)
	}
	w, err := NewWebhooks(WebhookOptions{})
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	h := w.AdminHandler()
	f.Fuzz(func(t *testing.T, method, path string) {
		if !validMethod(method) {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+WebhooksPath+path, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusGatewayTimeout {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	})
}
