package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// defect is a bug planted on purpose (LEDGERSYNC_DEFECT), one at a time.
// Each is made to fail one of firedrill's gates for its own reason, on the
// scenario that exercises it, while the rest of the service stays correct:
//
//	defect              scenario                  gate that fails (reason)
//	drop-on-error       ledger-outage.yaml        consistency: missing (and recovery: never caught up)
//	random-entry-id     ledger-outage.yaml        consistency exactly-once: duplicated (and recovery)
//	amount-major        baseline.yaml             consistency: mismatched (amount)
//	no-backoff          ledger-outage.yaml        retries back off: intervals do not grow
//	ignore-retry-after  ledger-rate-limited.yaml  Retry-After honoured: requests came sooner
//	no-breaker          ledger-outage.yaml        breaker opens: kept calling the failing system
//	stuck-dead-letters  ledger-outage.yaml        probe "no dead letters": body.count == 0 is false
//	invalid-request     baseline.yaml             requests conform to the contracts
//	slow-webhook        baseline.yaml             load: p99 of the webhook answer
type defect string

// The defects.
const (
	defectNone             defect = ""
	defectDropOnError      defect = "drop-on-error"      // a payment that cannot be booked is dropped, not parked
	defectRandomEntryID    defect = "random-entry-id"    // each write gets a new entry id: a retried write books twice
	defectAmountMajor      defect = "amount-major"       // amount_minor carries major units (49 for 49.90)
	defectNoBackoff        defect = "no-backoff"         // retries at once
	defectIgnoreRetryAfter defect = "ignore-retry-after" // retries on its own schedule after a 429
	defectNoBreaker        defect = "no-breaker"         // keeps calling a vendor that keeps failing
	defectStuckDeadLetters defect = "stuck-dead-letters" // a redriven payment stays listed as dead
	defectInvalidRequest   defect = "invalid-request"    // every fourth entry write omits booked_at
	defectSlowWebhook      defect = "slow-webhook"       // the webhook handler works 400 ms before answering
)

var defects = []defect{
	defectDropOnError, defectRandomEntryID, defectAmountMajor, defectNoBackoff, defectIgnoreRetryAfter,
	defectNoBreaker, defectStuckDeadLetters, defectInvalidRequest, defectSlowWebhook,
}

// slowWebhookDelay is how long the slow-webhook handler dawdles.
const slowWebhookDelay = 400 * time.Millisecond

func parseDefect(s string) (defect, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return defectNone, nil
	}
	if d := defect(s); slices.Contains(defects, d) {
		return d, nil
	}
	names := make([]string, len(defects))
	for i, d := range defects {
		names[i] = string(d)
	}
	return defectNone, fmt.Errorf("%q is not a defect; known: none, %s", s, strings.Join(names, ", "))
}

// apply turns the configured defect into the settings it changes: the
// policy's for the resilience defects, the handler's delay for
// slow-webhook. The other defects are read where they act.
func (c *config) apply() {
	switch c.Defect {
	case defectNoBackoff:
		c.Policy.BackoffBase = 0
	case defectIgnoreRetryAfter:
		c.Policy.HonorRetryAfter = false
	case defectNoBreaker:
		c.Policy.BreakerThreshold = 0
	case defectSlowWebhook:
		c.WebhookDelay = slowWebhookDelay
	}
}
