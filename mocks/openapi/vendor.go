package openapi

import (
	"errors"
	"fmt"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The vendor behaviours and faults of the toolkit, as stages of an OpenAPI
// mock. Stages run in the order of their options (see WithStage); WithWebhooks
// is in webhook.go.

// WithAuth makes the mock check credentials with a (see toolkit.Auth.Bind):
// the operations' security requirements, read from the contract. One Auth
// serves one mock. The mock also serves a's admin API (toolkit.AuthPath)
// and, with OAuth2, its token endpoint (a.TokenPath); token requests are
// not journaled.
func WithAuth(a *toolkit.Auth) Option {
	return func(m *Mock) error {
		if a == nil {
			return errors.New("mocks: nil auth")
		}
		realm := m.name
		if realm == "" {
			realm = m.contract.Name()
		}
		if err := a.Bind(realm, m.contract.Doc, m.logger); err != nil {
			return err
		}
		m.front = append(m.front, frontRoute{path: toolkit.AuthPath, prefix: true, h: a.AdminHandler()})
		if p := a.TokenPath(); p != "" {
			m.front = append(m.front, frontRoute{path: p, h: a.TokenHandler()})
		}
		m.stages = append(m.stages, a.Stage)
		return nil
	}
}

// WithAPIKeys accepts only the given API keys (see
// toolkit.AuthOptions.APIKeys). To revoke keys at run time or to combine
// kinds, use toolkit.NewAuth and WithAuth.
func WithAPIKeys(keys ...string) Option {
	return withNewAuth(toolkit.AuthOptions{APIKeys: keys})
}

// WithBasicUsers accepts only the given users for http basic schemes.
func WithBasicUsers(users map[string]string) Option {
	return withNewAuth(toolkit.AuthOptions{BasicUsers: users})
}

// WithOAuth2 serves an OAuth2 token endpoint and accepts only the bearer
// tokens it issued.
func WithOAuth2(o toolkit.OAuth2Options) Option {
	return withNewAuth(toolkit.AuthOptions{OAuth2: &o})
}

func withNewAuth(o toolkit.AuthOptions) Option {
	return func(m *Mock) error {
		a, err := toolkit.NewAuth(o)
		if err != nil {
			return err
		}
		return WithAuth(a)(m)
	}
}

// WithRateLimit throttles the mock with a token bucket per credential (see
// toolkit.RateLimiter): the Authorization header, else an API key of the
// contract's apiKey schemes, else the client's address. A request over the
// limit gets 429 as problem+json with Retry-After (whole seconds, rounded
// up, never 0) and is marked Throttled in the journal; every answer carries
// the limit, the remaining tokens and the reset time. Stages run in the
// order given: put WithRateLimit after WithAuth to throttle only requests
// that authenticated. o.Cost is refused: toolkit.ErrCostLimit.
func WithRateLimit(o toolkit.RateLimitOptions) Option {
	return func(m *Mock) error {
		if o.Cost {
			return fmt.Errorf("mocks: rate limit %s: %w", o, toolkit.ErrCostLimit)
		}
		l, err := toolkit.NewContractRateLimiter(o, m.contract.Doc)
		if err != nil {
			return err
		}
		m.stages = append(m.stages, l.Stage)
		return nil
	}
}

// WithIdempotency makes the mock honour idempotency keys the way Stripe
// documents them (see toolkit.Idempotency): a repeat with the same key and
// the same request gets the stored answer with Idempotent-Replayed: true,
// the same key with another request 422, a repeat while the first is in
// flight 409.
func WithIdempotency(o toolkit.IdempotencyOptions) Option {
	return func(m *Mock) error {
		s, err := toolkit.NewIdempotency(o)
		if err != nil {
			return err
		}
		m.stages = append(m.stages, s.Stage)
		return nil
	}
}

// WithFaults applies the faults of fs to the mock's answers, as a stage
// (see WithStage: the stages added before it run outside it). Give it
// before the vendor behaviours (WithIdempotency...) so that a faulted
// answer is what the client sees, not what the vendor stored: a retry with
// the same idempotency key then gets the real answer, as from a vendor
// whose answer was lost on the way. The mock serves the set's admin API
// (toolkit.FaultsPath), so faults can be switched on and off at run time.
func WithFaults(fs *toolkit.FaultSet) Option {
	return func(m *Mock) error {
		if fs == nil {
			return errors.New("mocks: nil fault set")
		}
		m.stages = append(m.stages, fs.Stage)
		m.front = append(m.front, frontRoute{path: toolkit.FaultsPath, prefix: true, h: fs.AdminHandler()})
		return nil
	}
}
