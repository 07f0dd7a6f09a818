package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// embedded starts an embedded Toxiproxy stopped at the end of the test.
func embedded(t testing.TB, opts ...Option) *Toxiproxy {
	t.Helper()
	tp, err := Embedded(context.Background(), opts...)
	t.Cleanup(func() {
		if err := tp.Close(); err != nil {
			t.Errorf("close toxiproxy: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// tcpUpstream is a TCP server on loopback running handle on each
// connection; it stops, connections included, at the end of the test.
func tcpUpstream(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo copies what it reads back to the writer.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// send writes payload and closes the connection.
func send(payload []byte) func(net.Conn) {
	return func(c net.Conn) { _, _ = c.Write(payload) }
}

// proxyTo creates a proxy named after the test in front of upstream.
func proxyTo(t testing.TB, tp *Toxiproxy, name, upstream string) *Proxy {
	t.Helper()
	p, err := tp.Proxy(context.Background(), name, upstream)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dial connects to addr with a deadline for the whole exchange.
func dial(t testing.TB, addr string, d time.Duration) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	return c
}

// roundTrip sends a small message and waits for its echo.
func roundTrip(c net.Conn) (time.Duration, error) {
	msg := []byte("ping")
	buf := make([]byte, len(msg))
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		return 0, err
	}
	if string(buf) != string(msg) {
		return 0, errors.New("echo mismatch: " + string(buf))
	}
	return time.Since(start), nil
}

func mustParse(t testing.TB, kind string, params map[string]string) Toxic {
	t.Helper()
	tx, err := ParseToxic(kind, params)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// apply switches a toxic on and registers its revert.
func apply(t testing.TB, tp *Toxiproxy, proxy string, tx Toxic) Revert {
	t.Helper()
	revert, err := tp.Apply(context.Background(), proxy, tx)
	if err != nil {
		t.Fatal(err)
	}
	return revert
}

// failTiming reports a timing bound that was missed. When timers armed
// alongside the measurement (probe) were late too, the machine is stalled (a
// loaded runner), which no code under test can beat: the test is skipped,
// saying so, unless FIREDRILL_STRICT_TIMING is set.
func failTiming(t testing.TB, lateness time.Duration, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("FIREDRILL_STRICT_TIMING") == "" && lateness > 500*time.Microsecond {
		t.Skipf("machine too loaded to measure (timers late by %v at the median meanwhile): %s", lateness, msg)
	}
	t.Errorf("%s (timers late by %v at the median meanwhile)", msg, lateness)
}

// latenessProbe sleeps for d again and again until stopped, and returns how
// late the sleeps ended at the median: the machine's own timer lateness
// while a measurement ran.
func latenessProbe(d time.Duration) (stop func() time.Duration) {
	quit := make(chan struct{})
	result := make(chan time.Duration, 1)
	go func() {
		var late []time.Duration
		for {
			start := time.Now()
			select {
			case <-quit:
				slices.Sort(late)
				if len(late) == 0 {
					result <- 0
				} else {
					result <- late[len(late)/2]
				}
				return
			case <-time.After(d):
				late = append(late, time.Since(start)-d)
			}
		}
	}()
	return func() time.Duration {
		close(quit)
		return <-result
	}
}
