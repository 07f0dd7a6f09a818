package scenarios

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Signature makes a flow step sign its requests as a webhook sender does.
type Signature struct {
	// Scheme is standard (Standard Webhooks: webhook-id, webhook-timestamp,
	// webhook-signature), stripe (Stripe-Signature), github
	// (X-Hub-Signature-256) or hmac-sha256 (X-Webhook-Signature).
	Scheme string `yaml:"scheme,omitempty" json:"scheme,omitempty" jsonschema:"enum=standard,enum=stripe,enum=github,enum=hmac-sha256"`
	// Secret is the signing secret; use ${env:NAME} to keep it out of the file.
	// For standard, a whsec_ prefix means the rest is base64.
	Secret string `yaml:"secret" json:"secret" jsonschema:"required"`
}

// signer returns the function that signs a request's header for its body.
func signer(scheme, secret string, now func() time.Time) (func(http.Header, []byte) error, error) {
	key := []byte(secret)
	switch scheme {
	case "", "standard":
		if k, ok := strings.CutPrefix(secret, "whsec_"); ok {
			var err error
			if key, err = base64.StdEncoding.DecodeString(k); err != nil {
				return nil, fmt.Errorf("a whsec_ secret is base64 after the prefix: %w", err)
			}
		}
		return func(h http.Header, body []byte) error {
			id, ts := "msg_"+randomID(), strconv.FormatInt(now().Unix(), 10)
			mac := hmac.New(sha256.New, key)
			fmt.Fprintf(mac, "%s.%s.", id, ts)
			mac.Write(body)
			h.Set("webhook-id", id)
			h.Set("webhook-timestamp", ts)
			h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
			return nil
		}, nil
	case "stripe", "github", "hmac-sha256":
		// Signed as the mocks sign their own deliveries.
		if secret == "" {
			return nil, fmt.Errorf("%s signatures need a secret", scheme)
		}
		return func(h http.Header, body []byte) error {
			return toolkit.SignDelivery(h, toolkit.WebhookScheme(scheme), secret, "msg_"+randomID(), "", now(), body)
		}, nil
	}
	return nil, fmt.Errorf("signature scheme %q is not standard, stripe, github or hmac-sha256", scheme)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
