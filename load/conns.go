package load

import (
	"context"
	"errors"
	"net"
	"sync"
)

// errRunOver refuses a connection once the run has ended.
var errRunOver = errors.New("load: the run is over")

// conns is every connection a run's transport dialled. Ending the run
// (Ctrl-C, the hard duration cap, the drain) closes them all, which ends
// the requests in flight on them: vegeta builds its requests without a
// context. A context per request did the same through a RoundTripper
// wrapper, but net/http times out requests of a RoundTripper it does not
// know with a goroutine, a timer and a channel each: 23 more allocations a
// request than vegeta's own, and a p99 to match.
type conns struct {
	mu     sync.Mutex
	open   map[*trackedConn]struct{}
	closed bool
}

func newConns() *conns { return &conns{open: map[*trackedConn]struct{}{}} }

// dialer wraps dial so that every connection it makes is tracked.
func (c *conns) dialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		t := &trackedConn{Conn: conn, set: c}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			conn.Close()
			return nil, errRunOver
		}
		c.open[t] = struct{}{}
		return t, nil
	}
}

// closeAll closes every open connection and refuses new ones. It is
// idempotent.
func (c *conns) closeAll() {
	c.mu.Lock()
	c.closed = true
	open := c.open
	c.open = map[*trackedConn]struct{}{}
	c.mu.Unlock()
	for t := range open {
		t.Conn.Close()
	}
}

// trackedConn leaves its set when closed.
type trackedConn struct {
	net.Conn
	set  *conns
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		t.set.mu.Lock()
		delete(t.set.open, t)
		t.set.mu.Unlock()
	})
	return t.Conn.Close()
}
