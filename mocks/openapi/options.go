package openapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Defaults of a mock's options.
const (
	// DefaultSeed seeds generated answers: the same contract and seed give
	// the same bodies on every run.
	DefaultSeed int64 = 1
	// DefaultAddr is where a Server listens: loopback, a free port.
	DefaultAddr = toolkit.DefaultAddr
	// DefaultMaxBody bounds the request body a mock reads; longer ones get 413.
	DefaultMaxBody int64 = 10 << 20
	// AdminPrefix is where the admin API lives, beside the contract's paths.
	AdminPrefix = toolkit.AdminPrefix
)

// Option configures a Mock (and the Server around it).
type Option func(*Mock) error

// WithSeed seeds the generated answers (DefaultSeed when not given).
func WithSeed(seed int64) Option {
	return func(m *Mock) error { m.seed = seed; return nil }
}

// WithStateful turns on stateful collections: POST creates, GET reads,
// PUT replaces, PATCH merges and DELETE removes records, and lists answer
// what is stored.
func WithStateful(on bool) Option {
	return func(m *Mock) error { m.stateful = on; return nil }
}

// WithReferences makes a stateful mock check the references between its
// collections, as a vendor does: a write whose record names another
// collection's record (an invoice's "customer", see store.Collection's
// References) that the store does not hold is refused with 400. It catches
// an integration that creates an invoice before its customer. Without
// WithStateful it is an error.
func WithReferences(on bool) Option {
	return func(m *Mock) error { m.references = on; return nil }
}

// WithKeys keys the named stateful collections by several record
// properties (store.Collection.Key), as a vendor keys its rows: a stock row
// by sku and warehouse. An item operation finds its record by the path's
// id for the property it names and by query parameters (or, for a write,
// the body's properties) for the others: GET /stock/{sku}?warehouse=w1.
// A collection the contract does not have is an error.
func WithKeys(keys map[string][]string) Option {
	return func(m *Mock) error { m.keys = keys; return nil }
}

// WithStamps names, by collection, the fields a stateful mock writes on
// every create and update, field: kind (store.StampKinds): {stock:
// {updated_at: time, version: counter}}. A collection the contract does
// not have, or a kind not known, is an error.
func WithStamps(stamps map[string]map[string]string) Option {
	return func(m *Mock) error { m.stamps = stamps; return nil }
}

// WithFilters gives, by collection, list query parameters the filter they
// are (store.ParseFilterRule), parameter: "FIELD OP": {stock:
// {updated_after: "updated_at >", since: "version >"}}. They take the
// place of what the mock infers from the parameters' names.
func WithFilters(filters map[string]map[string]string) Option {
	return func(m *Mock) error { m.filters = filters; return nil }
}

// WithCompareAndSet gives, by collection, the compare-and-set rule of its
// writes (store.CompareAndSet): PUT, PATCH and POST updates that carry the
// expected value in the rule's Expect body field change the record only if
// its Field still holds it, else 409; such a collection's records are
// answered with an ETag and writes honour If-Match (412 on a mismatch). A
// collection the contract does not have is an error.
func WithCompareAndSet(rules map[string]store.CompareAndSet) Option {
	return func(m *Mock) error { m.cas = rules; return nil }
}

// WithJournalSize sets how many exchanges the journal keeps
// (toolkit.DefaultJournalSize when not given).
func WithJournalSize(n int) Option {
	return func(m *Mock) error {
		if n <= 0 {
			return fmt.Errorf("mocks: journal size %d: must be positive", n)
		}
		m.journalSize = n
		return nil
	}
}

// WithLogger sends the mock's logs to l (discarded when not given).
func WithLogger(l *slog.Logger) Option {
	return func(m *Mock) error {
		if l == nil {
			return errors.New("mocks: nil logger")
		}
		m.logger = l
		return nil
	}
}

// WithName names the mock in the journal and logs (the contract's name, or
// its file name, when not given).
func WithName(name string) Option {
	return func(m *Mock) error {
		if name == "" {
			return errors.New("mocks: empty name")
		}
		m.name = name
		return nil
	}
}

// WithAddr sets where a Server listens (DefaultAddr when not given). The
// host must be a loopback address: mocks never listen beyond the machine.
func WithAddr(addr string) Option {
	return func(m *Mock) error {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("mocks: address %q: %w", addr, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("mocks: address %q: only loopback addresses are allowed", addr)
		}
		m.addr = addr
		return nil
	}
}

// WithMaxBody bounds the request bodies the mock reads (DefaultMaxBody when
// not given); longer ones are refused with 413.
func WithMaxBody(n int64) Option {
	return func(m *Mock) error {
		if n <= 0 {
			return fmt.Errorf("mocks: max body %d: must be positive", n)
		}
		m.maxBody = n
		return nil
	}
}

// WithStage adds a stage around the operation handler. Stages run after
// routing (the toolkit.Exchange names the operation, and its Contract
// answers for the operation's security and answer schemas) and before
// validation, in the order given: the first added is the outermost. Vendor
// behaviours (rate limits, idempotency keys, auth) and HTTP faults are
// stages. A stage hands next the Exchange it was given, Contract untouched:
// the mock finds the routed operation through it.
func WithStage(s toolkit.Stage) Option {
	return func(m *Mock) error {
		if s == nil {
			return errors.New("mocks: nil stage")
		}
		m.stages = append(m.stages, s)
		return nil
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
