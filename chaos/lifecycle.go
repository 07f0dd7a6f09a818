package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/gorilla/mux"
)

// lifecycle serves the API calls that start, stop or re-toxic a proxy of
// the embedded server. Toxiproxy keeps the proxies, their toxics and every
// other answer; lifecycle runs each enabled proxy on a relay instead of
// Toxiproxy's accept loop, and tells the relay before a toxic goes on. The
// answers, status codes and error bodies are Toxiproxy's (v2.5.0).
//
// The serialize middleware runs these calls one at a time.
type lifecycle struct {
	api    *toxiproxy.ApiServer
	logger *slog.Logger

	mu     sync.Mutex
	relays map[*toxiproxy.Proxy]*relay // the enabled proxies, and those disabled by update
}

func newLifecycle(api *toxiproxy.ApiServer, logger *slog.Logger) *lifecycle {
	return &lifecycle{api: api, logger: logger, relays: map[*toxiproxy.Proxy]*relay{}}
}

// proxyInput is the body of a proxy creation or update.
type proxyInput struct {
	Name     string `json:"name"`
	Listen   string `json:"listen"`
	Upstream string `json:"upstream"`
	Enabled  *bool  `json:"enabled"`
}

// proxyJSON is a proxy as the API shows it.
type proxyJSON struct {
	*toxiproxy.Proxy
	Toxics []toxics.Toxic `json:"toxics"`
}

func withToxics(p *toxiproxy.Proxy) proxyJSON {
	return proxyJSON{Proxy: p, Toxics: p.Toxics.GetToxicArray()}
}

// start runs p on a relay and marks it enabled: the relay it kept while
// disabled, or a new one.
func (l *lifecycle) start(p *toxiproxy.Proxy) error {
	p.Lock()
	defer p.Unlock()
	if p.Enabled {
		return toxiproxy.ErrProxyAlreadyStarted
	}
	if r := l.relay(p); r != nil {
		r.enable()
		p.Enabled = true
		return nil
	}
	r, err := startRelay(l.api, p, l.logger)
	if err != nil {
		return err
	}
	p.Enabled = true
	l.mu.Lock()
	l.relays[p] = r
	l.mu.Unlock()
	return nil
}

// disable marks p disabled, as a down fault does: its relay closes its
// connections but keeps listening, and refuses (and counts) each
// connection until start. A proxy without a relay has nothing to refuse.
func (l *lifecycle) disable(p *toxiproxy.Proxy) {
	p.Lock()
	defer p.Unlock()
	if r := l.relay(p); r != nil {
		r.disable()
	}
	p.Enabled = false
}

// stop stops p's relay, closing its listener and connections, and marks
// it disabled.
func (l *lifecycle) stop(p *toxiproxy.Proxy) {
	p.Lock()
	defer p.Unlock()
	l.mu.Lock()
	r := l.relays[p]
	delete(l.relays, p)
	l.mu.Unlock()
	if r != nil {
		r.stop()
	}
	p.Enabled = false
}

// stopAll stops every proxy and empties Toxiproxy's collection.
func (l *lifecycle) stopAll() {
	for _, p := range l.api.Collection.Proxies() {
		l.stop(p)
	}
	_ = l.api.Collection.Clear()
}

func (l *lifecycle) relay(p *toxiproxy.Proxy) *relay {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.relays[p]
}

// create serves POST /proxies.
func (l *lifecycle) create(w http.ResponseWriter, req *http.Request) {
	var in proxyInput
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		apiError(w, badBody(err))
		return
	}
	if err := checkInput(in, ""); err != nil {
		apiError(w, err)
		return
	}
	if _, err := l.api.Collection.Get(in.Name); err == nil {
		apiError(w, toxiproxy.ErrProxyAlreadyExists)
		return
	}
	p := toxiproxy.NewProxy(l.api, in.Name, in.Listen, in.Upstream)
	if in.Enabled == nil || *in.Enabled {
		if err := l.start(p); err != nil {
			apiError(w, err)
			return
		}
	}
	if err := l.api.Collection.Add(p, false); err != nil {
		l.stop(p)
		apiError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, withToxics(p))
}

// populate serves POST /populate: it creates or replaces every proxy of
// the body, keeping one whose listen and upstream are unchanged.
func (l *lifecycle) populate(w http.ResponseWriter, req *http.Request) {
	var in []proxyInput
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		apiError(w, badBody(err))
		return
	}
	for i, c := range in {
		if err := checkInput(c, fmt.Sprintf(" at proxy %d", i+1)); err != nil {
			apiError(w, err)
			return
		}
	}
	out := struct {
		Error   string      `json:"error,omitempty"`
		Status  int         `json:"status,omitempty"`
		Proxies []proxyJSON `json:"proxies"`
	}{Status: http.StatusCreated}
	for _, c := range in {
		if old, err := l.api.Collection.Get(c.Name); err == nil {
			if old.Listen == c.Listen && old.Upstream == c.Upstream {
				out.Proxies = append(out.Proxies, withToxics(old))
				continue
			}
			l.stop(old)
			_ = l.api.Collection.Remove(c.Name)
		}
		p := toxiproxy.NewProxy(l.api, c.Name, c.Listen, c.Upstream)
		err := error(nil)
		if c.Enabled == nil || *c.Enabled {
			err = l.start(p)
		}
		if err == nil {
			err = l.api.Collection.Add(p, false)
		}
		if err != nil {
			l.stop(p)
			apiErr := asAPIError(err)
			out.Error, out.Status = apiErr.Message, apiErr.StatusCode
			break
		}
		out.Proxies = append(out.Proxies, withToxics(p))
	}
	status := out.Status
	if status == http.StatusCreated {
		out.Status = 0
	}
	writeJSON(w, status, out)
}

// update serves POST /proxies/{proxy}: a new listen address or upstream
// restarts the proxy; enabled starts it or takes it down (see disable).
func (l *lifecycle) update(w http.ResponseWriter, req *http.Request) {
	p, err := l.api.Collection.Get(mux.Vars(req)["proxy"])
	if err != nil {
		apiError(w, err)
		return
	}
	enabled := p.Enabled
	in := proxyInput{Listen: p.Listen, Upstream: p.Upstream, Enabled: &enabled}
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		apiError(w, badBody(err))
		return
	}
	if in.Listen != p.Listen || in.Upstream != p.Upstream {
		l.stop(p)
		p.Lock()
		p.Listen, p.Upstream = in.Listen, in.Upstream
		p.Unlock()
	}
	switch {
	case *in.Enabled && !p.Enabled:
		err = l.start(p)
	case !*in.Enabled && p.Enabled:
		l.disable(p)
	}
	if err != nil {
		apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, withToxics(p))
}

// remove serves DELETE /proxies/{proxy}.
func (l *lifecycle) remove(w http.ResponseWriter, req *http.Request) {
	name := mux.Vars(req)["proxy"]
	p, err := l.api.Collection.Get(name)
	if err != nil {
		apiError(w, err)
		return
	}
	l.stop(p)
	if err := l.api.Collection.Remove(name); err != nil {
		apiError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reset serves POST /reset: every proxy enabled, every toxic removed.
func (l *lifecycle) reset(w http.ResponseWriter, req *http.Request) {
	for _, p := range l.api.Collection.Proxies() {
		if err := l.start(p); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
			apiError(w, err)
			return
		}
		p.Toxics.ResetToxics(req.Context())
		if r := l.relay(p); r != nil {
			r.unpin()
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// addToxic serves POST /proxies/{proxy}/toxics: the proxy's connections
// leave the direct copy before Toxiproxy adds the toxic to its pipeline.
func (l *lifecycle) addToxic(w http.ResponseWriter, req *http.Request) {
	p, err := l.api.Collection.Get(mux.Vars(req)["proxy"])
	if err == nil {
		if r := l.relay(p); r != nil {
			r.pin()
			// A rejected toxic leaves the proxy as it was, bar the
			// connections already handed to the pipeline.
			defer l.unpinIfClean(p)
		}
	}
	l.api.ToxicCreate(w, req)
}

// removeToxic serves DELETE /proxies/{proxy}/toxics/{toxic}.
func (l *lifecycle) removeToxic(w http.ResponseWriter, req *http.Request) {
	l.api.ToxicDelete(w, req)
	if p, err := l.api.Collection.Get(mux.Vars(req)["proxy"]); err == nil {
		l.unpinIfClean(p)
	}
}

// unpinIfClean lets new connections of p go direct when it has no toxic.
func (l *lifecycle) unpinIfClean(p *toxiproxy.Proxy) {
	if r := l.relay(p); r != nil && len(p.Toxics.GetToxicArray()) == 0 {
		r.unpin()
	}
}

// refused serves GET /proxies/{proxy}/refused: the connections the proxy
// refused while down, per second ([]Refused), firedrill's addition to the
// API.
func (l *lifecycle) refused(w http.ResponseWriter, req *http.Request) {
	p, err := l.api.Collection.Get(mux.Vars(req)["proxy"])
	if err != nil {
		apiError(w, err)
		return
	}
	out := []Refused{}
	if r := l.relay(p); r != nil {
		out = r.refused.list()
	}
	writeJSON(w, http.StatusOK, out)
}

func checkInput(in proxyInput, where string) error {
	if in.Name == "" {
		return missing("name" + where)
	}
	if in.Upstream == "" {
		return missing("upstream" + where)
	}
	return nil
}

func missing(field string) *toxiproxy.ApiError {
	e := toxiproxy.ErrMissingField
	return &toxiproxy.ApiError{Message: e.Message + ": " + field, StatusCode: e.StatusCode}
}

func badBody(err error) *toxiproxy.ApiError {
	e := toxiproxy.ErrBadRequestBody
	return &toxiproxy.ApiError{Message: e.Message + ": " + err.Error(), StatusCode: e.StatusCode}
}

// asAPIError is err as Toxiproxy answers it: its own errors keep their
// status, any other is a 500.
func asAPIError(err error) *toxiproxy.ApiError {
	var apiErr *toxiproxy.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return &toxiproxy.ApiError{Message: err.Error(), StatusCode: http.StatusInternalServerError}
}

// apiError writes err as Toxiproxy does: its JSON as a plain-text error.
func apiError(w http.ResponseWriter, err error) {
	apiErr := asAPIError(err)
	data, _ := json.Marshal(apiErr)
	w.Header().Set("Content-Type", "application/json")
	http.Error(w, string(data), apiErr.StatusCode)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		apiError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
