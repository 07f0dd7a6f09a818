package mocks

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/mocks/internal/reqgen"
)

// SampleOp is one operation of an OpenAPI document (template, method, path
// item and operation), as SampleOps lists them; Name is its operationId or
// "METHOD /template".
type SampleOp = reqgen.Op

// Credential gives the credential SampleRequest sends for a security
// scheme: an API key, a token, or "user:password" for HTTP basic; ok false
// sends none.
type Credential = reqgen.Credential

// SampleOps lists the operations of doc, sorted by template then method.
func SampleOps(doc *openapi3.T) []SampleOp { return reqgen.Ops(doc) }

// SampleRequest builds a valid request for op against baseURL (scheme, host
// and base path): the request generator the mocks' corpus tests call every
// operation of real contracts with. Parameters and the body are generated
// from their schemas with seed; the operation's first security requirement
// gets the credentials cred gives.
func SampleRequest(doc *openapi3.T, baseURL string, op SampleOp, seed int64, cred Credential) (*http.Request, error) {
	return reqgen.BuildWith(doc, baseURL, op, seed, cred)
}
