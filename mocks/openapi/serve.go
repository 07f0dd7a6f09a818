package openapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// ServeHTTP answers one request: admin API, routing, the stages, validation
// and the answer, journaled. A panic (a bug of the mock, never the client's
// doing) becomes a 500 that is logged and journaled.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, f := range m.front {
		if f.match(r.URL.Path) {
			f.h.ServeHTTP(w, r)
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, toolkit.AdminPrefix) {
		m.admin(w, r)
		return
	}
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	e := &toolkit.Entry{
		System:    m.name,
		Time:      start,
		Direction: "inbound",
		Client:    r.RemoteAddr,
		Method:    r.Method,
		Path:      r.URL.Path,
		Query:     m.secrets.MaskQuery(r.URL.RawQuery),
		Header:    m.secrets.MaskHeader(r.Header),
	}
	defer func() {
		if p := recover(); p != nil {
			m.logger.Error("mock: panic answering a request", "mock", m.name, "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			e.Error = fmt.Sprintf("panic: %v", p)
			if !rec.wroteHeader {
				toolkit.WriteProblem(rec, http.StatusInternalServerError, toolkit.Problem{Title: "The mock failed", Detail: "an internal error of firedrill; it is logged and journaled"})
			}
		}
		e.Duration = time.Since(start)
		e.Status = rec.status
		e.ResponseHeader = rec.header
		e.ResponseBody = rec.body
		m.journal.Record(*e)
	}()
	m.serve(rec, r, e)
}

func (m *Mock) serve(w http.ResponseWriter, r *http.Request, e *toolkit.Entry) {
	if r.Body == nil {
		r.Body = http.NoBody // client-side requests handed straight to the handler
	}
	var body []byte
	var err error
	if r.Body != http.NoBody { // most GETs: nothing to read, nothing to allocate
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, m.maxBody))
	}
	e.Body = m.secrets.MaskBody(r.Header.Get("Content-Type"), body) // a copy when masked: body is the request's
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			m.refuse(w, e, http.StatusRequestEntityTooLarge, "Request body too large", []toolkit.Violation{{In: contracts.InBody, Message: fmt.Sprintf("the body exceeds %d bytes", m.maxBody)}})
			return
		}
		m.refuse(w, e, http.StatusBadRequest, "Request body unreadable", []toolkit.Violation{{In: contracts.InBody, Message: err.Error()}})
		return
	}
	escaped, ok := m.stripBase(r.URL.EscapedPath())
	if !ok {
		m.refuse(w, e, http.StatusNotFound, "No such operation", []toolkit.Violation{{In: "route", Message: fmt.Sprintf("%s is not under the base path %s", r.URL.Path, m.basePath)}})
		return
	}
	op, params, allow, found := m.find(escaped, r.Method)
	if !found {
		m.refuse(w, e, http.StatusNotFound, "No such operation", []toolkit.Violation{{In: "route", Message: fmt.Sprintf("no path of the contract matches %s", r.URL.Path)}})
		return
	}
	if op == nil {
		w.Header().Set("Allow", allow)
		m.refuse(w, e, http.StatusMethodNotAllowed, "Method not allowed", []toolkit.Violation{{In: "method", Name: r.Method, Message: "the path allows " + allow}})
		return
	}
	e.Operation, e.Template = op.id, op.template
	x := &exchange{m: m, op: op}
	x.Exchange = toolkit.Exchange{Request: r, Body: body, Operation: op.id, Template: op.template, PathParams: params, Entry: e, Contract: x}
	m.chain(w, &x.Exchange)
	if !x.validated {
		// A stage answered before validation (a replay, a throttle, a
		// fault): the request is still judged against the contract for the
		// journal, so the conformance gate never counts it blindly.
		m.judge(x)
	}
}

// stripBase removes the base path from an escaped request path.
func (m *Mock) stripBase(p string) (string, bool) {
	if m.basePath == "" {
		return p, true
	}
	rest, ok := strings.CutPrefix(p, m.basePath)
	if !ok || (rest != "" && rest[0] != '/') {
		return "", false
	}
	return rest, true
}

// answer is the innermost handler: validate, then answer from state or from
// the contract.
func (m *Mock) answer(w http.ResponseWriter, tx *toolkit.Exchange) {
	x := served(tx)
	if vs := m.judge(x); len(vs) > 0 {
		m.refuseInvalid(w, x, vs)
		return
	}
	if m.state != nil && m.state.handles(w, x) {
		return
	}
	m.respond(w, x)
}

// judge validates the request of x against the contract once and records
// the outcome in its journal entry.
func (m *Mock) judge(x *exchange) []toolkit.Violation {
	r := x.Request
	vs := m.validator.ValidateRequest(r.Context(), r, x.Body, m.contractRoute(x))
	if v, bad := notUTF8JSON(r, x.Body); bad {
		vs = append(vs, v)
	}
	x.validated = true
	x.Entry.Valid = len(vs) == 0
	x.Entry.Violations = vs
	return vs
}

// notUTF8JSON reports a JSON body that is not UTF-8, as RFC 8259 requires
// JSON exchanged between systems to be: decoded as it is, every bad byte
// would become U+FFFD and the mock would store and answer other text than
// the client sent.
func notUTF8JSON(r *http.Request, body []byte) (toolkit.Violation, bool) {
	if len(body) == 0 || utf8.Valid(body) {
		return toolkit.Violation{}, false
	}
	mt, _, _ := strings.Cut(strings.ToLower(r.Header.Get("Content-Type")), ";")
	mt = strings.TrimSpace(mt)
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return toolkit.Violation{}, false
	}
	at := len(body)
	for i := 0; i < len(body); {
		c, n := utf8.DecodeRune(body[i:])
		if c == utf8.RuneError && n == 1 {
			at = i
			break
		}
		i += n
	}
	return toolkit.Violation{In: contracts.InBody, Message: fmt.Sprintf("the JSON body is not valid UTF-8 (byte %d); JSON must be UTF-8 (RFC 8259)", at)}, true
}

func (m *Mock) contractRoute(x *exchange) contracts.Route {
	return contracts.Route{Path: x.op.template, Method: x.op.method, PathItem: x.op.item, Operation: x.op.op, PathParams: x.PathParams}
}

// refuseInvalid answers a request that breaks the contract: 401 when the
// credentials are missing, 415 for an undeclared content type, 400 otherwise;
// every violation is listed.
func (m *Mock) refuseInvalid(w http.ResponseWriter, x *exchange, vs []toolkit.Violation) {
	status, title := http.StatusBadRequest, "Request does not match the contract"
	for _, v := range vs {
		if v.In == contracts.InSecurity {
			status, title = http.StatusUnauthorized, "Credentials missing"
			w.Header().Set("WWW-Authenticate", m.challenge(x.op))
			break
		}
	}
	if status == http.StatusBadRequest && len(vs) == 1 && vs[0].In == contracts.InHeader && vs[0].Name == "Content-Type" {
		status, title = http.StatusUnsupportedMediaType, "Unsupported content type"
	}
	m.refuse(w, x.Entry, status, title, vs)
}

// refuse writes a problem and journals the violations.
func (m *Mock) refuse(w http.ResponseWriter, e *toolkit.Entry, status int, title string, vs []toolkit.Violation) {
	e.Violations = vs
	e.Valid = false
	toolkit.WriteProblem(w, status, toolkit.Problem{Title: title, Operation: e.Operation, Violations: vs})
}

// challenge builds WWW-Authenticate from the operation's security schemes.
func (m *Mock) challenge(op *operation) string {
	reqs := op.op.Security
	if reqs == nil {
		reqs = &m.contract.Doc.Security
	}
	var schemes []string
	seen := map[string]bool{}
	for _, req := range *reqs {
		for name := range req {
			s := m.schemes[name]
			if s == nil {
				continue
			}
			c := `Bearer realm="` + m.name + `"`
			switch {
			case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
				c = `Basic realm="` + m.name + `"`
			case s.Type == "apiKey":
				c = `ApiKey realm="` + m.name + `", in="` + s.In + `", name="` + s.Name + `"`
			}
			if !seen[c] {
				seen[c] = true
				schemes = append(schemes, c)
			}
		}
	}
	if len(schemes) == 0 {
		return `Bearer realm="` + m.name + `"`
	}
	return strings.Join(schemes, ", ")
}

// recorder keeps what the journal needs of an answer.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	header      http.Header
	body        []byte
}

func (r *recorder) WriteHeader(status int) {
	if r.wroteHeader {
		return
	}
	r.wroteHeader = true
	r.status = status
	// Not a copy: once written, the header map is no longer changed by
	// net/http or by the stages, and it is fresh for every request.
	r.header = r.ResponseWriter.Header()
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	if room := toolkit.MaxJournalBody - len(r.body); room > 0 {
		r.body = append(r.body, p[:min(room, len(p))]...)
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush sends what is buffered: faults that trickle a body need it.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if !r.wroteHeader {
			r.WriteHeader(http.StatusOK)
		}
		f.Flush()
	}
}
