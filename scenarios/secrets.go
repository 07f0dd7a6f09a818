package scenarios

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"html/template"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Secrets are values that must never appear in output: every value a
// scenario reads from the environment, and the mocks' admin token. The
// zero value is ready; nil is safe.
//
// A secret is redacted in every form it takes on its way to an artefact:
// as it is, escaped for JSON (with and without the HTML escapes of
// encoding/json: & < > become \u0026...), quoted as Go quotes error texts
// (" becomes \"), escaped for a URL query or path (%26...), escaped for
// HTML (&amp;, &#34;), in base64, any of these escaped once more for JSON
// or HTML (a Go-quoted URL in a JSON report), and inside a Basic
// credential (base64 of user:password).
type Secrets struct {
	mu     sync.RWMutex
	values []string
	forms  *strings.Replacer // every form of every value, longest first
}

// MinSecret is the shortest value treated as a secret: shorter ones (a
// port, "1") would redact half of every line.
const MinSecret = 4

// Redacted is what a secret becomes.
const Redacted = "***"

// Add learns a secret value.
func (s *Secrets) Add(v string) {
	if s == nil || len(v) < MinSecret {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.values {
		if have == v {
			return
		}
	}
	s.values = append(s.values, v)
	seen := map[string]bool{}
	var all []string
	for _, secret := range s.values {
		for _, f := range secretForms(secret) {
			if !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	// Longest first: at one position the replacer takes the first form
	// that matches, so a form that contains another is redacted whole.
	sort.SliceStable(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, f := range all {
		pairs = append(pairs, f, Redacted)
	}
	s.forms = strings.NewReplacer(pairs...)
}

// textEscapes are the escapes a text goes through on its way into a
// report, a JSON line or an error message.
var textEscapes = []func(string) string{
	jsonEscape(true), jsonEscape(false), goQuote, html.EscapeString, template.HTMLEscapeString,
}

// urlEscapes are the escapes a value goes through in a URL.
var urlEscapes = []func(string) string{url.QueryEscape, url.PathEscape}

// secretForms returns v and every encoding of it that may appear in an
// artefact (see Secrets).
func secretForms(v string) []string {
	once := []string{v,
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v)),
		base64.URLEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
	for _, esc := range append(append([]func(string) string{}, textEscapes...), urlEscapes...) {
		once = append(once, esc(v))
	}
	forms := append([]string{}, once...)
	for _, f := range once[5:] { // the escaped forms, escaped once more
		for _, esc := range textEscapes {
			forms = append(forms, esc(f))
		}
	}
	out := forms[:0]
	for _, f := range forms {
		if len(f) >= MinSecret {
			out = append(out, f)
		}
	}
	return out
}

// jsonEscape returns the inside of a JSON string of s, as encoding/json
// writes it (html: with & < > escaped, its default).
func jsonEscape(htmlEscapes bool) func(string) string {
	return func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(htmlEscapes)
		_ = enc.Encode(s)
		out := strings.TrimSpace(b.String())
		return out[1 : len(out)-1]
	}
}

// goQuote returns the inside of s quoted as %q quotes it (url.Error does).
func goQuote(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// basicCredential finds the credential of a Basic authorization.
var basicCredential = regexp.MustCompile(`(?i)(basic\s+)([A-Za-z0-9+/_-]{4,}=*)`)

// Redact replaces every known secret in text, in every form, with "***".
func (s *Secrets) Redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.forms == nil {
		return text
	}
	if strings.Contains(strings.ToLower(text), "basic") {
		text = basicCredential.ReplaceAllStringFunc(text, func(m string) string {
			sub := basicCredential.FindStringSubmatch(m)
			if s.holdsSecret(sub[2]) {
				return sub[1] + Redacted
			}
			return m
		})
	}
	return s.forms.Replace(text)
}

// holdsSecret reports whether a base64 credential decodes to a text that
// holds a secret (user:password).
func (s *Secrets) holdsSecret(b64 string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		dec, err := enc.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, v := range s.values {
			if strings.Contains(string(dec), v) {
				return true
			}
		}
	}
	return false
}

// Writer wraps w so that every line written through it is redacted.
// Lines are buffered until their newline so a secret split across writes is
// still found; Close flushes what remains.
func (s *Secrets) Writer(w io.Writer) io.WriteCloser { return &redactWriter{s: s, w: w} }

type redactWriter struct {
	s   *Secrets
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

func (r *redactWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	i := bytes.LastIndexByte(r.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(r.w, r.s.Redact(string(r.buf[:i+1]))); err != nil {
		return 0, err
	}
	r.buf = append(r.buf[:0], r.buf[i+1:]...)
	return len(p), nil
}

func (r *redactWriter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(r.w, r.s.Redact(string(r.buf)))
	r.buf = nil
	return err
}

// redactedError is an error whose text had secrets: Error is the redacted
// text; the chain (exit codes, sentinels) is the original's.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// RedactError returns err with its text redacted, keeping its chain so
// that errors.Is, errors.As and the exit code still see through it.
func (s *Secrets) RedactError(err error) error {
	if err == nil {
		return nil
	}
	if msg := s.Redact(err.Error()); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}
