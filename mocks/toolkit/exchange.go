package toolkit

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Exchange is one request on its way through a mock: what stages see and
// may act on. Stages may set fields of Entry (Throttled, Fault,
// IdempotencyKey, Replayed...) to explain how they shaped the answer.
type Exchange struct {
	Request   *http.Request
	Body      []byte // the request body, read once
	Operation string // operationId, or "METHOD /template"
	Template  string // the contract's path template
	// Fields are a GraphQL request's root fields, which a fault's
	// operation may name as well as the operation itself.
	Fields     []string
	PathParams map[string]string // decoded values of the template's parameters
	Entry      *Entry            // the journal entry being built
	// Contract is what the mock kind's contract says of the operation,
	// set by the mock that routed the exchange; nil where there is no
	// contract (FaultSet.Handler in front of any handler).
	Contract Contract
}

// HandlerFunc answers an exchange.
type HandlerFunc func(w http.ResponseWriter, x *Exchange)

// Stage wraps the handler of the next stage, like HTTP middleware that knows
// the operation. Vendor behaviours (Auth, RateLimiter, Idempotency) and HTTP
// faults (FaultSet) are stages; a mock kind runs them in its order.
type Stage func(next HandlerFunc) HandlerFunc

// Contract is what stages may ask the mock kind about the operation an
// exchange is routed to: the auth stage checks its security requirements;
// the expired_credentials fault reads the API keys its schemes name and
// challenges as the mock does. The OpenAPI mock answers from its contract.
// Where Exchange.Contract is nil, stages do without, as their documentation
// says.
type Contract interface {
	// Security is the requirements the request's credentials must meet
	// (the operation's own, else the contract's top-level ones) and the
	// contract's security schemes, by name.
	Security() (openapi3.SecurityRequirements, map[string]*openapi3.SecurityScheme)
	// Challenge is the WWW-Authenticate header the mock sends when the
	// operation's credentials are missing.
	Challenge() string
}

// ResponseSchemas is the extra ability of a Contract whose answers have a
// JSON schema, checked by type assertion: the bad_data fault breaks an
// answer against it, and leaves answers alone without it.
type ResponseSchemas interface {
	// ResponseSchema is the JSON schema of the operation's answer with
	// status and content type, nil when the contract declares none.
	ResponseSchema(status int, contentType string) *openapi3.Schema
	// ValidateValue checks v against schema as the mock validates answers.
	ValidateValue(schema *openapi3.Schema, v any) []Violation
}

// CaptureWriter passes an answer through to its ResponseWriter and keeps a
// copy of it: stages that act on the answer of the next ones (idempotency
// keys store it, webhooks deliver what it created) write through one.
type CaptureWriter struct {
	http.ResponseWriter
	header http.Header
	status int
	body   []byte
}

// NewCaptureWriter returns a writer that captures what is written to w.
func NewCaptureWriter(w http.ResponseWriter) *CaptureWriter {
	return &CaptureWriter{ResponseWriter: w, header: http.Header{}}
}

// Answer is what was written: the status (0 when nothing was), the header
// as it was when the status was written, and the body.
func (c *CaptureWriter) Answer() (status int, header http.Header, body []byte) {
	return c.status, c.header, c.body
}

// WriteHeader passes the status through and keeps it, with the header.
func (c *CaptureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
		for k, v := range c.ResponseWriter.Header() {
			c.header[k] = v
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (flushing a
// slow answer, hijacking a cut one) through the capture.
func (c *CaptureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Flush passes a flush through.
func (c *CaptureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Write passes p through and keeps a copy.
func (c *CaptureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	c.body = append(c.body, p...)
	return c.ResponseWriter.Write(p)
}

// Is reports whether name names the exchange's operation: its operationId
// (or the journal's name of a GraphQL operation), "METHOD /template", or
// one of a GraphQL request's root fields.
func (x *Exchange) Is(name string) bool {
	if name == x.Operation || slices.Contains(x.Fields, name) {
		return true
	}
	return x.Request != nil && len(name) == len(x.Request.Method)+1+len(x.Template) &&
		strings.HasPrefix(name, x.Request.Method) && name[len(x.Request.Method)] == ' ' && name[len(x.Request.Method)+1:] == x.Template
}

type fieldsKey struct{}

// WithOperationNames tells FaultSet.Handler the operation a request runs,
// read by a handler in front that knows its protocol (a GraphQL request's
// root fields): faults may then name it.
func WithOperationNames(r *http.Request, operation string, fields []string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), fieldsKey{}, operationNames{operation, fields}))
}

type operationNames struct {
	operation string
	fields    []string
}
