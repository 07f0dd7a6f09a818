package chaos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// Proxy is a Toxiproxy proxy as the server reports it.
type Proxy struct {
	Name     string
	Listen   string // the address clients connect to, e.g. 127.0.0.1:41234
	Upstream string // the host:port it forwards to
	Enabled  bool
	Toxics   []Toxic // the toxics active on it, by name
}

// ProxyOption configures a proxy being created.
type ProxyOption func(*toxiclient.Proxy) error

// DefaultListen is where a proxy listens unless WithListen says otherwise:
// loopback, on a port the system picks.
const DefaultListen = "127.0.0.1:0"

// WithListen sets the address a proxy listens on (default DefaultListen).
func WithListen(addr string) ProxyOption {
	return func(p *toxiclient.Proxy) error {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("chaos: proxy %q: listen address %q: want host:port: %w", p.Name, addr, ErrInvalid)
		}
		p.Listen = addr
		return nil
	}
}

// Proxy creates a proxy named name in front of upstream (host:port) and
// returns it with the address it actually listens on. It fails with
// ErrExists when a proxy of that name exists.
func (tp *Toxiproxy) Proxy(ctx context.Context, name, upstream string, opts ...ProxyOption) (*Proxy, error) {
	if err := checkName("proxy", name); err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("chaos: proxy %q: upstream %q: want host:port: %w", name, upstream, ErrInvalid)
	}
	in := &toxiclient.Proxy{Name: name, Listen: DefaultListen, Upstream: upstream, Enabled: true}
	for _, o := range opts {
		if err := o(in); err != nil {
			return nil, err
		}
	}
	var out toxiclient.Proxy
	if err := tp.do(ctx, http.MethodPost, "/proxies", in, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("chaos: create proxy %q: %w", name, err)
	}
	p := fromClientProxy(&out)
	tp.logger.Debug("chaos: proxy created", "proxy", name, "listen", p.Listen, "upstream", upstream)
	return &p, nil
}

// ProxyConfig is one proxy of a Toxiproxy config file, the JSON array
// toxiproxy-server -config reads.
type ProxyConfig struct {
	Name     string `json:"name"`
	Listen   string `json:"listen"`
	Upstream string `json:"upstream"`
	Enabled  *bool  `json:"enabled,omitempty"` // default true
}

// Populate creates or replaces the proxies of configs at once, as
// toxiproxy-server -config does, and returns them as the server reports
// them. Every config is checked first; a bad one names its index and field.
func (tp *Toxiproxy) Populate(ctx context.Context, configs []ProxyConfig) ([]Proxy, error) {
	var errs []error
	for i, c := range configs {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("chaos: proxy %d: name is empty: %w", i, ErrInvalid))
		}
		if _, _, err := net.SplitHostPort(c.Upstream); err != nil {
			errs = append(errs, fmt.Errorf("chaos: proxy %d (%s): upstream %q: want host:port: %w", i, c.Name, c.Upstream, ErrInvalid))
		}
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			errs = append(errs, fmt.Errorf("chaos: proxy %d (%s): listen %q: want host:port: %w", i, c.Name, c.Listen, ErrInvalid))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out struct {
		Proxies []*toxiclient.Proxy `json:"proxies"`
	}
	if err := tp.do(ctx, http.MethodPost, "/populate", configs, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("chaos: populate: %w", err)
	}
	list := make([]Proxy, 0, len(out.Proxies))
	for _, p := range out.Proxies {
		list = append(list, fromClientProxy(p))
	}
	return list, nil
}

// Lookup returns the proxy named name, with its toxics.
func (tp *Toxiproxy) Lookup(ctx context.Context, name string) (*Proxy, error) {
	if err := checkName("proxy", name); err != nil {
		return nil, err
	}
	var out toxiclient.Proxy
	if err := tp.do(ctx, http.MethodGet, "/proxies/"+url.PathEscape(name), nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("chaos: proxy %q: %w", name, err)
	}
	p := fromClientProxy(&out)
	return &p, nil
}

// Proxies returns every proxy of the server, sorted by name.
func (tp *Toxiproxy) Proxies(ctx context.Context) ([]Proxy, error) {
	var out map[string]*toxiclient.Proxy
	if err := tp.do(ctx, http.MethodGet, "/proxies", nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("chaos: list proxies: %w", err)
	}
	list := make([]Proxy, 0, len(out))
	for _, name := range slices.Sorted(maps.Keys(out)) {
		list = append(list, fromClientProxy(out[name]))
	}
	return list, nil
}

// DeleteProxy removes the proxy named name, closing its connections.
func (tp *Toxiproxy) DeleteProxy(ctx context.Context, name string) error {
	if err := checkName("proxy", name); err != nil {
		return err
	}
	if err := tp.do(ctx, http.MethodDelete, "/proxies/"+url.PathEscape(name), nil, nil, http.StatusNoContent); err != nil {
		return fmt.Errorf("chaos: delete proxy %q: %w", name, err)
	}
	return nil
}

// SetEnabled enables or disables the proxy named name. A disabled proxy
// closes its connections; on a firedrill server (Embedded, `firedrill
// chaos serve`) it keeps its port and resets each new connection as soon
// as it is accepted, counting it (see Refusals), where Toxiproxy's own
// closes its listener and the system refuses them.
func (tp *Toxiproxy) SetEnabled(ctx context.Context, name string, enabled bool) error {
	if err := checkName("proxy", name); err != nil {
		return err
	}
	body := map[string]bool{"enabled": enabled}
	if err := tp.do(ctx, http.MethodPost, "/proxies/"+url.PathEscape(name), body, nil, http.StatusOK); err != nil {
		return fmt.Errorf("chaos: set proxy %q enabled=%v: %w", name, enabled, err)
	}
	return nil
}

// AddToxic adds t to the proxy named proxy. It fails with ErrExists when a
// toxic of that name is already there. Down is not a toxic: use Apply.
func (tp *Toxiproxy) AddToxic(ctx context.Context, proxy string, t Toxic) error {
	if err := checkName("proxy", proxy); err != nil {
		return err
	}
	if _, ok := catalogue[t.Kind]; !ok || t.Kind == Down {
		return fmt.Errorf("chaos: add toxic to %q: %q is not a toxic: %w", proxy, t.Kind, ErrInvalid)
	}
	attrs := toxiclient.Attributes{}
	for k, v := range t.Attributes {
		attrs[k] = v
	}
	body := toxiclient.Toxic{Name: t.name(), Type: t.Kind, Stream: t.Stream, Toxicity: float32(t.Toxicity), Attributes: attrs}
	path := "/proxies/" + url.PathEscape(proxy) + "/toxics"
	if err := tp.do(ctx, http.MethodPost, path, body, nil, http.StatusOK); err != nil {
		return fmt.Errorf("chaos: add %s to %q: %w", t.Kind, proxy, err)
	}
	tp.logger.Debug("chaos: toxic added", "proxy", proxy, "toxic", t.name(), "params", t.Params)
	return nil
}

// RemoveToxic removes the toxic named toxic from the proxy named proxy.
func (tp *Toxiproxy) RemoveToxic(ctx context.Context, proxy, toxic string) error {
	if err := errors.Join(checkName("proxy", proxy), checkName("toxic", toxic)); err != nil {
		return err
	}
	path := "/proxies/" + url.PathEscape(proxy) + "/toxics/" + url.PathEscape(toxic)
	if err := tp.do(ctx, http.MethodDelete, path, nil, nil, http.StatusNoContent); err != nil {
		return fmt.Errorf("chaos: remove toxic %q from %q: %w", toxic, proxy, err)
	}
	tp.logger.Debug("chaos: toxic removed", "proxy", proxy, "toxic", toxic)
	return nil
}

// Reset enables every proxy and removes every toxic of the server.
func (tp *Toxiproxy) Reset(ctx context.Context) error {
	if err := tp.do(ctx, http.MethodPost, "/reset", nil, nil, http.StatusNoContent); err != nil {
		return fmt.Errorf("chaos: reset: %w", err)
	}
	return nil
}

func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("chaos: empty %s name: %w", what, ErrInvalid)
	}
	return nil
}

func fromClientProxy(p *toxiclient.Proxy) Proxy {
	out := Proxy{Name: p.Name, Listen: p.Listen, Upstream: p.Upstream, Enabled: p.Enabled}
	for _, t := range p.ActiveToxics {
		out.Toxics = append(out.Toxics, fromClientToxic(t))
	}
	return out
}

func fromClientToxic(t toxiclient.Toxic) Toxic {
	out := Toxic{Name: t.Name, Kind: t.Type, Stream: t.Stream, Toxicity: float64(t.Toxicity), Attributes: map[string]int64{}}
	for k, v := range t.Attributes {
		if f, ok := v.(float64); ok {
			out.Attributes[k] = int64(f)
		}
	}
	return out
}
