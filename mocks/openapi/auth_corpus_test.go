package openapi

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts/corpustest"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
	"github.com/firedrill/firedrill/mocks/toolkit"
	"github.com/getkin/kin-openapi/openapi3"
)

// The credentials reqgen sends (its apiKey, basic and bearer values).
const (
	corpusKey   = "key_test_123"
	corpusToken = "token_test_123"
	corpusBasic = "dXNlcjpwYXNz" // user:pass
)

// TestAuthCorpus checks auth against every security scheme real vendors
// declare (Stripe's basic and bearer, Twilio's basic, PayPal's and HubSpot's
// OAuth2, Adyen's API keys and basic...): for every operation of every
// corpus document, the request reqgen builds with the right credentials is
// never refused by auth, and the same request with every credential wrong
// gets 401 with WWW-Authenticate wherever the operation requires any.
func TestAuthCorpus(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "openapi", "*")
	var (
		mu              sync.Mutex
		calls, refusals int
		lines           []string
	)
	t.Run("documents", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				if raw, err := os.ReadFile(f); err != nil || !(bytes.Contains(raw, []byte("securitySchemes")) || bytes.Contains(raw, []byte("securityDefinitions"))) {
					return // no security scheme to check: skip loading it
				}
				c, err := corpusContract(f)
				if err != nil || c.Doc.Components == nil || len(c.Doc.Components.SecuritySchemes) == 0 {
					return // not loadable (the corpus proof reports it), or no scheme to check
				}
				a, err := toolkit.NewAuth(toolkit.AuthOptions{
					APIKeys:    []string{corpusKey},
					BasicUsers: map[string]string{"user": "pass"},
					OAuth2:     &toolkit.OAuth2Options{Clients: map[string]string{"c": "s"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				m, err := NewHandler(c, WithAuth(a))
				if err != nil {
					t.Fatal(err)
				}
				// A live token with every scope the contract declares, sent
				// where reqgen sends its bearer token.
				tok, err := a.IssueToken("c")
				if err != nil {
					t.Fatal(err)
				}
				n, r, fails := authCorpusCalls(m, tok.AccessToken)
				for _, f := range fails {
					t.Error(f)
				}
				mu.Lock()
				defer mu.Unlock()
				calls, refusals = calls+n, refusals+r
				lines = append(lines, fmt.Sprintf("%-55s %4d operations, %4d refused without credentials", filepath.Base(f), n, r))
			})
		}
	})
	sort.Strings(lines)
	for _, l := range lines {
		t.Log(l)
	}
	t.Logf("corpus auth: %d operations, %d need credentials and refused wrong ones", calls, refusals)
	if calls == 0 || refusals == 0 {
		t.Fatal("no operation was called, or none needed credentials")
	}
}

// authCorpusCalls sends every operation of m's contract with the right
// credentials (token the bearer token), then with wrong ones.
func authCorpusCalls(m *Mock, token string) (n, refused int, fails []string) {
	doc := m.contract.Doc
	for i, op := range reqgen.Ops(doc) {
		req, err := reqgen.Build(doc, "http://127.0.0.1"+m.BasePath(), op, int64(i+1))
		if err != nil {
			continue
		}
		withToken(req, token)
		n++
		w := newRecorder()
		m.ServeHTTP(w, req.Clone(req.Context()))
		if w.code == http.StatusUnauthorized || w.code == http.StatusForbidden {
			fails = append(fails, fmt.Sprintf("%s: the right credentials refused %d: %s", op.Name(), w.code, firstLine(string(w.body))))
			continue
		}
		if !needsCredentials(doc, op) {
			continue
		}
		wrong := spoilCredentials(req, token)
		w = newRecorder()
		m.ServeHTTP(w, wrong)
		if w.code != http.StatusUnauthorized || w.header.Get("WWW-Authenticate") == "" {
			fails = append(fails, fmt.Sprintf("%s: wrong credentials got %d (WWW-Authenticate %q)", op.Name(), w.code, w.header.Get("WWW-Authenticate")))
			continue
		}
		refused++
	}
	return n, refused, fails
}

// needsCredentials reports whether every requirement of op names a scheme
// (none is the empty, anonymous one).
func needsCredentials(doc *openapi3.T, op reqgen.Op) bool {
	reqs := op.Operation.Security
	if reqs == nil {
		reqs = &doc.Security
	}
	if len(*reqs) == 0 {
		return false
	}
	for _, r := range *reqs {
		if len(r) == 0 {
			return false
		}
	}
	return true
}

// withToken puts token where reqgen put its bearer token.
func withToken(req *http.Request, token string) {
	for k, vs := range req.Header {
		for i, v := range vs {
			vs[i] = strings.ReplaceAll(v, corpusToken, token)
		}
		req.Header[k] = vs
	}
}

// spoilCredentials copies req with every credential reqgen set (and the
// token) made wrong.
func spoilCredentials(req *http.Request, token string) *http.Request {
	out := req.Clone(req.Context())
	spoil := strings.NewReplacer(corpusKey, "wrong", token, "wrong", corpusBasic, "d3Jvbmc6d3Jvbmc=")
	for k, vs := range out.Header {
		for i, v := range vs {
			vs[i] = spoil.Replace(v)
		}
		out.Header[k] = vs
	}
	u := *out.URL
	u.RawQuery = spoil.Replace(u.RawQuery)
	out.URL = &u
	return out
}
