package ci

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
)

// judge lists every way the answer to op breaks the contract: a 5xx, an
// undeclared status, then what contracts.Validator finds in the content
// type, the headers and the body.
func (vr *verifier) judge(ctx context.Context, op mocks.SampleOp, req *http.Request, resp *http.Response, body []byte) []Drift {
	code := resp.StatusCode
	rs := op.Operation.Responses
	declared := rs == nil || rs.Len() == 0 || rs.Status(code) != nil || rs.Default() != nil
	if code >= 500 {
		how := "not declared"
		if declared {
			how = "declared"
		}
		return []Drift{{Kind: DriftServerError, Message: fmt.Sprintf("answered %d %s (%s): any 5xx is drift", code, http.StatusText(code), how)}}
	}
	if !declared {
		return []Drift{{Kind: DriftStatus, Message: fmt.Sprintf("answered %d, which the operation does not declare (it declares %s)", code, strings.Join(declaredStatuses(op), ", "))}}
	}
	rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
	var out []Drift
	for _, v := range vr.validator.ValidateResponse(ctx, req, rt, code, resp.Header, body) {
		d := Drift{Kind: DriftBody, Pointer: v.Pointer, Message: v.Message}
		switch {
		case v.In == contracts.InStatus:
			continue // judged above, HEAD included, which the validator skips
		case bodiless[code] && len(body) == 0 && (v.In == contracts.InBody || strings.Contains(v.Message, "Content-Type")):
			continue // HTTP forbids the body the contract declares
		case v.In == contracts.InHeader && strings.Contains(v.Message, "Content-Type"):
			d = Drift{Kind: DriftContentType, Message: fmt.Sprintf("%q is not declared for %d (it declares %s)",
				resp.Header.Get("Content-Type"), code, strings.Join(declaredTypes(op, code), ", "))}
		case v.In == contracts.InHeader:
			d = Drift{Kind: DriftHeader, Header: v.Name, Message: v.Message}
		}
		d.Message = vr.redact.Replace(d.Message)
		out = append(out, d)
	}
	return out
}

// bodiless are the statuses HTTP forbids a body in (RFC 9110): an empty
// answer keeps a contract that declares content for them.
var bodiless = map[int]bool{http.StatusNoContent: true, http.StatusResetContent: true, http.StatusNotModified: true}

// declaredStatuses lists the statuses op declares, sorted.
func declaredStatuses(op mocks.SampleOp) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range op.Operation.Responses.Map() {
			if !yield(k) {
				return
			}
		}
	})
}

// declaredTypes lists the content types op declares for code.
func declaredTypes(op mocks.SampleOp, code int) []string {
	r := op.Operation.Responses.Status(code)
	if r == nil {
		r = op.Operation.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	var out []string
	for k := range r.Value.Content {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// pacer spaces requests interval apart, and later still when an answer
// asked for a wait (Retry-After). One caller at a time.
type pacer struct {
	interval time.Duration
	next     time.Time // the earliest the next request may go
}

// wait blocks until the next request may go, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if d := time.Until(p.next); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	p.next = time.Now().Add(p.interval)
	return nil
}

// delay holds the next request back d from now, if that is later than the
// rate would.
func (p *pacer) delay(d time.Duration) {
	if at := time.Now().Add(d); at.After(p.next) {
		p.next = at
	}
}
