package ci

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Defaults of a provider verification.
const (
	DefaultVerifyRate    = "2/s"            // requests a second, retries included
	DefaultVerifyTimeout = 30 * time.Second // per operation, Retry-After waits included
	DefaultVerifyRetries = 3                // retries of a 429 or 503 that carries Retry-After
)

// unreachableAfter is how many requests in a row, from the first, may go
// unanswered before Verify stops calling an API that is not there.
const unreachableAfter = 3

// ErrUnreachable is the error of a verification whose every request got no
// answer at all: the API is down or the base URL is wrong.
var ErrUnreachable = errors.New("ci: verify: the API answered no request")

// VerifyOptions say what Verify calls and how.
type VerifyOptions struct {
	// BaseURL is where the API is. When it has no path, the path of the
	// contract's first server (its base path) is appended; a URL with a
	// path is used as given.
	BaseURL string
	// AllowWrites sends every operation; by default only GET, HEAD and
	// OPTIONS are sent and the writes are listed as skipped.
	AllowWrites bool
	// Rate bounds the requests, retries included (DefaultVerifyRate when zero).
	Rate contracts.Rate
	// Operations keeps the operations named (operationId or "METHOD
	// /template"); every operation when empty.
	Operations []string
	// Timeout bounds each operation, the Retry-After waits included
	// (DefaultVerifyTimeout when 0).
	Timeout time.Duration
	// Retries is how many times a 429 or 503 carrying Retry-After is
	// retried after the wait it asks for (DefaultVerifyRetries when 0, none
	// when negative).
	Retries int
	// Seed seeds the request generator: the same seed builds the same requests.
	Seed int64
	// Auth names, per security scheme of the contract, the environment
	// variable that holds its credential ("user:password" for HTTP basic).
	// A scheme not named reads the conventional variables (EnvAPIKey...).
	Auth map[string]string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Client sends the requests (a client without redirects when nil).
	Client *http.Client
}

// Verification is what Verify found: one check per operation of the
// contract, in the contract's order.
type Verification struct {
	Contract   string           `json:"contract"`
	BaseURL    string           `json:"base_url"`
	Writes     bool             `json:"writes"` // writes were sent (AllowWrites)
	Rate       string           `json:"rate"`
	Seed       int64            `json:"seed"`
	Notes      []string         `json:"notes,omitempty"` // credentials missing, and the like
	Passed     int              `json:"passed"`
	Drifted    int              `json:"drifted"`
	Skipped    int              `json:"skipped"`
	Errors     int              `json:"errors"`
	Start      time.Time        `json:"start"`
	Duration   time.Duration    `json:"duration_ns"`
	Operations []OperationCheck `json:"operations"`
}

// The outcomes of an OperationCheck.
const (
	OutcomePass    = "pass"    // the answer keeps the contract
	OutcomeDrift   = "drift"   // the answer breaks it: see Drifts
	OutcomeSkipped = "skipped" // not sent: a write without AllowWrites
	OutcomeError   = "error"   // no answer to judge: no connection, a timeout, throttled past the retries
)

// OperationCheck is the verdict on one operation.
type OperationCheck struct {
	Operation string        `json:"operation"` // operationId, or "METHOD /template"
	Method    string        `json:"method"`
	Template  string        `json:"template"`
	Request   string        `json:"request,omitempty"` // "METHOD URL" as sent, secrets masked
	Status    int           `json:"status,omitempty"`  // the status of the answer judged
	Attempts  int           `json:"attempts,omitempty"`
	Outcome   string        `json:"outcome"`
	Reason    string        `json:"reason,omitempty"` // why skipped, or the error
	Drifts    []Drift       `json:"drifts,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
}

// The kinds of Drift.
const (
	DriftStatus      = "status"       // a status the operation does not declare
	DriftServerError = "server-error" // any 5xx, declared or not
	DriftContentType = "content-type" // a content type the status does not declare
	DriftHeader      = "header"       // a declared header missing or breaking its schema
	DriftBody        = "body"         // the body breaks the declared schema
)

// Drift is one way an answer breaks the contract.
type Drift struct {
	Kind    string `json:"kind"`
	Header  string `json:"header,omitempty"`  // the header, for DriftHeader
	Pointer string `json:"pointer,omitempty"` // JSON pointer into the answer's body, for DriftBody ("" is the whole body)
	Message string `json:"message"`
}

// String renders a drift as "kind [header|pointer]: message".
func (d Drift) String() string {
	where := d.Kind
	switch {
	case d.Header != "":
		where += " " + d.Header
	case d.Kind == DriftBody:
		where += " " + cmp.Or(d.Pointer, "/")
	}
	return where + ": " + d.Message
}

// Err is nil when every operation sent kept the contract, else an error
// carrying ExitFail that counts the drifts and errors.
func (v *Verification) Err() error {
	if v.Drifted+v.Errors == 0 {
		return nil
	}
	return WithExit(ExitFail, fmt.Errorf("ci: verify: %d of %d operations drift from the contract, %d could not be judged",
		v.Drifted, len(v.Operations), v.Errors))
}

// Verify calls the API at o.BaseURL with a request built from c for each
// operation (mocks.SampleRequest: parameters and bodies generated from the
// schemas, credentials from the environment), one at a time at o.Rate, and
// checks each answer against the contract: the status is declared (any
// 5xx is drift), and so are the content type, the required headers and the
// body's schema (contracts.Validator). Bad options return an error carrying
// ExitUsage; an API that answers nothing returns the Verification with
// ErrUnreachable carrying ExitSetup. Drift is in the Verification (Err).
func Verify(ctx context.Context, c *contracts.OpenAPI, o VerifyOptions) (*Verification, error) {
	vr, err := newVerifier(c, o)
	if err != nil {
		return nil, WithExit(ExitUsage, fmt.Errorf("ci: verify %s: %w", c.Path, err))
	}
	v := &Verification{Contract: c.Path, BaseURL: vr.base, Writes: o.AllowWrites, Rate: vr.rate.String(), Seed: o.Seed,
		Notes: vr.notes, Start: time.Now()}
	answered, unanswered, firstMiss := 0, 0, ""
	for _, op := range vr.ops {
		if answered == 0 && unanswered == unreachableAfter {
			vr.gaveUp = fmt.Sprintf("not sent: the first %d requests got no answer", unreachableAfter)
		}
		check := vr.check(ctx, op)
		v.add(check)
		switch {
		case check.Status != 0:
			answered++
		case check.Outcome == OutcomeError && check.Request != "": // sent, and no answer came
			unanswered++
			firstMiss = cmp.Or(firstMiss, check.Reason)
		}
		if ctx.Err() != nil {
			return v, fmt.Errorf("ci: verify %s: %w", c.Path, ctx.Err())
		}
	}
	if n := refused(v.Operations); n > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%s answered 401 or 403: their error answers were judged, not their work; check the credentials", count(n, "operation")))
	}
	if answered == 0 && unanswered > 0 {
		return v, WithExit(ExitSetup, fmt.Errorf("%w at %s: %s", ErrUnreachable, v.BaseURL, firstMiss))
	}
	return v, nil
}

// add counts one operation's check in and keeps it.
func (v *Verification) add(c OperationCheck) {
	switch c.Outcome {
	case OutcomePass:
		v.Passed++
	case OutcomeDrift:
		v.Drifted++
	case OutcomeSkipped:
		v.Skipped++
	case OutcomeError:
		v.Errors++
	}
	v.Operations = append(v.Operations, c)
	v.Duration = time.Since(v.Start)
}

// refused counts the operations whose answer refused the credentials.
func refused(ops []OperationCheck) int {
	n := 0
	for _, o := range ops {
		if o.Status == http.StatusUnauthorized || o.Status == http.StatusForbidden {
			n++
		}
	}
	return n
}

// verifier holds what Verify needs across operations.
type verifier struct {
	c         *contracts.OpenAPI
	o         VerifyOptions
	base      string
	rate      contracts.Rate
	ops       []mocks.SampleOp
	validator *contracts.Validator
	cred      mocks.Credential
	secrets   toolkit.Secrets
	redact    *strings.Replacer
	notes     []string
	pace      pacer
	gaveUp    string // why no more requests are sent, once the API proved unreachable
}

// newVerifier checks the options and resolves the base URL, the
// operations and the credentials.
func newVerifier(c *contracts.OpenAPI, o VerifyOptions) (*verifier, error) {
	var errs []error
	base, err := resolveBase(o.BaseURL, c.BasePath())
	errs = append(errs, err)
	if o.Rate.IsZero() {
		o.Rate = contracts.MustRate(DefaultVerifyRate)
	}
	o.Timeout = cmp.Or(o.Timeout, DefaultVerifyTimeout)
	if o.Retries == 0 {
		o.Retries = DefaultVerifyRetries
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ops, err := selectOps(mocks.SampleOps(c.Doc), o.Operations)
	errs = append(errs, err)
	vr := &verifier{c: c, o: o, base: base, rate: o.Rate, ops: ops, validator: contracts.NewValidator(c.Doc),
		secrets: toolkit.NewSecrets(c.Doc), pace: pacer{interval: o.Rate.Interval()}}
	errs = append(errs, vr.credentials())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return vr, nil
}

// resolveBase checks the base URL and appends the contract's base path
// when the URL has none.
func resolveBase(raw, basePath string) (string, error) {
	if raw == "" {
		return "", errors.New("base URL: empty; want the API's URL, such as https://api.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("base URL %q: want an absolute http or https URL, such as https://api.example.com", raw)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = basePath
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u.String(), nil
}

// selectOps keeps the operations named (an operationId, or "METHOD
// /template" in any case), every one when names is empty; a name that is
// no operation of the contract is an error.
func selectOps(all []mocks.SampleOp, names []string) ([]mocks.SampleOp, error) {
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if m, t, ok := strings.Cut(n, " "); ok && strings.HasPrefix(t, "/") {
			n = strings.ToUpper(m) + " " + t // "delete /orders/{id}" too
		}
		want[n] = true
	}
	var out []mocks.SampleOp
	for _, op := range all {
		key := op.Method + " " + op.Template
		if want[op.Name()] || want[key] {
			out = append(out, op)
			delete(want, op.Name())
			delete(want, key)
		}
	}
	if len(want) > 0 {
		unknown := slices.Sorted(maps.Keys(want))
		return nil, fmt.Errorf("operation %s: not in the contract (name an operationId or \"METHOD /template\")", strings.Join(quoteAll(unknown), ", "))
	}
	return out, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// readOnly are the methods sent without AllowWrites.
var readOnly = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true}

// check sends one operation (retrying a 429 or 503 that carries
// Retry-After) and judges the answer.
func (vr *verifier) check(ctx context.Context, op mocks.SampleOp) (oc OperationCheck) {
	oc = OperationCheck{Operation: op.Name(), Method: op.Method, Template: op.Template}
	if !vr.o.AllowWrites && !readOnly[op.Method] {
		oc.Outcome, oc.Reason = OutcomeSkipped, "a write: sent only when writes are allowed"
		return oc
	}
	if vr.gaveUp != "" {
		oc.Outcome, oc.Reason = OutcomeError, vr.gaveUp
		return oc
	}
	start := time.Now()
	defer func() { oc.Duration = time.Since(start) }()
	ctx, cancel := context.WithTimeout(ctx, vr.o.Timeout)
	defer cancel()
	for {
		oc.Attempts++
		req, resp, body, err := vr.send(ctx, op)
		if req != nil {
			oc.Request = vr.describe(req)
		}
		if err != nil {
			oc.Outcome, oc.Reason = OutcomeError, vr.redact.Replace(err.Error())
			return oc
		}
		oc.Status = resp.StatusCode
		wait, retry := vr.retryWait(ctx, resp, oc.Attempts)
		if retry {
			vr.pace.delay(wait)
			continue
		}
		if resp.StatusCode == http.StatusTooManyRequests && wait > 0 {
			oc.Outcome, oc.Reason = OutcomeError, fmt.Sprintf("throttled: 429 asked for a wait of %s after %s; the operation was not judged", ms(wait), count(oc.Attempts, "attempt"))
			return oc
		}
		oc.Drifts = vr.judge(ctx, op, req, resp, body)
		oc.Outcome = OutcomePass
		if len(oc.Drifts) > 0 {
			oc.Outcome = OutcomeDrift
		}
		return oc
	}
}

// send builds the operation's request, waits for its turn and sends it.
func (vr *verifier) send(ctx context.Context, op mocks.SampleOp) (*http.Request, *http.Response, []byte, error) {
	req, err := mocks.SampleRequest(vr.c.Doc, vr.base, op, vr.o.Seed, vr.cred)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("build the request: %w", err)
	}
	req = req.WithContext(ctx)
	if err := vr.pace.wait(ctx); err != nil {
		return req, nil, nil, fmt.Errorf("no answer within %s: %w", vr.o.Timeout, err)
	}
	resp, err := vr.o.Client.Do(req)
	if err != nil {
		return req, nil, nil, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	if err != nil {
		return req, nil, nil, fmt.Errorf("answer %d: read the body: %w", resp.StatusCode, err)
	}
	if len(body) > MaxPageBytes {
		return req, nil, nil, fmt.Errorf("answer %d: the body is larger than %d bytes", resp.StatusCode, MaxPageBytes)
	}
	return req, resp, body, nil
}

// retryWait reads the Retry-After of a 429 or 503: the wait it asks for,
// and whether to retry (attempts and the operation's time left allow it).
func (vr *verifier) retryWait(ctx context.Context, resp *http.Response, attempts int) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	if !ok {
		return 0, false
	}
	if attempts > vr.o.Retries {
		return wait, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return wait, false
	}
	return wait, true
}

// describe writes a request as "METHOD URL" with its secrets masked.
func (vr *verifier) describe(req *http.Request) string {
	u := *req.URL
	u.RawQuery = strings.ReplaceAll(vr.secrets.MaskQuery(u.RawQuery), url.QueryEscape(toolkit.Masked), toolkit.Masked)
	return vr.redact.Replace(req.Method + " " + u.Redacted())
}
