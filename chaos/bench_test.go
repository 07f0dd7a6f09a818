package chaos

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// plainToxiproxy starts a proxy in front of upstream on Toxiproxy's own,
// unmodified accept loop and pipeline, the reference firedrill's proxy is
// measured against; it stops at the end of the benchmark.
func plainToxiproxy(b *testing.B, upstream string) string {
	b.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "plain", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Stop)
	return p.Listen
}

// percentile returns the p-th percentile (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p/100)]
}

// BenchmarkProxyLatency measures what an embedded proxy with no toxic adds
// to a small request/response round trip, against a direct connection in
// the same run, and what Toxiproxy's own pipeline adds (toxiproxy-*), the
// three interleaved so that all see the same machine.
//
//	go test -run '^$' -bench ProxyLatency ./chaos/
func BenchmarkProxyLatency(b *testing.B) {
	tp := embedded(b)
	up := tcpUpstream(b, echo)
	p := proxyTo(b, tp, "bench", up)
	conns := []net.Conn{dial(b, up, time.Hour), dial(b, p.Listen, time.Hour), dial(b, plainToxiproxy(b, up), time.Hour)}
	ds := make([][]time.Duration, len(conns)) // direct, proxied, plain Toxiproxy
	b.ResetTimer()
	for b.Loop() {
		for i, c := range conns {
			d, err := roundTrip(c)
			if err != nil {
				b.Fatal(err)
			}
			ds[i] = append(ds[i], d)
		}
	}
	us := func(t time.Duration) float64 { return float64(t) / float64(time.Microsecond) }
	added := func(i int, p float64) float64 { return us(percentile(ds[i], p) - percentile(ds[0], p)) }
	b.ReportMetric(us(percentile(ds[0], 50)), "direct-p50-µs")
	b.ReportMetric(added(1, 50), "added-p50-µs")
	b.ReportMetric(added(1, 99), "added-p99-µs")
	b.ReportMetric(added(2, 50), "toxiproxy-added-p50-µs")
	b.ReportMetric(added(2, 99), "toxiproxy-added-p99-µs")
}

// blast answers each 8-byte length with that many bytes.
func blast(c net.Conn) {
	buf := make([]byte, 64<<10)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		for n := int(binary.BigEndian.Uint64(hdr[:])); n > 0; {
			k := min(n, len(buf))
			if _, err := c.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
	}
}

// fetch asks for n bytes and reads them.
func fetch(c net.Conn, n int, buf []byte) (time.Duration, error) {
	start := time.Now()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := c.Write(hdr[:]); err != nil {
		return 0, err
	}
	for n > 0 {
		k, err := c.Read(buf[:min(n, len(buf))])
		if err != nil {
			return 0, err
		}
		n -= k
	}
	return time.Since(start), nil
}

// BenchmarkProxyThroughput measures bulk transfer (1 MiB per request, on
// a connection kept open) through a proxy with no toxic against a direct
// connection, the two interleaved in the same run: firedrill's embedded
// proxy, then Toxiproxy's own pipeline. Rates come from the median
// transfer time of each, so that a stall of the shared machine during one
// transfer does not swing the ratio.
//
// Each proxy has its own direct baseline: interleaved with Toxiproxy's
// pipeline, which allocates for every chunk it carries, the direct
// transfers run beside its garbage collection and slow down (to 2.3-3.9
// GB/s from 4.5), which flattered any ratio taken against them.
//
//	go test -run '^$' -bench 'ProxyThroughput$' -count 4 ./chaos/
func BenchmarkProxyThroughput(b *testing.B) {
	const size = 1 << 20
	up := tcpUpstream(b, blast)
	proxies := []struct {
		name   string
		listen func() string
	}{
		{"firedrill", func() string { return proxyTo(b, embedded(b), "bulk", up).Listen }},
		{"toxiproxy", func() string { return plainToxiproxy(b, up) }},
	}
	for _, p := range proxies {
		b.Run(p.name, func(b *testing.B) {
			conns := []net.Conn{dial(b, up, time.Hour), dial(b, p.listen(), time.Hour)}
			took := make([][]time.Duration, len(conns)) // direct, proxied
			buf := make([]byte, 256<<10)
			b.SetBytes(size * int64(len(conns)))
			b.ResetTimer()
			for b.Loop() {
				for i, c := range conns {
					d, err := fetch(c, size, buf)
					if err != nil {
						b.Fatal(err)
					}
					took[i] = append(took[i], d)
				}
			}
			direct, proxied := percentile(took[0], 50).Seconds(), percentile(took[1], 50).Seconds()
			b.ReportMetric(size/1e6/direct, "direct-MB/s")
			b.ReportMetric(size/1e6/proxied, "proxied-MB/s")
			b.ReportMetric(direct/proxied, "throughput-ratio")
		})
	}
}

// BenchmarkProxyThroughputStreams measures bulk transfer as a busy proxy
// carries it: four connections fetching 1 MiB at a time together, for
// 300 ms, direct then through an embedded proxy with no toxic, the two
// phases alternating; the rates are the bytes each moved over its phases.
// One stream at a time (BenchmarkProxyThroughput) swings with where the
// scheduler puts its few goroutines; four keep both cores busy.
//
//	go test -run '^$' -bench ProxyThroughputStreams ./chaos/
func BenchmarkProxyThroughputStreams(b *testing.B) {
	const (
		size    = 1 << 20
		streams = 4
		phase   = 300 * time.Millisecond
	)
	tp := embedded(b)
	up := tcpUpstream(b, blast)
	p := proxyTo(b, tp, "streams", up)
	targets := []string{up, p.Listen}
	conns := make([][]net.Conn, len(targets))
	for i, addr := range targets {
		for range streams {
			conns[i] = append(conns[i], dial(b, addr, time.Hour))
		}
	}
	var moved [2]int64
	var took [2]time.Duration
	b.ResetTimer()
	for b.Loop() {
		for i := range targets {
			start := time.Now()
			deadline := start.Add(phase)
			var wg sync.WaitGroup
			var n atomic.Int64
			for _, c := range conns[i] {
				wg.Go(func() {
					buf := make([]byte, 256<<10)
					for time.Now().Before(deadline) {
						if _, err := fetch(c, size, buf); err != nil {
							b.Error(err)
							return
						}
						n.Add(size)
					}
				})
			}
			wg.Wait()
			moved[i] += n.Load()
			took[i] += time.Since(start)
		}
	}
	rate := func(i int) float64 { return float64(moved[i]) / 1e6 / took[i].Seconds() }
	b.ReportMetric(rate(0), "direct-MB/s")
	b.ReportMetric(rate(1), "proxied-MB/s")
	b.ReportMetric(rate(1)/rate(0), "throughput-ratio")
}
