package ci

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzVerifyJudgesAnyAnswer: whatever an API answers (any status, content
// type, Retry-After and body), every operation gets an outcome, a drift
// names at least one drift, and no 5xx passes.
func FuzzVerifyJudgesAnyAnswer(f *testing.F) {
	c := loadContract(f, driftContract)
	f.Add(200, "application/json", "", []byte(`{"id":"a","total":1}`))
	f.Add(200, "application/json; charset=utf-8", "", []byte(`[{"id":1,"total":{}}, null]`))
	f.Add(429, "", "abc", []byte(``))
	f.Add(503, "text/html", "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html>`))
	f.Add(204, "", "", []byte(`{}`))
	f.Add(301, "application/json", "-1", []byte(`{"id":`))
	f.Fuzz(func(t *testing.T, status int, ct, retryAfter string, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{"Content-Type": {ct}, "Retry-After": {retryAfter}}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})}
		v, err := Verify(context.Background(), c, VerifyOptions{BaseURL: "http://api.test", Rate: fastRate, Retries: -1,
			Timeout: time.Second, Client: client, AllowWrites: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range v.Operations {
			switch {
			case o.Outcome != OutcomePass && o.Outcome != OutcomeDrift && o.Outcome != OutcomeError:
				t.Errorf("%s: outcome %q", o.Operation, o.Outcome)
			case o.Outcome == OutcomeDrift && len(o.Drifts) == 0:
				t.Errorf("%s: drift without a drift named", o.Operation)
			case status >= 500 && o.Outcome == OutcomePass:
				t.Errorf("%s: %d passed", o.Operation, status)
			}
		}
	})
}
