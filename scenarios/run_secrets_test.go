package scenarios

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// awkwardSecret has the characters every encoding changes: JSON escapes
// & < > and ", URLs escape all of them, HTML escapes them too.
const awkwardSecret = `pa&ss<wo>rd"q`

// encodings lists every form in which s could leak, each with its name.
func encodings(s string) map[string]string {
	jsonHTML, _ := json.Marshal(s)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	quoted := strconv.Quote(s)
	goQuoted := quoted[1 : len(quoted)-1]
	jsonOfQuoted, _ := json.Marshal(goQuoted)
	return map[string]string{
		"raw":                  s,
		"JSON":                 strings.Trim(string(jsonHTML), `"`),
		"JSON without HTML":    strings.Trim(strings.TrimSpace(plain.String()), `"`),
		"Go-quoted":            goQuoted,
		"JSON of Go-quoted":    strings.Trim(string(jsonOfQuoted), `"`),
		"HTML of Go-quoted":    template.HTMLEscapeString(goQuoted),
		"query-escaped":        url.QueryEscape(s),
		"path-escaped":         url.PathEscape(s),
		"HTML-escaped":         html.EscapeString(s),
		"template-escaped":     template.HTMLEscapeString(s),
		"base64":               base64.StdEncoding.EncodeToString([]byte(s)),
		"base64 in Basic auth": base64.StdEncoding.EncodeToString([]byte("ops:" + s)),
	}
}

// TestRunLeaksNoSecret: a secret from the environment in a flow's URL
// (query and path), headers and body, with a step whose transport fails
// so that the load's error texts hold the URL, appears in no encoding in
// any file of the run folder, in the progress, in the logs, in the
// verdict a command prints or in the error returned.
func TestRunLeaksNoSecret(t *testing.T) {
	t.Parallel()
	s, err := ReadFile(filepath.Join("testdata", "e2e", "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Load.Flow[2].Headers["X-Basic"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+awkwardSecret))
	dir := t.TempDir()
	var progress, logs strings.Builder
	getenv := func(name string) (string, bool) {
		if name == "FD_SECRET" {
			return awkwardSecret, true
		}
		return "", false
	}
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	out, err := Run(context.Background(), s, Options{Out: dir, Progress: &progress, Logger: logger, Getenv: getenv, Runtime: &Embedded{Logger: logger}})
	if out == nil || out.Load == nil {
		t.Fatalf("run: %v: no load ran", err)
	}
	if out.Verdict.Passed || len(out.Load.Flow.ErrorTexts) == 0 {
		t.Fatalf("the failing step made no transport error: verdict %+v", out.Verdict)
	}
	texts := map[string]string{
		"progress": progress.String(),
		"logs":     logs.String(),
		"verdict":  fmt.Sprintf("%+v", out.Verdict),
		"load":     fmt.Sprintf("%+v", *out.Load),
	}
	if err != nil {
		texts["error"] = err.Error()
	}
	files := 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return nil
		}
		files++
		texts[filepath.Base(path)] = string(data)
		return nil
	})
	for _, want := range []string{"summary.json", "summary.md", "junit.xml", "report.html", "results.bin", "journal-shop.jsonl"} {
		if _, ok := texts[want]; !ok {
			t.Errorf("the run folder lacks %s", want)
		}
	}
	if !strings.Contains(texts["summary.json"], "127.0.0.1:1") {
		t.Errorf("the failing step's error is not in summary.json: the check would see nothing")
	}
	for where, text := range texts {
		for name, form := range encodings(awkwardSecret) {
			if i := strings.Index(text, form); i >= 0 {
				t.Errorf("%s holds the secret %s (%q) at %d: …%s…", where, name, form, i, text[max(0, i-60):min(len(text), i+len(form)+20)])
			}
		}
	}
	// results.bin is still a results file vegeta reads, its URLs redacted.
	f, err := os.Open(filepath.Join(dir, "results.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	n, redactedURLs := 0, 0
	for {
		var res vegeta.Result
		if err := dec.Decode(&res); err != nil {
			break
		}
		n++
		if strings.Contains(res.URL, Redacted) {
			redactedURLs++
		}
	}
	if n == 0 || uint64(n) < out.Load.Flow.Requests || redactedURLs == 0 {
		t.Errorf("results.bin decodes to %d results (%d URLs redacted); the load made %d requests", n, redactedURLs, out.Load.Flow.Requests)
	}
	t.Logf("%d files checked", files)
}

// TestRunSendsAdminToken: with admin_token set, the flow's inserts and the
// consistency check that reads a GraphQL mock's state through its admin
// API both pass, which they cannot without the token (401); the token,
// a secret, is in no file of the run folder. The control runs the same
// scenario against a mock whose token the harness does not know.
func TestRunSendsAdminToken(t *testing.T) {
	t.Parallel()
	const token = "adm-T0ken/with+odd&chars"
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprint(known), func(t *testing.T) {
			t.Parallel()
			s, err := ReadFile(filepath.Join("testdata", "e2e", "admin-token.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			getenv := func(name string) (string, bool) { return token, name == "FD_ADMIN_TOKEN" }
			dir := t.TempDir()
			run := Options{Out: dir, Getenv: getenv, Runtime: &Embedded{}}
			if !known {
				// The harness reads another token than the mock was given.
				run.Runtime = &tokenSwap{Embedded: &Embedded{}, token: "other-token"}
			}
			out, err := Run(context.Background(), s, run)
			if known && err != nil {
				t.Fatalf("run: %v\n%+v", err, out)
			}
			if !known {
				if err == nil || out == nil || out.Verdict.Passed {
					t.Fatalf("a harness without the token passed: %v", err)
				}
				return
			}
			if out.Load == nil || out.Load.Flow.Requests < 3 || len(out.Verdict.Gates) != 2 {
				t.Fatalf("outcome %+v", out.Verdict)
			}
			_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, _ := os.ReadFile(path)
				for name, form := range encodings(token) {
					if strings.Contains(string(data), form) {
						t.Errorf("%s holds the admin token (%s)", path, name)
					}
				}
				return nil
			})
		})
	}
}

// tokenSwap serves each mock behind a guard that wants another admin
// token than the scenario's: what a harness that forgot the token meets.
type tokenSwap struct {
	*Embedded
	token string
}

func (ts *tokenSwap) ServeMock(ctx context.Context, name string, h http.Handler, limits toolkit.ServerLimits) (string, error) {
	return ts.Embedded.ServeMock(ctx, name, toolkit.AdminGuard{Token: ts.token}.Handler(h), limits)
}
