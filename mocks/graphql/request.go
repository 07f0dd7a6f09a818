package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"
)

// MaxRequestBody bounds the bytes of one request body the mock reads.
const MaxRequestBody = 4 << 20

// params is a GraphQL-over-HTTP request: the document, its variables and
// the operation to run.
type params struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// requestError is an HTTP request the mock cannot read as a GraphQL request:
// it answers with status and the message in the GraphQL error shape.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// readParams reads a GET with ?query= or a POST with a JSON or
// application/graphql body.
func readParams(r *http.Request, body []byte) (*params, error) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		p := &params{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" {
			if err := decodeJSON([]byte(v), &p.Variables); err != nil {
				return nil, badRequest("the variables parameter is not a JSON object: %v", err)
			}
		}
		if p.Query == "" {
			return nil, badRequest("no query: send ?query= on GET, or POST a JSON body {\"query\": ...}")
		}
		return p, nil
	case http.MethodPost:
	default:
		return nil, &requestError{status: http.StatusMethodNotAllowed, msg: "GraphQL requests are GET or POST"}
	}
	ct := r.Header.Get("Content-Type")
	mt := "application/json"
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, &requestError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("unreadable Content-Type %q", ct)}
		}
	}
	switch mt {
	case "application/graphql":
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, badRequest("empty application/graphql body")
		}
		if !utf8.Valid(body) {
			return nil, badRequest("the body is not valid UTF-8")
		}
		q := r.URL.Query()
		return &params{Query: string(body), OperationName: q.Get("operationName")}, nil
	case "application/json", "application/graphql-response+json":
	default:
		return nil, &requestError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type %s: send application/json or application/graphql", mt)}
	}
	if !utf8.Valid(body) {
		// Decoded as it is, every bad byte would become U+FFFD: the mock
		// would run and store other text than the client sent.
		return nil, badRequest("the body is not valid UTF-8; JSON must be UTF-8 (RFC 8259)")
	}
	var raw map[string]json.RawMessage
	if err := decodeJSON(body, &raw); err != nil {
		return nil, badRequest("the body is not a JSON object: %v", err)
	}
	p := &params{}
	for k, dst := range map[string]any{"query": &p.Query, "operationName": &p.OperationName, "variables": &p.Variables} {
		v, ok := raw[k]
		if !ok || string(v) == "null" {
			continue
		}
		if err := decodeJSON(v, dst); err != nil {
			return nil, badRequest("field %q of the body: %v", k, err)
		}
	}
	if p.Query == "" {
		return nil, badRequest("the body has no \"query\"")
	}
	return p, nil
}

// decodeJSON decodes one JSON value, numbers kept exact (json.Number).
func decodeJSON(b []byte, dst any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(dst); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}
