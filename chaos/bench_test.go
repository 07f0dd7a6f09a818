package chaos

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// percentile returns the p-th percentile (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p/100)]
}

// BenchmarkProxyLatency measures what an embedded proxy with no toxic adds
// to a small request/response round trip, against a direct connection in
// the same run, the two interleaved so that both see the same machine.
//
//	go test -run '^$' -bench ProxyLatency ./chaos/
func BenchmarkProxyLatency(b *testing.B) {
	tp := embedded(b)
	up := tcpUpstream(b, echo)
	p := proxyTo(b, tp, "bench", up)
	direct := dial(b, up, time.Hour)
	proxied := dial(b, p.Listen, time.Hour)
	var d, x []time.Duration
	b.ResetTimer()
	for b.Loop() {
		dd, err := roundTrip(direct)
		if err != nil {
			b.Fatal(err)
		}
		xd, err := roundTrip(proxied)
		if err != nil {
			b.Fatal(err)
		}
		d, x = append(d, dd), append(x, xd)
	}
	us := func(t time.Duration) float64 { return float64(t) / float64(time.Microsecond) }
	b.ReportMetric(us(percentile(d, 50)), "direct-p50-µs")
	b.ReportMetric(us(percentile(x, 50)-percentile(d, 50)), "added-p50-µs")
	b.ReportMetric(us(percentile(x, 99)-percentile(d, 99)), "added-p99-µs")
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

// BenchmarkProxyThroughput measures bulk transfer (1 MiB per request)
// through an embedded proxy with no toxic against a direct connection, in
// the same run, interleaved.
//
//	go test -run '^$' -bench ProxyThroughput ./chaos/
func BenchmarkProxyThroughput(b *testing.B) {
	const size = 1 << 20
	tp := embedded(b)
	up := tcpUpstream(b, blast)
	p := proxyTo(b, tp, "bulk", up)
	direct := dial(b, up, time.Hour)
	proxied := dial(b, p.Listen, time.Hour)
	buf := make([]byte, 256<<10)
	var d, x time.Duration
	b.SetBytes(2 * size)
	b.ResetTimer()
	for b.Loop() {
		dd, err := fetch(direct, size, buf)
		if err != nil {
			b.Fatal(err)
		}
		xd, err := fetch(proxied, size, buf)
		if err != nil {
			b.Fatal(err)
		}
		d, x = d+dd, x+xd
	}
	n := float64(b.N) * size / 1e6
	b.ReportMetric(n/d.Seconds(), "direct-MB/s")
	b.ReportMetric(n/x.Seconds(), "proxied-MB/s")
	b.ReportMetric(d.Seconds()/x.Seconds(), "throughput-ratio")
}
