package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// Defaults of the Toxiproxy options.
const (
	// DefaultAPIAddr is where Embedded serves the Toxiproxy API: loopback,
	// on a port the system picks.
	DefaultAPIAddr = "127.0.0.1:0"
	// DefaultRequestTimeout bounds every call to the Toxiproxy API.
	DefaultRequestTimeout = 10 * time.Second
)

// Sentinel errors of Toxiproxy answers; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")      // 404: no such proxy or toxic
	ErrExists   = errors.New("already exists") // 409: a proxy or toxic of that name exists
)

// Toxiproxy drives a Toxiproxy server over its HTTP API: one started
// in-process by Embedded, or an existing one reached by Remote. Both are
// used the same way.
type Toxiproxy struct {
	url     string
	http    *http.Client
	logger  *slog.Logger
	apiAddr string

	server    *embeddedServer // nil for a remote Toxiproxy
	closeOnce sync.Once
}

// Option configures a Toxiproxy.
type Option func(*Toxiproxy) error

// WithAPIAddr sets the address Embedded serves its API on (default
// DefaultAPIAddr).
func WithAPIAddr(addr string) Option {
	return func(tp *Toxiproxy) error {
		if addr == "" {
			return fmt.Errorf("chaos: empty API address: %w", ErrInvalid)
		}
		tp.apiAddr = addr
		return nil
	}
}

// WithLogger sends what firedrill and the embedded Toxiproxy log to l
// (default: nothing is logged).
func WithLogger(l *slog.Logger) Option {
	return func(tp *Toxiproxy) error {
		if l == nil {
			return fmt.Errorf("chaos: nil logger: %w", ErrInvalid)
		}
		tp.logger = l
		return nil
	}
}

// WithRequestTimeout bounds each API call (default DefaultRequestTimeout).
func WithRequestTimeout(d time.Duration) Option {
	return func(tp *Toxiproxy) error {
		if d <= 0 {
			return fmt.Errorf("chaos: request timeout %v must be positive: %w", d, ErrInvalid)
		}
		tp.http.Timeout = d
		return nil
	}
}

func newToxiproxy(opts []Option) (*Toxiproxy, error) {
	tp := &Toxiproxy{
		http:    &http.Client{Timeout: DefaultRequestTimeout},
		logger:  slog.New(slog.DiscardHandler),
		apiAddr: DefaultAPIAddr,
	}
	for _, o := range opts {
		if err := o(tp); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// Remote returns a Toxiproxy reached at rawURL, such as
// "http://127.0.0.1:8474" (a bare host:port means http). It does no I/O:
// the first call tells whether the server answers.
func Remote(rawURL string, opts ...Option) (*Toxiproxy, error) {
	tp, err := newToxiproxy(opts)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("chaos: toxiproxy URL %q: want http://host:port: %w", rawURL, ErrInvalid)
	}
	tp.url = strings.TrimSuffix(u.String(), "/")
	return tp, nil
}

// URL is the base URL of the Toxiproxy API, e.g. "http://127.0.0.1:8474".
func (tp *Toxiproxy) URL() string { return tp.url }

// Client returns Toxiproxy's own Go client for this server, for callers
// who want its API. firedrill's own calls take a context and a timeout,
// which that client lacks.
func (tp *Toxiproxy) Client() *toxiclient.Client { return toxiclient.NewClient(tp.url) }

// Close stops an embedded Toxiproxy: its API server and every proxy
// listener and connection. For a remote Toxiproxy it does nothing: the
// proxies there belong to that server. Close is idempotent and nil-safe.
func (tp *Toxiproxy) Close() error {
	if tp == nil {
		return nil
	}
	tp.closeOnce.Do(func() {
		// Our idle connections to the API would hold up its shutdown.
		tp.http.CloseIdleConnections()
		tp.server.close(tp.logger)
	})
	return nil
}

// APIError is an error answer of the Toxiproxy API.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

// Error names the call and the answer.
func (e *APIError) Error() string {
	return fmt.Sprintf("chaos: toxiproxy %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// Is maps the HTTP status to ErrNotFound and ErrExists.
func (e *APIError) Is(target error) bool {
	return (target == ErrNotFound && e.Status == http.StatusNotFound) ||
		(target == ErrExists && e.Status == http.StatusConflict)
}

// do calls the API: method on path with body encoded as JSON, expecting
// status want, and decodes the answer into out when it is not nil.
func (tp *Toxiproxy) do(ctx context.Context, method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("chaos: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, tp.url+path, rd)
	if err != nil {
		return fmt.Errorf("chaos: %s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "firedrill")
	// Marks the request replayable: when a kept-alive connection turns out
	// to have been closed by the server (its idle timeout ending as the call
	// begins), Go's transport sends it again on a new connection instead of
	// failing a revert. The server never saw the first attempt.
	req.Header.Set("X-Idempotency-Key", "firedrill")
	resp, err := tp.http.Do(req)
	if err != nil {
		return fmt.Errorf("chaos: toxiproxy %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("chaos: toxiproxy %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		apiErr := &APIError{Method: method, Path: path, Status: resp.StatusCode}
		var msg struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &msg) == nil && msg.Error != "" {
			apiErr.Message = msg.Error
		} else {
			apiErr.Message = strings.TrimSpace(string(data))
		}
		return apiErr
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("chaos: toxiproxy %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Version returns the version the Toxiproxy server reports; it is the
// cheapest way to see that the server answers.
func (tp *Toxiproxy) Version(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tp.url+"/version", nil)
	if err != nil {
		return "", fmt.Errorf("chaos: version: %w", err)
	}
	req.Header.Set("User-Agent", "firedrill")
	resp, err := tp.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("chaos: toxiproxy GET /version: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("chaos: toxiproxy GET /version: status %d: %w", resp.StatusCode, errors.Join(err, errors.New(string(b))))
	}
	return strings.TrimSpace(string(b)), nil
}
