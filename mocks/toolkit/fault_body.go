package toolkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// bufferWriter holds the answer of the stages inside a fault so the fault
// can reshape it. Headers go straight to the real writer's map.
type bufferWriter struct {
	w      http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.w.Header() }

func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// capture runs next into a buffer and returns the answer's status and body.
func capture(x *Exchange, w http.ResponseWriter, next HandlerFunc) (int, []byte) {
	b := &bufferWriter{w: w}
	next(b, x)
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.status, b.body.Bytes()
}

// emit writes an answer with an honest Content-Length.
func emit(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// slowFault delays the headers, then trickles the body in chunks, flushing
// each.
type slowFault struct {
	delay, trickle time.Duration
	chunks         int
	label          string
}

func newSlowFault(p *faultParams) injector {
	f := &slowFault{}
	f.delay = p.duration("delay")
	f.trickle = p.duration("trickle")
	f.chunks = p.integer("chunks")
	if f.delay == 0 && f.trickle == 0 && len(p.errs) == 0 {
		p.problem("delay", "give delay or trickle (or both) a positive duration")
	}
	f.label = "slow " + f.delay.String()
	if f.trickle > 0 {
		f.label += " trickle " + f.trickle.String()
	}
	return f
}

func (f *slowFault) shape(w http.ResponseWriter, x *Exchange, next HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	status, body := capture(x, w, next)
	ctx := x.Request.Context()
	if !sleepCtx(ctx.Done(), f.delay) {
		return f.label
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_ = rc.Flush()
	if len(body) == 0 {
		return f.label
	}
	chunks := min(f.chunks, len(body))
	pause := f.trickle / time.Duration(chunks)
	for i := range chunks {
		if !sleepCtx(ctx.Done(), pause) {
			return f.label
		}
		from, to := len(body)*i/chunks, len(body)*(i+1)/chunks
		if _, err := w.Write(body[from:to]); err != nil {
			return f.label
		}
		_ = rc.Flush()
	}
	return f.label
}

// sleepCtx waits d unless done closes first; it reports whether d passed.
func sleepCtx(done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// truncatedFault sends part of a valid answer. framing says what the
// client sees:
//
//   - "length" (default): the full Content-Length, then the connection
//     closes early, as when a vendor's server dies mid-answer: the client
//     reads io.ErrUnexpectedEOF;
//   - "chunked": no Content-Length, chunks, then the connection drops
//     without the final chunk (as a proxy cut off mid-stream does): an
//     unexpected EOF too;
//   - "clean": a complete HTTP message whose Content-Length matches the
//     cut body, as a buggy gateway sends: only JSON decoding notices.
type truncatedFault struct {
	at      float64
	framing string
	label   string
}

func newTruncatedFault(p *faultParams) injector {
	f := &truncatedFault{}
	f.at = p.number("at")
	f.framing = p.str("framing")
	f.label = "truncated " + f.framing + " at " + strconv.FormatFloat(f.at*100, 'f', -1, 64) + "%"
	return f
}

func (f *truncatedFault) shape(w http.ResponseWriter, x *Exchange, next HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	status, body := capture(x, w, next)
	if len(body) < 2 {
		emit(w, status, body) // nothing to cut
		return ""
	}
	cut := max(1, min(len(body)-1, int(f.at*float64(len(body)))))
	switch f.framing {
	case "clean":
		emit(w, status, body[:cut])
	case "chunked":
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		w.Write(body[:cut])
		rc := http.NewResponseController(w)
		if err := rc.Flush(); err != nil {
			return f.label
		}
		conn, _, err := rc.Hijack()
		if err != nil {
			// HTTP/2, or a writer that cannot hand over its
			// connection: the handler ends early and the server
			// resets the stream, which the client sees as a cut too.
			return f.label
		}
		conn.Close()
	default:
		// Declaring the whole length and writing less makes net/http
		// close the connection once the handler returns.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body[:cut])
	}
	return f.label
}

// gatewayPage is what a misconfigured proxy answers in place of JSON.
const gatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// malformedFault sends, with the answer's status and JSON content type, a
// body that is not JSON. mode:
//
//   - "syntax" (default): the answer with a trailing comma before its last
//     closing bracket;
//   - "html": an nginx error page;
//   - "empty": no body at all;
//   - "nan": the answer with its first number replaced by NaN, as some
//     vendors' encoders write.
type malformedFault struct {
	mode  string
	label string
}

func newMalformedFault(p *faultParams) injector {
	f := &malformedFault{mode: p.str("mode")}
	f.label = "malformed " + f.mode
	return f
}

func (f *malformedFault) shape(w http.ResponseWriter, x *Exchange, next HandlerFunc, d draw) string {
	if !d.hit {
		return ""
	}
	status, body := capture(x, w, next)
	if x.Request.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified {
		emit(w, status, body) // no body allowed: nothing to break
		return ""
	}
	emit(w, status, malform(f.mode, body))
	return f.label
}

func malform(mode string, body []byte) []byte {
	switch mode {
	case "html":
		return []byte(gatewayPage)
	case "empty":
		return []byte{}
	case "nan":
		if out, ok := firstNumberToNaN(body); ok {
			return out
		}
	}
	trimmed := bytes.TrimRight(body, " \t\r\n")
	if n := len(trimmed); n > 0 && (trimmed[n-1] == '}' || trimmed[n-1] == ']') {
		out := make([]byte, 0, len(body)+1)
		out = append(out, trimmed[:n-1]...)
		out = append(out, ',')
		return append(out, trimmed[n-1:]...)
	}
	return append([]byte("{"), body...) // not an object or array: open one that never closes
}

// firstNumberToNaN replaces the first number token of a JSON document.
func firstNumberToNaN(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return nil, false
		}
		num, ok := tok.(json.Number)
		if !ok {
			continue
		}
		end := int(dec.InputOffset())
		start := end - len(num)
		if start < 0 || string(body[start:end]) != string(num) {
			return nil, false
		}
		out := make([]byte, 0, len(body))
		out = append(out, body[:start]...)
		out = append(out, "NaN"...)
		return append(out, body[end:]...), true
	}
}
