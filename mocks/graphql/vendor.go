package graphql

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Codes of the GraphQL errors (extensions.code) of refused requests, as
// Apollo and GitHub name them.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeRateLimited     = "RATE_LIMITED"
)

// gate is a vendor behaviour in front of the executor: it lets a request on
// (nil) or says how to refuse it, having set its headers in h.
type gate func(h http.Header, r *http.Request) *refusal

// refusal is a gate's answer and how the journal marks it. The entry itself
// is not handed to gates: it would escape to the heap on every request.
type refusal struct {
	status    int
	err       *gqlerror.Error
	throttled bool   // toolkit.Entry.Throttled
	fault     string // toolkit.Entry.Fault
}

// WithRateLimit throttles the mock with the toolkit's token bucket
// (toolkit.RateLimiter), as the OpenAPI mock does, one bucket per credential: the Authorization header,
// else the toolkit.APIKeyHeader header, else the client's address. Every
// answer within the limit carries the budget headers (o.Headers names them,
// X-RateLimit-Limit, -Remaining and -Reset by default); a request over it
// gets 429 with Retry-After and a GraphQL error with the code
// CodeRateLimited, and is marked Throttled in the journal.
//
// Behaviours run in the order of their options, as the OpenAPI mock's
// stages do: WithAuth first (the order firedrill mock uses) throttles only
// requests that authenticated, so a client with a bad credential is told
// 401, its real problem, rather than 429.
//
// With o.Cost the mock throttles by calculated query cost, Shopify's way:
// o.Requests per o.Per is the restore rate in points and o.Burst the
// bucket size (o.Requests when 0). Each valid operation's requested cost
// (see the constants ConnectionCost and MutationCost) is charged to its
// credential's bucket before it runs, and the difference from its actual
// cost, counted on the answer, refunded after. A query costing more than
// the bucket size gets CodeMaxCostExceeded, one the bucket cannot pay yet
// CodeThrottled (journaled Throttled): both 200, never executed. Every
// answer carries extensions.cost {requestedQueryCost, actualQueryCost
// (null when not executed), throttleStatus {maximumAvailable,
// currentlyAvailable, restoreRate}}, and no budget headers nor
// Retry-After: a client waits (requestedQueryCost - currentlyAvailable) /
// restoreRate seconds. Costs need the parsed operation, so in cost mode the
// throttle comes after every other behaviour, WithAuth's included.
func WithRateLimit(o toolkit.RateLimitOptions) Option {
	return func(opts *options) error {
		l, err := toolkit.NewRateLimiter(o)
		if err != nil {
			return fmt.Errorf("graphql: %w", err)
		}
		if o.Cost {
			if opts.cost != nil {
				return errors.New("graphql: WithRateLimit by cost given twice: one bucket per credential holds its points")
			}
			size := o.Burst
			if size == 0 {
				size = o.Requests
			}
			opts.cost = &costLimit{l: l, size: size}
			return nil
		}
		opts.gates = append(opts.gates, func(h http.Header, r *http.Request) *refusal {
			err := l.Allow(h, r)
			if err == nil {
				return nil
			}
			return &refusal{status: http.StatusTooManyRequests, err: codedError(err.Error(), CodeRateLimited), throttled: true}
		})
		return nil
	}
}

// WithAuth makes the mock accept only the credentials a knows (see
// toolkit.Auth.Check): an API key as "Authorization: Bearer KEY" or in the
// toolkit.APIKeyHeader header (X-API-Key), an HTTP basic user, or an access
// token of the OAuth2 token endpoint, which the mock serves on its host
// (toolkit.DefaultTokenPath unless toolkit.OAuth2Options.TokenPath says
// otherwise; client_credentials and refresh_token grants). Introspection
// needs credentials too, as on real vendors; CORS preflights do not. A
// refused request gets 401 with WWW-Authenticate and a GraphQL error with
// the code CodeUnauthenticated; the journal marks it with the fault "auth:
// unauthorized". The admin API under toolkit.AuthPath adds and revokes keys
// and expires tokens at run time. One Auth serves one mock.
func WithAuth(a *toolkit.Auth) Option {
	return func(opts *options) error {
		switch {
		case a == nil:
			return errors.New("graphql: nil auth")
		case opts.auth != nil:
			return errors.New("graphql: WithAuth given twice: one Auth checks every kind of credential")
		}
		opts.auth = a
		opts.gates = append(opts.gates, func(h http.Header, r *http.Request) *refusal {
			err := a.Check(r)
			if err == nil {
				return nil
			}
			rf := &refusal{status: http.StatusUnauthorized, err: codedError(err.Error(), CodeUnauthenticated)}
			var ae *toolkit.AuthError // what Check refuses with
			if errors.As(err, &ae) {
				h.Set("WWW-Authenticate", ae.Challenge)
				rf.fault = ae.Fault()
				if ae.Status == http.StatusForbidden {
					rf.status, rf.err = ae.Status, codedError(err.Error(), CodeForbidden)
				}
			}
			return rf
		})
		return nil
	}
}

// attachAuth binds the mock's Auth once every option is known: its realm
// is the mock's name, and its token endpoint must not hide the GraphQL path.
func (m *Mock) attachAuth() error {
	a := m.opts.auth
	if a == nil {
		return nil
	}
	if err := a.Attach(m.opts.name); err != nil {
		return fmt.Errorf("graphql: %w", err)
	}
	if p := a.TokenPath(); p == m.opts.path {
		return fmt.Errorf("graphql: the OAuth2 token endpoint %s is the GraphQL path: choose another TokenPath", p)
	}
	return nil
}

// admit runs the gates in order; the first refusal is the answer.
func (m *Mock) admit(h http.Header, r *http.Request, e *toolkit.Entry) (int, *gqlerror.Error) {
	for _, g := range m.opts.gates {
		if rf := g(h, r); rf != nil {
			e.Throttled, e.Fault = rf.throttled, rf.fault
			return rf.status, rf.err
		}
	}
	return 0, nil
}

func codedError(msg, code string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}
