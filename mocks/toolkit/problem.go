package toolkit

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/firedrill/firedrill/contracts"
)

// Violation is one way a request breaks its contract, and where.
type Violation = contracts.Violation

// ProblemContentType is the media type of every refusal (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document: the body of every refusal of a
// mock, listing every violation.
type Problem struct {
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Status     int         `json:"status"`
	Detail     string      `json:"detail,omitempty"`
	Operation  string      `json:"operation,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
}

// WriteProblem answers with p as application/problem+json and status: the
// one way a mock of either kind, or a behaviour in front of it, refuses.
// Without a Type it is "about:blank"; without a Detail, the violation when
// there is one, else how many there are.
func WriteProblem(w http.ResponseWriter, status int, p Problem) {
	p.Status = status
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Detail == "" && len(p.Violations) > 0 {
		p.Detail = fmt.Sprintf("%d violation(s) of the contract", len(p.Violations))
		if len(p.Violations) == 1 {
			p.Detail = p.Violations[0].String()
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		body = []byte(`{"title":"unencodable problem","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}
