package store

import (
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// upsertWords are how contracts say a PUT creates what is absent: "Create
// or update a contact", "Creates or replaces an object", "Upsert rate
// limit", "Insert or update".
var upsertWords = regexp.MustCompile(`(?i)\bupserts?\b|\b(create|creates|creating|insert|inserts)\b[\w\s,'-]{0,40}?\bor\s+(update|updates|updating|replace|replaces|replacing)\b`)

// putCreates reports whether a PUT on an item path creates the record when
// it is absent (an upsert keyed by the path): the operation declares a 201
// answer, or its summary, description or operationId says it creates or
// updates (HubSpot's PUT /contacts/{email}, object stores, Twilio's "Upsert
// rate limit").
func putCreates(op *openapi3.Operation) bool {
	if op == nil {
		return false
	}
	if op.Responses != nil && op.Responses.Value("201") != nil {
		return true
	}
	id := norm(op.OperationID)
	for _, w := range []string{"upsert", "createorupdate", "createorreplace", "insertorupdate"} {
		if strings.Contains(id, w) {
			return true
		}
	}
	return upsertWords.MatchString(op.Summary) || upsertWords.MatchString(op.Description)
}
