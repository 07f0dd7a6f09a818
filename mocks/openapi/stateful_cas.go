package openapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
)

// errPrecondition is a write whose If-Match names no tag the record has:
// 412, as HTTP says (RFC 9110, section 13.1.1).
var errPrecondition = errors.New("precondition failed")

// casCheck returns the condition of a write to a collection with a
// compare-and-set rule, nil when the write has none: the If-Match header,
// checked against the record's ETag, and the value the body expects the
// rule's field to hold (taken out of rec: it is not stored).
func casCheck(c store.Collection, x *exchange, rec store.Record) func(store.Record) error {
	if c.CAS == nil {
		return nil
	}
	expected, expects := c.CAS.Expected(rec)
	ifMatch := strings.TrimSpace(x.Request.Header.Get("If-Match"))
	if !expects && ifMatch == "" {
		return nil
	}
	return func(stored store.Record) error {
		if ifMatch != "" && !etagMatches(ifMatch, stored) {
			if stored == nil {
				return fmt.Errorf("If-Match %s: there is no record to match: %w", ifMatch, errPrecondition)
			}
			return fmt.Errorf("If-Match %s: the record's ETag is %s: %w", ifMatch, store.ETag(stored), errPrecondition)
		}
		if expects {
			return c.CAS.Check(expected)(stored)
		}
		return nil
	}
}

// etagMatches reads If-Match: "*" matches any record, else one of the
// listed tags must be the record's (strong comparison: a weak tag never
// matches).
func etagMatches(ifMatch string, stored store.Record) bool {
	if stored == nil {
		return false
	}
	if ifMatch == "*" {
		return true
	}
	tag := store.ETag(stored)
	for t := range strings.SplitSeq(ifMatch, ",") {
		if strings.TrimSpace(t) == tag {
			return true
		}
	}
	return false
}
