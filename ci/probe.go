package ci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// KindService is the kind of the gates on what the service reports about
// itself: probes of its own endpoints.
const KindService = "service"

// maxProbeBody bounds what a probe reads of an answer.
const maxProbeBody = 1 << 20

// ProbeOptions describe a probe gate: a GET of one of the service's
// endpoints, with what its answer must say.
type ProbeOptions struct {
	Name string
	URL  string
	// Expect is the status wanted; any 2xx when 0.
	Expect int
	// JSON is a CEL expression over the decoded JSON answer, body, and its
	// status, that must be true: "body.count == 0", "size(body.items) == 0".
	JSON string
	// Within is how long the probe is polled until it holds (every
	// Interval, 500ms by default): a dead-letter queue redriven on a timer
	// empties a little after the data agrees. 0 asks once.
	Within, Interval time.Duration
	Client           *http.Client        // http.DefaultClient when nil
	Redact           func(string) string // hides secrets in what the gate shows
}

// CompileProbe checks a probe's JSON expression without running it.
func CompileProbe(expression string) error {
	_, err := compileExpr(expression, "json")
	return err
}

// Probe is the gate "the service says it is well": the endpoint answers
// the status wanted and its JSON makes the expression true, within the
// bound. It is never passed without an answer: an endpoint that cannot be
// reached, or whose answer is not JSON when an expression needs it, fails.
func Probe(ctx context.Context, o ProbeOptions) Gate {
	g := Gate{Name: o.Name, Kind: KindService}
	redact := o.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	var e *expr
	if strings.TrimSpace(o.JSON) != "" {
		var err error
		if e, err = compileExpr(o.JSON, "json"); err != nil {
			g.Measured, g.Reason = "not measured", err.Error()
			return g
		}
	}
	interval := o.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	deadline := time.Now().Add(o.Within)
	for {
		measured, err := probeOnce(ctx, o, e)
		g.Measured = redact(measured)
		if err == nil {
			g.Passed = true
			g.Reason = "the service reports what the probe expects"
			if o.JSON != "" {
				g.Reason = "the service's answer makes " + o.JSON + " true"
			}
			return g
		}
		g.Reason = redact(err.Error())
		if !time.Now().Add(interval).Before(deadline) {
			return g
		}
		select {
		case <-ctx.Done():
			return g
		case <-time.After(interval):
		}
	}
}

// errProbe is why a probe's answer did not hold.
var errProbe = errors.New("probe")

// probeOnce asks once: what it read, and nil when the answer holds.
func probeOnce(ctx context.Context, o ProbeOptions, e *expr) (string, error) {
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return "not measured", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "no answer", fmt.Errorf("no answer from %s: %w", o.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return fmt.Sprintf("status %d, body unread", resp.StatusCode), fmt.Errorf("reading %s: %w", o.URL, err)
	}
	measured := fmt.Sprintf("status %d, %s", resp.StatusCode, clip(strings.TrimSpace(string(raw)), 200))
	statusOK := resp.StatusCode/100 == 2
	if o.Expect != 0 {
		statusOK = resp.StatusCode == o.Expect
	}
	if !statusOK {
		want := "a 2xx"
		if o.Expect != 0 {
			want = fmt.Sprint(o.Expect)
		}
		return measured, fmt.Errorf("%w: %s answered %d, want %s", errProbe, o.URL, resp.StatusCode, want)
	}
	if e == nil {
		return measured, nil
	}
	var body any
	if err := json.Unmarshal(raw, &body); err != nil {
		return measured, fmt.Errorf("%w: the answer is not JSON, so %s cannot be read: %v", errProbe, o.JSON, err)
	}
	v := e.eval(&activation{rec: map[string]any{"body": body, "status": float64(resp.StatusCode)}})
	switch {
	case v.k == kindError:
		return measured, fmt.Errorf("%w: %s: %s", errProbe, o.JSON, v.s)
	case v.k != kindBool:
		return measured, fmt.Errorf("%w: %s is not true or false", errProbe, o.JSON)
	case v.n == 0:
		return measured, fmt.Errorf("%w: the service's answer makes %s false", errProbe, o.JSON)
	}
	return measured, nil
}

// clip shortens s to n bytes for a gate's figure.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
