package toolkit

import (
	"net/http"
	"strings"
	"testing"
)

func TestMaskQuery(t *testing.T) {
	t.Parallel()
	s := Secrets{query: map[string]bool{"k": true}}
	tests := map[string]string{
		"":                      "",
		"limit=1":               "limit=1",
		"k=abc&limit=1":         "k=%2A%2A%2A&limit=1",
		"api_token=x":           "api_token=%2A%2A%2A",
		"%zz=1&password=hunter": Masked,
		// OAuth2 redirects, signed URLs, bearer tokens in a query.
		"code=SplxlOBe&state=xyz":      "code=%2A%2A%2A&state=xyz",
		"sig=abc123&se=2026":           "se=2026&sig=%2A%2A%2A",
		"access_token=t&refresh_token": "access_token=%2A%2A%2A&refresh_token=%2A%2A%2A",
		"api_key=k&apikey=k2":          "api_key=%2A%2A%2A&apikey=%2A%2A%2A",
		"id_token=j&x-jwt=j2":          "id_token=%2A%2A%2A&x-jwt=%2A%2A%2A",
		"author=ann&client_secret=s":   "author=ann&client_secret=%2A%2A%2A",
		"postcode=1000":                "postcode=1000",
		// A GraphQL GET with a secret written as an argument.
		"query=%7Blogin%28password%3A%22hunter2%22%2Cuser%3A%22ann%22%29%7D": "query=%7Blogin%28password%3A%22%2A%2A%2A%22%2Cuser%3A%22ann%22%29%7D",
	}
	for in, want := range tests {
		if got := s.MaskQuery(in); got != want {
			t.Errorf("MaskQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskHeaderByName(t *testing.T) {
	t.Parallel()
	s := NewSecrets(nil)
	h := http.Header{
		"X-Access-Jwt": {"eyJ.x.y"}, "X-Api-Key": {"k"}, "X-Auth-Token": {"t"}, "Cookie": {"sid=1"},
		"Authorization": {"Bearer abc"}, "X-Shop-Key": {"s"}, "X-Hub-Signature-256": {"sha256=1"},
		"Accept": {"application/json"}, "Idempotency-Key": {"idem-1"}, "Content-Type": {"application/json"},
	}
	got := s.MaskHeader(h)
	for _, k := range []string{"X-Access-Jwt", "X-Api-Key", "X-Auth-Token", "Cookie", "X-Shop-Key", "X-Hub-Signature-256"} {
		if got.Get(k) != Masked {
			t.Errorf("%s journaled as %q", k, got.Get(k))
		}
	}
	if got.Get("Authorization") != "Bearer "+Masked {
		t.Errorf("Authorization journaled as %q", got.Get("Authorization"))
	}
	for _, k := range []string{"Accept", "Idempotency-Key", "Content-Type"} {
		if got.Get(k) != h.Get(k) {
			t.Errorf("%s, no secret, journaled as %q", k, got.Get(k))
		}
	}
	if h.Get("X-Api-Key") != "k" {
		t.Error("MaskHeader changed the request's own header")
	}
}

func TestMaskBody(t *testing.T) {
	t.Parallel()
	s := NewSecrets(nil)
	for _, tc := range []struct {
		name, ct, in, want string
	}{
		{"json", "application/json", `{"email":"a@x","password":"pa&ss<w>\"q"}`, `{"email":"a@x","password":"***"}`},
		{"nested", "application/json; charset=utf-8", `{"user":{"passwd":"p","name":"n"},"creds":[{"client_secret":"s","api_key":1}]}`,
			`{"creds":[{"api_key":"***","client_secret":"***"}],"user":{"name":"n","passwd":"***"}}`},
		{"graphql variables", "application/json", `{"query":"mutation($p: String!) { login(password: $p) }","variables":{"p":"x","accessToken":"t"}}`,
			`{"query":"mutation($p: String!) { login(password: $p) }","variables":{"accessToken":"***","p":"x"}}`},
		{"graphql literals", "application/json", `{"query":"mutation { login(password: \"pa&ss<w>\\\"q\", user: \"ann\", pin: 1234, apiKey: 99) { token } other(input: {client_secret: \"\"\"s\nt\"\"\", note: \"n\"}) }"}`,
			`{"query":"mutation { login(password: \"***\", user: \"ann\", pin: 1234, apiKey: \"***\") { token } other(input: {client_secret: \"***\", note: \"n\"}) }"}`},
		{"no secret field", "application/json", `{"code": "EUR", "author": "ann", "total": 1}`, `{"code": "EUR", "author": "ann", "total": 1}`},
		{"vendor json", "application/vnd.api+json", `{"refresh_token":"r"}`, `{"refresh_token":"***"}`},
		{"form", "application/x-www-form-urlencoded", `grant_type=authorization_code&code=c0de&client_secret=s`, `client_secret=%2A%2A%2A&code=%2A%2A%2A&grant_type=authorization_code`},
		{"cut short", "application/json", `{"a":"b","password":"hunter2","token":"abc`, `{"a":"b","password":"***","token":"***"`},
		{"not json", "text/plain", `password=hunter2`, `password=hunter2`},
	} {
		body := []byte(tc.in)
		if got := string(s.MaskBody(tc.ct, body)); got != tc.want {
			t.Errorf("%s: MaskBody = %s, want %s", tc.name, got, tc.want)
		}
		if string(body) != tc.in {
			t.Errorf("%s: MaskBody changed the request's own body", tc.name)
		}
	}
	if !strings.Contains(string(s.MaskBody("application/json", []byte(`[{"session":"s"}]`))), Masked) {
		t.Error("a JSON array body is not masked")
	}
}
