package toolkit

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// A request with both Content-Length and Transfer-Encoding is ambiguous
// (RFC 9112 section 6.3): net/http follows Transfer-Encoding and drops
// Content-Length before a handler sees the request, so a client that sent
// a Content-Length body waits for an answer while the server waits for a
// chunk that never comes. The server's listener watches the framing of the
// requests on each connection instead: the first such request and every
// one after it on the connection get 400, the connection is closed, and
// nothing past that request's header is read.

// errAmbiguousFraming ends the reading of a connection after a request
// with both Content-Length and Transfer-Encoding.
var errAmbiguousFraming = errors.New("mocks: request with both Content-Length and Transfer-Encoding")

// Listener returns ln watching the framing of the requests it carries, for
// HTTPServer's handler.
func (l ServerLimits) Listener(ln net.Listener) net.Listener { return watchListener{ln} }

type watchListener struct{ net.Listener }

func (w watchListener) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, f: framing{first: true}}, nil
}

// watchedConn follows the HTTP/1 framing of the requests read from it: the
// heads, the bodies by Content-Length, the chunks. It stops following when
// it cannot (net/http then refuses the request and closes anyway).
type watchedConn struct {
	net.Conn
	mu    sync.Mutex
	f     framing
	bad   atomic.Int64 // the first ambiguous request, counted from 1; 0 none
	ended bool         // nothing more is read
}

func (c *watchedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return 0, errAmbiguousFraming
	}
	n, err := c.Conn.Read(p)
	if n > 0 && !c.f.lost {
		if cut, bad := c.f.scan(p[:n]); bad != 0 {
			c.bad.Store(int64(bad))
			c.ended = true
			return cut, nil
		}
	}
	return n, err
}

// framing is the state of a connection's request stream.
type framing struct {
	state  int    // one of the states below
	line   []byte // the start of the line being read
	lineN  int    // its length so far
	skip   int64  // bytes of body or chunk still to pass
	heads  int    // requests whose head was read, those net/http hands on
	first  bool   // a request line is next
	own    bool   // the head is OPTIONS *, which net/http answers itself
	cl, te bool   // the head has Content-Length, Transfer-Encoding
	length int64
	lost   bool
}

const (
	inHead = iota
	inBody
	inChunkSize
	inChunk
	inChunkEnd
	inTrailer
)

// lineStart is how much of a line the framing keeps: enough for a header
// name and a chunk size.
const lineStart = 64

// scan follows b; when it completes an ambiguous head it returns where
// that head ends in b and the request's number on the connection.
func (f *framing) scan(b []byte) (int, int) {
	for i := 0; i < len(b) && !f.lost; {
		if f.state == inBody || f.state == inChunk {
			n := min(int64(len(b)-i), f.skip)
			f.skip -= n
			i += int(n)
			if f.skip == 0 && f.state == inBody {
				f.state, f.first = inHead, true
			} else if f.skip == 0 {
				f.state = inChunkEnd
			}
			continue
		}
		nl := bytes.IndexByte(b[i:], '\n')
		part := b[i:]
		if nl >= 0 {
			part = b[i : i+nl]
		}
		if room := lineStart - len(f.line); room > 0 {
			f.line = append(f.line, part[:min(room, len(part))]...)
		}
		f.lineN += len(part)
		if nl < 0 {
			return 0, 0
		}
		i += nl + 1
		line := bytes.TrimSuffix(f.line, []byte("\r"))
		empty := f.lineN == 0 || (f.lineN == 1 && len(line) == 0)
		f.line, f.lineN = f.line[:0], 0
		if f.endLine(line, empty) {
			return i, f.heads
		}
	}
	return 0, 0
}

// endLine takes one line in; it reports an ambiguous head completed.
func (f *framing) endLine(line []byte, empty bool) bool {
	switch f.state {
	case inHead:
		return f.headLine(line, empty)
	case inChunkSize:
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		switch {
		case err != nil || n < 0:
			f.lost = true
		case n == 0:
			f.state = inTrailer
		default:
			f.state, f.skip = inChunk, n
		}
	case inChunkEnd:
		f.state = inChunkSize
		f.lost = !empty
	case inTrailer:
		if empty {
			f.state, f.first = inHead, true
		}
	}
	return false
}

func (f *framing) headLine(line []byte, empty bool) bool {
	if f.first {
		if empty {
			return false // an empty line before a request line is allowed
		}
		f.first, f.cl, f.te, f.length = false, false, false, 0
		f.own = bytes.HasPrefix(line, []byte("OPTIONS * "))
		return false
	}
	if !empty {
		name, value, _ := bytes.Cut(line, []byte(":"))
		switch {
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")):
			n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			f.cl, f.length, f.lost = true, n, err != nil || n < 0 || f.lost
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Transfer-Encoding")):
			f.te = true
		}
		return false
	}
	if !f.own {
		f.heads++
	}
	f.first = true
	switch {
	case f.cl && f.te:
		return true
	case f.te:
		f.state, f.first = inChunkSize, false
	case f.length > 0:
		f.state, f.skip, f.first = inBody, f.length, false
	}
	return false
}

// connWatch is what a request's context knows of its connection.
type connWatch struct {
	c      *watchedConn
	served atomic.Int64 // requests handed to the handler on the connection
}

type connWatchKey struct{}

// watchedConnContext is HTTPServer's ConnContext: it hands the watched
// connection to the handler.
func watchedConnContext(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*watchedConn); ok {
		return context.WithValue(ctx, connWatchKey{}, &connWatch{c: wc})
	}
	return ctx
}

// handler puts the framing check in front of h.
func (l ServerLimits) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cw, ok := r.Context().Value(connWatchKey{}).(*connWatch); ok {
			n := cw.served.Add(1)
			if bad := cw.c.bad.Load(); bad != 0 && n >= bad {
				w.Header().Set("Connection", "close")
				WriteProblem(w, http.StatusBadRequest, Problem{Title: "Ambiguous request framing", Violations: []Violation{{In: "header", Name: "Transfer-Encoding",
					Message: "the request has both Content-Length and Transfer-Encoding (RFC 9112, section 6.3); send one of them"}}})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
