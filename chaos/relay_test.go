package chaos

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// relayOf returns the relay carrying the embedded proxy named name.
func relayOf(t testing.TB, tp *Toxiproxy, name string) *relay {
	t.Helper()
	p, err := tp.server.api.Collection.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	r := tp.server.life.relay(p)
	if r == nil {
		t.Fatalf("proxy %q has no relay", name)
	}
	return r
}

// byteStream is the pseudo-random byte sequence of a seed; each side of a
// connection writes one and checks the other's.
func byteStream(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return rand.NewChaCha8(key)
}

// checkStream reads exactly n bytes from c and compares each with want;
// progress counts the bytes checked.
func checkStream(c net.Conn, want io.Reader, n int, progress *atomic.Int64) error {
	got := make([]byte, 32<<10)
	exp := make([]byte, len(got))
	for off := 0; off < n; {
		k, err := c.Read(got[:min(len(got), n-off)])
		if k > 0 {
			_, _ = io.ReadFull(want, exp[:k])
			if i := firstDiff(got[:k], exp[:k]); i >= 0 {
				return fmt.Errorf("byte %d of %d: got %#x, want %#x", off+i, n, got[i], exp[i])
			}
			off += k
			progress.Add(int64(k))
		}
		if err != nil && off < n {
			return fmt.Errorf("after %d of %d bytes: %w", off, n, err)
		}
	}
	return nil
}

// endMark follows the client's stream once the client has checked all of
// the upstream's: the upstream closes on it, and the client then expects
// the end of the stream. A byte repeated at the end of either stream shows
// as a wrong mark or as data before the end.
var endMark = []byte("END-MARK")

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// writeStream writes n bytes of from to c in chunks of random size, with
// short pauses, so that the transfer spans toxic changes. Half-way, it
// waits for halfway to be closed (nil: no wait).
func writeStream(c net.Conn, from io.Reader, n int, rng *rand.Rand, halfway <-chan struct{}) error {
	buf := make([]byte, 16<<10)
	for off := 0; off < n; {
		if halfway != nil && off >= n/2 {
			<-halfway
			halfway = nil
		}
		k := min(1+rng.IntN(len(buf)), n-off)
		_, _ = io.ReadFull(from, buf[:k])
		if _, err := c.Write(buf[:k]); err != nil {
			return fmt.Errorf("write at %d of %d: %w", off, n, err)
		}
		off += k
		if rng.IntN(8) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// duplex writes its stream and checks the peer's at the same time, then
// ends the exchange with endMark: the client sends it and expects the end
// of the stream, the upstream expects it and returns (its caller closes).
func duplex(c net.Conn, client bool, mine, theirs uint64, n int, rng *rand.Rand, progress *atomic.Int64, halfway <-chan struct{}) error {
	werr := make(chan error, 1)
	go func() { werr <- writeStream(c, byteStream(mine), n, rng, halfway) }()
	err := checkStream(c, byteStream(theirs), n, progress)
	if err != nil {
		_ = c.Close() // unblocks the writer
		return errors.Join(<-werr, err)
	}
	if err := <-werr; err != nil {
		return err
	}
	if client {
		if _, err := c.Write(endMark); err != nil {
			return fmt.Errorf("write the end mark: %w", err)
		}
		if k, err := c.Read(make([]byte, 1)); k != 0 || !errors.Is(err, io.EOF) {
			return fmt.Errorf("after the %d bytes: read %d more (err %v), want the end of the stream", n, k, err)
		}
		return nil
	}
	mark := make([]byte, len(endMark))
	if _, err := io.ReadFull(c, mark); err != nil || !bytes.Equal(mark, endMark) {
		return fmt.Errorf("after the %d bytes: %q (err %v), want the end mark", n, mark, err)
	}
	return nil
}

// TestToxicsToggledUnderLoadLoseNoByte streams pseudo-random bytes both
// ways over many connections while lossless toxics go on and off, and
// checks every byte arrives, in order, exactly once, at both ends. The
// first toxic goes on while a connection is on the direct copy, so that
// hand-over is exercised on every run.
func TestToxicsToggledUnderLoadLoseNoByte(t *testing.T) {
	t.Parallel()
	const conns, size = 12, 256 << 10
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("FIREDRILL_SEED"); s != "" {
		var seed uint64
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("FIREDRILL_SEED=%q: %v", s, err)
		}
		seeds = []uint64{seed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			tp := embedded(t)
			var upErrs sync.Map
			up := tcpUpstream(t, func(c net.Conn) {
				var hdr [8]byte
				if _, err := io.ReadFull(c, hdr[:]); err != nil {
					return
				}
				id := binary.BigEndian.Uint64(hdr[:])
				rng := rand.New(rand.NewPCG(id, 1))
				if err := duplex(c, false, id<<1|1, id<<1, size, rng, new(atomic.Int64), nil); err != nil {
					upErrs.Store(id, err)
				}
			})
			p := proxyTo(t, tp, "toggle", up)
			kinds := []Toxic{
				mustParse(t, "latency", map[string]string{"latency": "1ms", "jitter": "1ms", "stream": "upstream"}),
				mustParse(t, "latency", map[string]string{"latency": "2ms", "stream": "downstream"}),
				mustParse(t, "bandwidth", map[string]string{"rate": "20000KB/s", "stream": "downstream"}),
				mustParse(t, "slicer", map[string]string{"average_size": "700", "size_variation": "300", "delay": "10us", "stream": "upstream"}),
				mustParse(t, "slicer", map[string]string{"average_size": "2000", "size_variation": "1000", "stream": "downstream"}),
			}
			r := relayOf(t, tp, p.Name)
			togglesDone := make(chan struct{})
			// The first connections stop half-way until the first toxic is
			// on, so that they are on the direct copy when it comes.
			const early = 4
			firstOn := make(chan struct{})
			progress := make([]atomic.Int64, conns)
			var wg sync.WaitGroup
			errs := make([]error, conns)
			for i := range conns {
				if i > 0 {
					time.Sleep(time.Duration(rand.New(rand.NewPCG(seed, uint64(i))).IntN(15)) * time.Millisecond)
				}
				wg.Go(func() {
					id := seed<<32 | uint64(i)
					c := dial(t, p.Listen, 60*time.Second)
					var hdr [8]byte
					binary.BigEndian.PutUint64(hdr[:], id)
					if _, err := c.Write(hdr[:]); err != nil {
						errs[i] = err
						return
					}
					rng := rand.New(rand.NewPCG(id, 2))
					var halfway <-chan struct{}
					if i < early {
						halfway = firstOn
					}
					errs[i] = duplex(c, true, id<<1, id<<1|1, size, rng, &progress[i], halfway)
				})
				if i == early-1 {
					for j := range early {
						for deadline := time.Now().Add(10 * time.Second); progress[j].Load() == 0 && time.Now().Before(deadline); {
							time.Sleep(100 * time.Microsecond)
						}
					}
					go toggleToxics(t, tp, p.Name, kinds, seed, firstOn, togglesDone)
				}
			}
			wg.Wait()
			togglesDone <- struct{}{}
			<-togglesDone
			for i, err := range errs {
				if err != nil {
					t.Errorf("connection %d, client side: %v", i, err)
				}
			}
			upErrs.Range(func(id, err any) bool {
				t.Errorf("connection %d, upstream side: %v", id.(uint64)&0xffffffff, err)
				return true
			})
			t.Logf("%d connections began direct, %d directions handed over to the pipeline", r.direct.Load(), r.switched.Load())
			if r.switched.Load() < 2*early {
				t.Errorf("%d directions handed from the direct copy to the pipeline, want ≥ %d: the test did not test the hand-over", r.switched.Load(), 2*early)
			}
		})
	}
}

// toggleToxics puts lossless toxics on and off the proxy at random until
// told to stop on done, then removes what is left and answers on done. It
// closes firstOn once the first toxics are on.
func toggleToxics(t *testing.T, tp *Toxiproxy, proxy string, kinds []Toxic, seed uint64, firstOn, done chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, 99))
	ctx := context.Background()
	var reverts []Revert
	rest := func() { time.Sleep(time.Duration(rng.IntN(8000)) * time.Microsecond) }
	for {
		select {
		case <-done:
			for _, rv := range reverts {
				if err := rv(ctx); err != nil {
					t.Errorf("revert: %v", err)
				}
			}
			done <- struct{}{}
			return
		default:
		}
		for _, k := range rng.Perm(len(kinds))[:1+rng.IntN(len(kinds))] {
			rv, err := tp.Apply(ctx, proxy, kinds[k])
			if err != nil {
				t.Errorf("apply %s: %v", kinds[k].Kind, err)
				continue
			}
			reverts = append(reverts, rv)
		}
		if firstOn != nil {
			close(firstOn)
			firstOn = nil
		}
		rest()
		for _, rv := range reverts {
			if err := rv(ctx); err != nil {
				t.Errorf("revert: %v", err)
			}
		}
		reverts = reverts[:0]
		rest()
	}
}

// TestToxicReachesADirectConnection opens a connection while the proxy has
// no toxic (so on the direct copy), then adds a toxic and checks that the
// very same connection obeys it.
func TestToxicReachesADirectConnection(t *testing.T) {
	t.Parallel()
	echoOnce := func(c net.Conn, msg []byte) ([]byte, time.Duration, error) {
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, 0, err
		}
		got := make([]byte, len(msg))
		n, err := io.ReadFull(c, got)
		return got[:n], time.Since(start), err
	}
	ping := []byte("ping")
	for _, tc := range []struct {
		kind   string
		params map[string]string
		check  func(c net.Conn) error
	}{
		{"latency", map[string]string{"latency": "200ms"}, func(c net.Conn) error {
			if _, took, err := echoOnce(c, ping); err != nil || took < 200*time.Millisecond {
				return fmt.Errorf("round trip in %v (err %v), want ≥ 200ms", took, err)
			}
			return nil
		}},
		{"latency", map[string]string{"latency": "200ms", "stream": "upstream"}, func(c net.Conn) error {
			if _, took, err := echoOnce(c, ping); err != nil || took < 200*time.Millisecond {
				return fmt.Errorf("round trip in %v (err %v), want ≥ 200ms", took, err)
			}
			return nil
		}},
		{"bandwidth", map[string]string{"rate": "20KB/s"}, func(c net.Conn) error {
			if _, took, err := echoOnce(c, bytes.Repeat([]byte("b"), 8000)); err != nil || took < 300*time.Millisecond {
				return fmt.Errorf("8000 bytes in %v (err %v), want ≥ 300ms at 20KB/s", took, err)
			}
			return nil
		}},
		{"timeout", map[string]string{"timeout": "0"}, func(c net.Conn) error {
			_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
			if got, _, err := echoOnce(c, ping); !errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("got %q (err %v), want nothing until the deadline", got, err)
			}
			return nil
		}},
		{"limit_data", map[string]string{"bytes": "10"}, func(c net.Conn) error {
			if _, err := c.Write(bytes.Repeat([]byte("l"), 100)); err != nil {
				return err
			}
			got, err := io.ReadAll(c)
			if len(got) != 10 {
				return fmt.Errorf("%d bytes then %v, want 10 then the end", len(got), err)
			}
			return nil
		}},
		{"reset_peer", map[string]string{"timeout": "0"}, func(c net.Conn) error {
			if got, _, err := echoOnce(c, ping); err == nil {
				return fmt.Errorf("echo %q, want the connection ended", got)
			}
			return nil
		}},
		{"slicer", map[string]string{"average_size": "10", "delay": "20ms"}, func(c net.Conn) error {
			if _, took, err := echoOnce(c, bytes.Repeat([]byte("s"), 100)); err != nil || took < 100*time.Millisecond {
				return fmt.Errorf("100 bytes in 10-byte slices 20ms apart in %v (err %v), want ≥ 100ms", took, err)
			}
			return nil
		}},
		{Down, nil, func(c net.Conn) error {
			if got, _, err := echoOnce(c, ping); err == nil {
				return fmt.Errorf("echo %q, want the connection closed", got)
			}
			return nil
		}},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.kind, tc.params), func(t *testing.T) {
			t.Parallel()
			tp := embedded(t)
			p := proxyTo(t, tp, "direct", tcpUpstream(t, echo))
			c := dial(t, p.Listen, 10*time.Second)
			if _, took, err := echoOnce(c, ping); err != nil || took > 150*time.Millisecond {
				t.Fatalf("control round trip in %v: %v", took, err)
			}
			r := relayOf(t, tp, p.Name)
			if r.direct.Load() != 1 {
				t.Fatalf("%d connections on the direct copy, want 1", r.direct.Load())
			}
			apply(t, tp, p.Name, mustParse(t, tc.kind, tc.params))
			if err := tc.check(c); err != nil {
				t.Errorf("same connection %s with %s %v: %v (%d directions handed over)", c.LocalAddr(), tc.kind, tc.params, err, r.switched.Load())
			}
		})
	}
}

// TestProxyGoesDirectAgainWithoutToxics checks that connections opened
// while a toxic is on take the pipeline, those opened after the last one
// is removed the direct copy, and that both keep working.
func TestProxyGoesDirectAgainWithoutToxics(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "again", tcpUpstream(t, echo))
	r := relayOf(t, tp, p.Name)
	revert := apply(t, tp, p.Name, mustParse(t, "latency", map[string]string{"latency": "50ms"}))
	piped := dial(t, p.Listen, 10*time.Second)
	if d, err := roundTrip(piped); err != nil || d < 50*time.Millisecond {
		t.Fatalf("with latency: %v in %v, want ≥ 50ms", err, d)
	}
	if err := revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	direct := dial(t, p.Listen, 10*time.Second)
	for _, c := range []net.Conn{piped, direct} {
		if d, err := roundTrip(c); err != nil || d > 40*time.Millisecond {
			t.Errorf("after the revert: %v in %v, want < 40ms", err, d)
		}
	}
	if got := r.direct.Load(); got != 1 {
		t.Errorf("%d connections on the direct copy, want 1 (the one opened after the revert)", got)
	}
	// A rejected toxic leaves new connections direct.
	bad := Toxic{Kind: "latency", Stream: "sideways", Attributes: map[string]int64{"latency": 1}}
	if err := tp.AddToxic(context.Background(), p.Name, bad); err == nil {
		t.Fatal("a toxic on stream sideways was accepted")
	}
	if _, err := roundTrip(dial(t, p.Listen, 10*time.Second)); err != nil || r.direct.Load() != 2 {
		t.Errorf("after a rejected toxic: %v, %d direct connections, want 2", err, r.direct.Load())
	}
}

// TestPipedConnectionsAreForgotten checks that the relay does not keep the
// connections Toxiproxy's links have closed.
func TestPipedConnectionsAreForgotten(t *testing.T) {
	t.Parallel()
	tp := embedded(t)
	p := proxyTo(t, tp, "forget", tcpUpstream(t, echo))
	r := relayOf(t, tp, p.Name)
	apply(t, tp, p.Name, mustParse(t, "latency", map[string]string{"latency": "1ms"}))
	const n = 300
	for i := range n {
		c, err := net.DialTimeout("tcp", p.Listen, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = roundTrip(c)
		c.Close()
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	r.mu.Lock()
	kept := len(r.conns)
	r.mu.Unlock()
	if kept > n/2 {
		t.Errorf("the relay keeps %d of %d closed connections", kept, n)
	}
}

// TestFreeProxyPortsAreOutsideTheKernelsRange checks that a proxy asked to
// listen on a free port gets one below the range the kernel hands out on
// its own: while a down fault has the proxy closed, no other program's
// connection or free-port listen can take the port it comes back on.
func TestFreeProxyPortsAreOutsideTheKernelsRange(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the kernel's range is read from /proc on Linux")
	}
	tp := embedded(t)
	p := proxyTo(t, tp, "stable", tcpUpstream(t, send([]byte("hi"))))
	_, port, err := net.SplitHostPort(p.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(port); n < PortFloor || n >= EphemeralFloor() {
		t.Fatalf("proxy port %d, want one in [%d, %d)", n, PortFloor, EphemeralFloor())
	}
}

// TestHandOverWhileDataArrives: a direct copy can see its gate closed
// before pin has set its read deadline, when data arrives in between. The
// deadline pin sets then must not outlive the hand-over: Toxiproxy's link
// would fail its first read and end the connection with bytes in flight
// (seen as a reset at the client and an early EOF upstream). Not parallel:
// it sets the pin hook, which no other test may see.
func TestHandOverWhileDataArrives(t *testing.T) {
	tp := embedded(t)
	up := tcpUpstream(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
	p := proxyTo(t, tp, "handover", up)
	c := dial(t, p.Listen, 10*time.Second)
	echo := func(msg string) error {
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			return fmt.Errorf("echo %q: got %q (err %v)", msg, got, err)
		}
		return nil
	}
	if err := echo("direct"); err != nil {
		t.Fatal(err)
	}
	pinGatesClosed = func(rc *relayConn) {
		if rc.upstream.RemoteAddr().String() != up {
			return
		}
		// Data arrives now: the upstream copy wakes, finds its gate
		// closed and hands over before pin sets the deadlines.
		_, _ = c.Write([]byte("x"))
		time.Sleep(100 * time.Millisecond)
	}
	defer func() { pinGatesClosed = nil }()
	r := relayOf(t, tp, p.Name)
	if _, err := tp.Apply(context.Background(), p.Name, mustParse(t, "latency", map[string]string{"latency": "1ms"})); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1)
	if _, err := io.ReadFull(c, got); err != nil || got[0] != 'x' {
		t.Fatalf("the byte sent during the hand-over: got %q (err %v)", got, err)
	}
	for i := range 3 {
		if err := echo(fmt.Sprint("through the pipeline ", i)); err != nil {
			t.Fatal(err)
		}
	}
	if r.switched.Load() < 1 {
		t.Errorf("%d directions handed over: the test did not test the hand-over", r.switched.Load())
	}
}
