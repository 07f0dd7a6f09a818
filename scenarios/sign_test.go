package scenarios

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The verifiers below are written from each scheme's published rules,
// independently of signer.
func TestSignatureSchemesVerify(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	body := []byte(`{"type":"order.created"}`)
	mac := func(key []byte, parts ...string) []byte {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write([]byte(p))
		}
		return m.Sum(nil)
	}

	sign, err := signer("standard", "whsec_"+base64.StdEncoding.EncodeToString([]byte("k3y")), now)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	sign(h, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac([]byte("k3y"), h.Get("webhook-id"), ".", "1700000000", ".", string(body)))
	if h.Get("webhook-signature") != want || h.Get("webhook-timestamp") != "1700000000" || !strings.HasPrefix(h.Get("webhook-id"), "msg_") {
		t.Errorf("standard webhooks: %v", h)
	}

	sign, _ = signer("stripe", "whsec_stripe", now)
	h = http.Header{}
	sign(h, body)
	if want := "t=1700000000,v1=" + hex.EncodeToString(mac([]byte("whsec_stripe"), "1700000000.", string(body))); h.Get("Stripe-Signature") != want {
		t.Errorf("stripe: %q, want %q", h.Get("Stripe-Signature"), want)
	}

	sign, _ = signer("github", "gh", now)
	h = http.Header{}
	sign(h, body)
	if want := "sha256=" + hex.EncodeToString(mac([]byte("gh"), string(body))); h.Get("X-Hub-Signature-256") != want {
		t.Errorf("github: %q", h.Get("X-Hub-Signature-256"))
	}

	if h.Get("X-GitHub-Delivery") == "" || h.Get("X-GitHub-Event") != "" {
		t.Errorf("github: a delivery id and no made-up event: %v", h)
	}

	sign, _ = signer("hmac-sha256", "plain", now)
	h = http.Header{}
	sign(h, body)
	if want := "sha256=" + hex.EncodeToString(mac([]byte("plain"), string(body))); h.Get("X-Webhook-Signature") != want || h.Get("X-Webhook-Timestamp") != "1700000000" {
		t.Errorf("hmac-sha256: %v", h)
	}

	if _, err := signer("md5", "x", now); err == nil {
		t.Error("an unknown scheme must be refused")
	}
	if _, err := signer("github", "", now); err == nil {
		t.Error("a github signature without a secret must be refused")
	}
	if _, err := signer("standard", "whsec_!!!", now); err == nil {
		t.Error("a whsec_ secret that is not base64 must be refused")
	}
}
