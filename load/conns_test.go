package load

import (
	"context"
	"errors"
	"net"
	"testing"
)

// The run's connections: one closed by its user leaves the set; the end of
// the run closes the rest (a read on them fails at once) and refuses new
// ones.
func TestConnsCloseAllEndsEveryConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open: the client's reads block until closed
		}
	}()
	set := newConns()
	var d net.Dialer
	dial := set.dialer(d.DialContext)
	var held []net.Conn
	for range 3 {
		c, err := dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	held[0].Close()
	if n := len(set.open); n != 2 {
		t.Fatalf("%d connections tracked after one closed, want 2", n)
	}
	done := make(chan error, 1)
	go func() {
		_, err := held[1].Read(make([]byte, 1))
		done <- err
	}()
	set.closeAll()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("a read in flight ended with %v, want net.ErrClosed", err)
	}
	if _, err := dial(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, errRunOver) {
		t.Errorf("a dial after the end: %v, want errRunOver", err)
	}
	set.closeAll() // idempotent
	held[2].Close()
}
