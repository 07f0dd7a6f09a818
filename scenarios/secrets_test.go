package scenarios

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ci"
)

// TestSecretsRedactEveryEncoding: each form a secret takes on its way to
// an artefact is redacted, and so is a Basic credential that holds it.
func TestSecretsRedactEveryEncoding(t *testing.T) {
	t.Parallel()
	s := &Secrets{}
	s.Add(awkwardSecret)
	s.Add(`quo"te`)
	for name, form := range encodings(awkwardSecret) {
		before := "before "
		if strings.Contains(name, "Basic") {
			before = "Authorization: Basic "
		}
		if got := s.Redact(before + form + " after"); got != before+Redacted+" after" {
			t.Errorf("%s form %q: redacted to %q", name, form, got)
		}
	}
	for name, form := range encodings(`quo"te`) {
		if got := s.Redact("[Basic " + form + "]"); strings.Contains(got, form) {
			t.Errorf("quo\"te, %s form %q: redacted to %q", name, form, got)
		}
	}
	if got := s.Redact("Authorization: Basic b3BzOnB3"); got != "Authorization: Basic b3BzOnB3" {
		t.Errorf("a Basic credential without a secret was redacted: %q", got)
	}
	if got := s.Redact("a plain line"); got != "a plain line" {
		t.Errorf("a line without secret changed: %q", got)
	}
}

// TestRedactedCopiesDeep: a redacted copy has no secret in strings, byte
// slices, maps, pointers, interfaces and errors, and the original is left
// as it was (a journal's entries are the mock's).
func TestRedactedCopiesDeep(t *testing.T) {
	t.Parallel()
	s := &Secrets{}
	s.Add("hunter22")
	type inner struct {
		Body   []byte
		Header http.Header
		Any    any
		Err    error
	}
	orig := &inner{Body: []byte(`{"p":"hunter22"}`), Header: http.Header{"X-Key": {"hunter22"}},
		Any: map[string]any{"list": []any{"x hunter22"}}, Err: ci.WithExit(ci.ExitSetup, errors.New("dial hunter22"))}
	got := redacted(s, orig)
	if strings.Contains(string(got.Body), "hunter22") || got.Header.Get("X-Key") != Redacted ||
		got.Any.(map[string]any)["list"].([]any)[0] != "x "+Redacted || strings.Contains(got.Err.Error(), "hunter22") {
		t.Errorf("redacted copy %+v", got)
	}
	if ci.CodeOf(got.Err) != ci.ExitSetup {
		t.Errorf("the redacted error lost its exit code: %v", ci.CodeOf(got.Err))
	}
	if !strings.Contains(string(orig.Body), "hunter22") || orig.Header.Get("X-Key") != "hunter22" {
		t.Errorf("the original changed: %+v", orig)
	}
}

// TestRedactHandler: what the run logs is redacted, message and attributes.
func TestRedactHandler(t *testing.T) {
	t.Parallel()
	s := &Secrets{}
	s.Add(awkwardSecret)
	var out strings.Builder
	log := slog.New(redactHandler{s: s, inner: slog.NewJSONHandler(&out, nil)})
	log.With("url", "http://x/?k="+awkwardSecret).Info("load "+awkwardSecret, "err", errors.New("refused "+awkwardSecret),
		slog.Group("req", "header", awkwardSecret))
	for name, form := range encodings(awkwardSecret) {
		if strings.Contains(out.String(), form) {
			t.Errorf("the log holds the %s form: %s", name, out.String())
		}
	}
	if strings.Count(out.String(), Redacted) != 4 {
		t.Errorf("want 4 redactions: %s", out.String())
	}
}
