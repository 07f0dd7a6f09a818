package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/gorilla/mux"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// embeddedServer is a Toxiproxy server running in this process. It serves
// the routes of Toxiproxy's own ApiServer.Listen on an http.Server it owns,
// because Listen can be neither stopped nor kept from calling Fatal. The
// routes that start and stop proxies or add toxics go to a lifecycle, whose
// relays carry the bytes directly while a proxy has no toxic.
type embeddedServer struct {
	api  *toxiproxy.ApiServer
	life *lifecycle
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// Embedded starts a Toxiproxy server in this process, its API on loopback
// (see WithAPIAddr), and returns it running. Close stops the API and every
// proxy it created.
func Embedded(ctx context.Context, opts ...Option) (*Toxiproxy, error) {
	tp, err := newToxiproxy(opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", tp.apiAddr)
	if err != nil {
		return nil, fmt.Errorf("chaos: toxiproxy API on %s: %w", tp.apiAddr, err)
	}
	zl := zerologTo(tp.logger)
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zl)
	life := newLifecycle(api, tp.logger)
	s := &embeddedServer{
		api:  api,
		life: life,
		srv: &http.Server{
			Handler:           routes(api, life, zl),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			// Without it the read timeout ends idle connections, and 10 s
			// is exactly how long a typical fault stays on.
			IdleTimeout: 5 * time.Minute,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			tp.logger.Error("chaos: toxiproxy API stopped", "err", err)
		}
	}()
	tp.server = s
	tp.url = "http://" + ln.Addr().String()
	tp.logger.Debug("chaos: embedded toxiproxy", "url", tp.url, "version", toxiproxy.Version)
	return tp, nil
}

// routes are the routes of toxiproxy.ApiServer.Listen (v2.5.0), on the
// exported handler methods, but those of life where a proxy starts, stops
// or gets a toxic; and firedrill's own GET /proxies/{proxy}/refused.
func routes(api *toxiproxy.ApiServer, life *lifecycle, zl zerolog.Logger) http.Handler {
	r := mux.NewRouter()
	r.Use(hlog.NewHandler(zl))
	r.Use(refuseBrowsers)
	r.Use(serialize())
	r.Use(func(next http.Handler) http.Handler { return http.TimeoutHandler(next, 25*time.Second, "") })
	for _, rt := range []struct {
		path, method string
		h            http.HandlerFunc
	}{
		{"/reset", http.MethodPost, life.reset},
		{"/proxies", http.MethodGet, api.ProxyIndex},
		{"/proxies", http.MethodPost, life.create},
		{"/populate", http.MethodPost, life.populate},
		{"/proxies/{proxy}", http.MethodGet, api.ProxyShow},
		{"/proxies/{proxy}", http.MethodPost, life.update},
		{"/proxies/{proxy}", http.MethodDelete, life.remove},
		{"/proxies/{proxy}/refused", http.MethodGet, life.refused},
		{"/proxies/{proxy}/toxics", http.MethodGet, api.ToxicIndex},
		{"/proxies/{proxy}/toxics", http.MethodPost, life.addToxic},
		{"/proxies/{proxy}/toxics/{toxic}", http.MethodGet, api.ToxicShow},
		{"/proxies/{proxy}/toxics/{toxic}", http.MethodPost, api.ToxicUpdate},
		{"/proxies/{proxy}/toxics/{toxic}", http.MethodDelete, life.removeToxic},
		{"/version", http.MethodGet, api.Version},
	} {
		r.HandleFunc(rt.path, rt.h).Methods(rt.method)
	}
	return r
}

// refuseBrowsers keeps web pages from driving the API through the user's
// browser, as Toxiproxy does.
func refuseBrowsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.UserAgent(), "Mozilla/") {
			http.Error(w, "User agent not allowed", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serialize lets API calls that change state run one at a time, and none
// while a reading call runs. Toxiproxy v2.5.0 encodes a proxy without its
// lock while an update writes to it (a data race under -race).
func serialize() mux.MiddlewareFunc {
	var mu sync.RWMutex
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				mu.RLock()
				defer mu.RUnlock()
			} else {
				mu.Lock()
				defer mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}
}

// close stops the API, waiting up to 2 s for calls in flight, then every
// proxy listener and connection. It is nil-safe.
func (s *embeddedServer) close(logger *slog.Logger) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		// A client that opened a connection and never sent a request
		// (a transport dialling ahead) holds Shutdown for 5 s.
		logger.Warn("chaos: toxiproxy API closed with calls in flight", "err", err)
		_ = s.srv.Close()
	}
	<-s.done
	s.life.stopAll()
}

// zerologTo returns a zerolog logger that writes to l, or a disabled one
// when l discards everything.
func zerologTo(l *slog.Logger) zerolog.Logger {
	for _, lv := range []struct {
		slog slog.Level
		zl   zerolog.Level
	}{
		{slog.LevelDebug, zerolog.DebugLevel},
		{slog.LevelInfo, zerolog.InfoLevel},
		{slog.LevelWarn, zerolog.WarnLevel},
		{slog.LevelError, zerolog.ErrorLevel},
	} {
		if l.Enabled(context.Background(), lv.slog) {
			return zerolog.New(slogWriter{l}).Level(lv.zl)
		}
	}
	return zerolog.Nop()
}

// slogWriter turns zerolog's JSON lines into slog records.
type slogWriter struct{ l *slog.Logger }

// Write implements io.Writer for lines without a level.
func (w slogWriter) Write(p []byte) (int, error) {
	return w.WriteLevel(zerolog.NoLevel, p)
}

// WriteLevel implements zerolog.LevelWriter.
func (w slogWriter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		w.l.Info("toxiproxy: " + strings.TrimSpace(string(p)))
		return len(p), nil
	}
	msg, _ := fields[zerolog.MessageFieldName].(string)
	delete(fields, zerolog.MessageFieldName)
	delete(fields, zerolog.LevelFieldName)
	attrs := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		attrs = append(attrs, k, v)
	}
	lv := slog.LevelInfo
	switch {
	case level <= zerolog.DebugLevel && level != zerolog.NoLevel:
		lv = slog.LevelDebug
	case level == zerolog.WarnLevel:
		lv = slog.LevelWarn
	case level >= zerolog.ErrorLevel && level < zerolog.NoLevel:
		lv = slog.LevelError
	}
	w.l.Log(context.Background(), lv, "toxiproxy: "+msg, attrs...)
	return len(p), nil
}
