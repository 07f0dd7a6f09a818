package toolkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WebhooksPath is where a mock's admin API manages webhook delivery.
const WebhooksPath = AdminPrefix + "webhooks"

// DefaultDrainTimeout bounds a drain asked through the admin API.
const DefaultDrainTimeout = 30 * time.Second

// AdminHandler serves the webhook admin API, under WebhooksPath:
//
//	GET  /__firedrill/webhooks                     WebhookQueue
//	POST /__firedrill/webhooks/pause               stop delivering (events keep queueing)
//	POST /__firedrill/webhooks/resume              deliver again
//	POST /__firedrill/webhooks/drain?timeout=10s   wait until the queue is empty
//
// Pause, resume and a drain that completes answer the queue; a drain that
// times out answers 504, one asked while paused 409.
func (w *Webhooks) AdminHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rest, _ := strings.CutPrefix(r.URL.Path, WebhooksPath)
		switch strings.TrimPrefix(rest, "/") {
		case "":
			if AllowMethods(rw, r, http.MethodGet) {
				WriteJSON(rw, http.StatusOK, w.Queue())
			}
		case "pause":
			if AllowMethods(rw, r, http.MethodPost) {
				w.Pause()
				WriteJSON(rw, http.StatusOK, w.Queue())
			}
		case "resume":
			if AllowMethods(rw, r, http.MethodPost) {
				w.Resume()
				WriteJSON(rw, http.StatusOK, w.Queue())
			}
		case "drain":
			if AllowMethods(rw, r, http.MethodPost) {
				w.adminDrain(rw, r)
			}
		default:
			WriteProblem(rw, http.StatusNotFound, Problem{Title: "No such admin endpoint", Detail: r.URL.Path})
		}
	})
}

func (w *Webhooks) adminDrain(rw http.ResponseWriter, r *http.Request) {
	timeout := DefaultDrainTimeout
	if vs := UnknownParams(r.URL.Query(), "timeout"); len(vs) > 0 {
		WriteProblem(rw, http.StatusBadRequest, Problem{Title: "Bad drain parameters", Violations: vs})
		return
	}
	if s := r.URL.Query().Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > 10*time.Minute {
			WriteProblem(rw, http.StatusBadRequest, Problem{Title: "Bad drain timeout", Violations: []Violation{{In: "query", Name: "timeout", Message: fmt.Sprintf("%q is not a duration in (0, 10m]", s)}}})
			return
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	switch err := w.Drain(ctx); {
	case err == nil:
		WriteJSON(rw, http.StatusOK, w.Queue())
	case errors.Is(err, ErrWebhooksPaused):
		WriteProblem(rw, http.StatusConflict, Problem{Title: "Delivery paused", Detail: "resume before draining"})
	default:
		WriteProblem(rw, http.StatusGatewayTimeout, Problem{Title: "Drain timed out", Detail: err.Error()})
	}
}
