package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/stream"
)

// relay carries the connections of one embedded proxy while it is enabled.
// It replaces Toxiproxy's accept loop but not its toxics: while the proxy
// has no toxic, bytes go straight from one socket to the other (read(2)
// and write(2) with pooled buffers, see copyDirect); once a toxic is on,
// every connection runs through Toxiproxy's own pipeline, the ToxicLinks
// of the proxy's ToxicCollection, which apply the toxics as Toxiproxy does.
//
// A connection moves from the direct copy to the pipeline when a toxic is
// about to be added (see pin): the gate of each direction closes, so that
// no read begins, and a read deadline in the past wakes the copies waiting
// for data. A copy stops only between two reads, after every byte it read
// has been written, so the link takes over at the next byte. It never
// moves back: leaving the pipeline means draining the toxic chain into a
// peer that may not read, which could hold up the API call removing the
// toxic. Connections opened after the last toxic is gone are direct again.
type relay struct {
	proxy  *toxiproxy.Proxy
	api    *toxiproxy.ApiServer
	logger *slog.Logger
	ln     net.Listener
	ctx    context.Context // cancelled by stop: aborts dials in progress
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and the direct copies

	mu     sync.Mutex
	toxic  bool // a toxic is on or about to be: new connections take the pipeline
	closed bool
	down   bool // the proxy is disabled: each connection is refused (see refuse)
	conns  map[*relayConn]struct{}
	pruned int // len(conns) after the last prune

	direct   atomic.Int64 // connections that began on the direct copy
	switched atomic.Int64 // directions handed from the direct copy to the pipeline
	refused  refusals     // connections refused while down, per second
}

// relayConn is one client connection and its connection upstream.
type relayConn struct {
	name             string
	client, upstream *net.TCPConn
	piped            bool // handed, or being handed, to Toxiproxy's pipeline; under relay.mu
	settled          bool // no direct copy runs any more: only links touch it; under relay.mu
	gates            [stream.NumDirections]gate
}

// gate lets a direct copy read until it is closed. A read deadline alone
// cannot stop it: Go's poller lets a reader woken by the deadline read
// anyway when data arrived before it ran, and that data would skip a
// toxic just switched on.
type gate struct {
	mu     sync.Mutex
	closed bool
}

// read runs read unless the gate is closed, and says whether it ran. Once
// close has returned, no read runs.
func (g *gate) read(read func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	read()
	return true
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (g *gate) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// errGateClosed is what copyDirect returns when its gate closes.
var errGateClosed = errors.New("chaos: direct copy stopped for the toxic pipeline")

// startRelay listens on the proxy's address and serves it. The proxy's
// Listen becomes the address actually bound, as Toxiproxy does; a free port
// asked for (":0") is picked below the kernel's own range (ListenStable),
// so that a port the proxy lets go of (a listen address changed, a proxy
// created disabled) is still free when it comes back. A down fault keeps
// the port: the relay refuses connections itself (see disable).
func startRelay(api *toxiproxy.ApiServer, p *toxiproxy.Proxy, logger *slog.Logger) (*relay, error) {
	var ln net.Listener
	var err error
	if host, port, serr := net.SplitHostPort(p.Listen); serr == nil && port == "0" {
		ln, err = ListenStable(host)
	} else {
		ln, err = net.Listen("tcp", p.Listen)
	}
	if err != nil {
		return nil, fmt.Errorf("chaos: proxy %q: listen on %s: %w", p.Name, p.Listen, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relay{
		proxy: p, api: api, logger: logger, ln: ln, ctx: ctx, cancel: cancel,
		toxic: len(p.Toxics.GetToxicArray()) > 0,
		conns: map[*relayConn]struct{}{},
	}
	p.Listen = ln.Addr().String()
	p.Logger.Info().Str("listen", p.Listen).Msg("Started proxy")
	r.wg.Go(r.accept)
	return r, nil
}

func (r *relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				r.logger.Warn("chaos: proxy stopped accepting", "proxy", r.proxy.Name, "err", err)
			}
			return
		}
		tc := c.(*net.TCPConn)
		r.mu.Lock()
		down := r.down
		r.mu.Unlock()
		if down {
			r.refuse(tc)
			continue
		}
		r.wg.Go(func() { r.serve(tc) })
	}
}

// refuse closes a connection the proxy will not carry with a reset
// (SO_LINGER 0), so that the client fails at once, and counts it. The
// listener stays open while the proxy is down: a connection the kernel
// refused could not be counted, and the port stays the proxy's.
func (r *relay) refuse(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
	r.refused.add(time.Now())
	r.proxy.Logger.Debug().Str("client", c.RemoteAddr().String()).Msg("Refused client: proxy disabled")
}

// disable takes the proxy down: every connection is closed, and those
// that come are refused until enable.
func (r *relay) disable() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = true
	for rc := range r.conns {
		rc.close()
	}
	clear(r.conns)
	r.pruned = 0
}

// enable serves new connections again after disable.
func (r *relay) enable() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = false
}

// serve dials upstream for client and carries the connection.
func (r *relay) serve(client *net.TCPConn) {
	name := client.RemoteAddr().String()
	r.proxy.Logger.Info().Str("client", name).Msg("Accepted client")
	var d net.Dialer
	up, err := d.DialContext(r.ctx, "tcp", r.proxy.Upstream)
	if err != nil {
		r.proxy.Logger.Err(err).Str("client", name).Msg("Unable to open connection to upstream")
		_ = client.Close()
		return
	}
	rc := &relayConn{name: name, client: client, upstream: up.(*net.TCPConn)}
	r.mu.Lock()
	if r.closed || r.down {
		down := r.down && !r.closed
		r.mu.Unlock()
		// Taken down while dialling: the client is refused as the
		// connections after it are.
		_ = rc.upstream.Close()
		if down {
			r.refuse(client)
		} else {
			_ = client.Close()
		}
		return
	}
	r.prune()
	r.conns[rc] = struct{}{}
	piped := r.toxic
	rc.piped, rc.settled = piped, piped
	r.mu.Unlock()
	if piped {
		r.pipe(rc, stream.Upstream)
		r.pipe(rc, stream.Downstream)
		return
	}
	r.direct.Add(1)
	var wg sync.WaitGroup
	wg.Go(func() { r.copy(rc, stream.Upstream) })
	r.copy(rc, stream.Downstream)
	wg.Wait()
	r.mu.Lock()
	rc.settled = true
	if !rc.piped {
		delete(r.conns, rc)
	}
	r.mu.Unlock()
}

// ends returns the source and destination of a direction.
func (rc *relayConn) ends(dir stream.Direction) (src, dst *net.TCPConn) {
	if dir == stream.Upstream {
		return rc.client, rc.upstream
	}
	return rc.upstream, rc.client
}

func (rc *relayConn) close() {
	_ = rc.client.Close()
	_ = rc.upstream.Close()
}

// copy carries one direction directly until the source ends, then closes
// the destination as a Toxiproxy link does; or, interrupted by pin, hands
// the direction to the pipeline.
func (r *relay) copy(rc *relayConn, dir stream.Direction) {
	src, dst := rc.ends(dir)
	g := &rc.gates[dir]
	err := copyDirect(dst, src, g)
	// The deadline that woke the copy comes with the gate closed.
	if (errors.Is(err, errGateClosed) || errors.Is(err, os.ErrDeadlineExceeded)) && g.isClosed() &&
		r.clearDeadline(src) == nil {
		r.switched.Add(1)
		r.pipe(rc, dir)
		return
	}
	_ = dst.Close()
}

// clearDeadline clears the read deadline pin set on src, once pin is done.
// A copy can see its gate closed before pin has set the deadline (data
// arrived in between): cleared then, the deadline pin sets after would
// fail the link's first read, and Toxiproxy's link ends the direction on
// a read error as on EOF, closing the other end with bytes in flight.
// pin holds r.mu from the gates to the deadlines, so here, under r.mu,
// the deadline is already set.
func (r *relay) clearDeadline(src *net.TCPConn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return src.SetReadDeadline(time.Time{})
}

// copyBufSize is the size of the buffers of copyDirect (copy_unix.go,
// copy_other.go): large enough for bulk transfers to take few system calls.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// pipe hands one direction of rc to Toxiproxy's pipeline. The link
// registers with the proxy's ToxicCollection, so it gets the toxics on now
// and every later change; it closes its destination when its source ends.
// The sockets go in unwrapped: a link asserts *net.TCPConn for reset_peer.
func (r *relay) pipe(rc *relayConn, dir stream.Direction) {
	src, dst := rc.ends(dir)
	r.proxy.Toxics.StartLink(r.api, rc.name+dir.String(), src, dst, dir)
}

// pin makes the proxy take the pipeline, for new connections and those
// running, before a toxic is added. Once it returns, no direct copy reads
// another byte: what they had read they write out, then hand their
// direction to the pipeline. It does not wait for those writes, which a
// peer that does not read could hold.
func (r *relay) pin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.toxic = true
	past := time.Unix(1, 0)
	for rc := range r.conns {
		if rc.piped {
			continue
		}
		rc.piped = true
		for dir := range rc.gates {
			rc.gates[dir].close()
		}
		if pinGatesClosed != nil {
			pinGatesClosed(rc)
		}
		// Wakes the copies waiting for data. An error means the socket
		// is closed: its copy ends by itself.
		_ = rc.client.SetReadDeadline(past)
		_ = rc.upstream.SetReadDeadline(past)
	}
}

// pinGatesClosed, when set by a test, runs in pin between closing a
// connection's gates and setting its read deadlines.
var pinGatesClosed func(*relayConn)

// unpin lets new connections go direct again, once the proxy has no toxic.
func (r *relay) unpin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.toxic = false
}

// prune forgets the piped connections Toxiproxy's links have closed, once
// the set has doubled since the last prune. Only settled ones are looked
// at: clearing the read deadline is what a link expects anyway (a direct
// copy being interrupted does not), and fails only on a closed socket.
// r.mu is held.
func (r *relay) prune() {
	if len(r.conns) < 2*r.pruned+64 {
		return
	}
	for rc := range r.conns {
		if rc.settled && rc.piped && (rc.client.SetReadDeadline(time.Time{}) != nil || rc.upstream.SetReadDeadline(time.Time{}) != nil) {
			rc.close()
			delete(r.conns, rc)
		}
	}
	r.pruned = len(r.conns)
}

// stop closes the listener and every connection, and waits for the accept
// loop and the direct copies. Toxiproxy's links end on the closed sockets.
func (r *relay) stop() {
	_ = r.ln.Close()
	r.cancel()
	r.mu.Lock()
	r.closed = true
	for rc := range r.conns {
		rc.close()
	}
	clear(r.conns)
	r.mu.Unlock()
	r.wg.Wait()
	r.proxy.Logger.Info().Msg("Terminated proxy")
}
