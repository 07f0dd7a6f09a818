package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The drill's metrics, as Prometheus names them: rates come from the
// counters (rate(firedrill_drill_requests_total[1m])).
var (
	metricRequests = prometheus.NewDesc("firedrill_drill_requests_total",
		"Requests the drill's load sent.", nil, nil)
	metricErrors = prometheus.NewDesc("firedrill_drill_request_errors_total",
		"Requests of the drill's load that failed (a status other than expected, or no answer).", nil, nil)
	metricP99 = prometheus.NewDesc("firedrill_drill_request_duration_p99_seconds",
		"The 99th percentile of the load's request durations over the last second.", nil, nil)
	metricFault = prometheus.NewDesc("firedrill_drill_fault_active",
		"1 while a fault of the drill's timeline is on, else 0.", []string{"event", "target", "kind"}, nil)
	metricSafeguard = prometheus.NewDesc("firedrill_drill_safeguard_value",
		"A safeguard's last reading: an error ratio, a p99 in seconds, or 1 for an endpoint that answered as expected and 0 for one that did not.", []string{"safeguard", "kind"}, nil)
	metricBroken = prometheus.NewDesc("firedrill_drill_safeguard_broken",
		"1 once a safeguard broke its bound (the load stopped, every fault rolled back), else 0.", []string{"safeguard"}, nil)
)

// faultState is one fault of the timeline, on or off, for the metrics.
type faultState struct {
	target, kind string
	on           bool
}

// setFault records a fault switched on or off (timelineAudit).
func (r *run) setFault(event int, target, kind string, on bool) {
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	if r.faultStates == nil {
		r.faultStates = map[int]*faultState{}
	}
	r.faultStates[event] = &faultState{target: target, kind: kind, on: on}
}

// drillCollector reads a drill's state at each scrape.
type drillCollector struct{ r *run }

// Describe sends the descriptions of every metric.
func (c drillCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

// Collect sends the drill's numbers as they are now.
func (c drillCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	var requests, failed, p99 float64
	if p := r.live.Load(); p != nil {
		requests, failed, p99 = float64(p.Requests), float64(p.Errors), p.P99.Seconds()
	}
	ch <- prometheus.MustNewConstMetric(metricRequests, prometheus.CounterValue, requests)
	ch <- prometheus.MustNewConstMetric(metricErrors, prometheus.CounterValue, failed)
	ch <- prometheus.MustNewConstMetric(metricP99, prometheus.GaugeValue, p99)
	r.auditMu.Lock()
	for i, f := range r.s.Chaos {
		target, kind := f.Proxy, f.Toxic
		if f.System != "" {
			target, kind = f.System, f.Fault
		}
		on := 0.0
		if st := r.faultStates[i]; st != nil && st.on {
			on = 1
		}
		ch <- prometheus.MustNewConstMetric(metricFault, prometheus.GaugeValue, on, strconv.Itoa(i), target, kind)
	}
	r.auditMu.Unlock()
	if g := r.guardNow(); g != nil {
		g.mu.Lock()
		for _, sg := range r.s.Drill.Safeguards {
			if v, ok := g.values[sg.Name]; ok {
				ch <- prometheus.MustNewConstMetric(metricSafeguard, prometheus.GaugeValue, v, sg.Name, sg.kind())
			}
			broken := 0.0
			if g.breach != nil && g.breach.Safeguard == sg.Name {
				broken = 1
			}
			ch <- prometheus.MustNewConstMetric(metricBroken, prometheus.GaugeValue, broken, sg.Name)
		}
		g.mu.Unlock()
	}
}

// guardNow is the run's guard, once the attack started it.
func (r *run) guardNow() *guard {
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	return r.guard
}

// serveMetrics serves the drill's metrics at http://addr/metrics, through
// a registry of its own, until the run is down.
func (r *run) serveMetrics(ctx context.Context) error {
	if r.o.MetricsAddr == "" {
		return nil
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(drillCollector{r}); err != nil {
		return fmt.Errorf("scenarios: metrics: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", r.o.MetricsAddr)
	if err != nil {
		return fmt.Errorf("scenarios: --metrics-addr %s: %w", r.o.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	r.closers = append(r.closers, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("scenarios: metrics server: %w", err)
		}
		return nil
	})
	r.progress("metrics http://%s/metrics", ln.Addr())
	return nil
}
