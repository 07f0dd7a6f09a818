package toolkit

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// FaultParamType says how the text of a fault parameter is read.
type FaultParamType string

// The types of fault parameter.
const (
	// FaultParamInteger is a whole number: "503".
	FaultParamInteger FaultParamType = "integer"
	// FaultParamNumber is a decimal number: "0.25".
	FaultParamNumber FaultParamType = "number"
	// FaultParamDuration is a Go duration ("1.5s", "200ms") or whole
	// seconds ("2").
	FaultParamDuration FaultParamType = "duration"
	// FaultParamText is text: any, or one of the parameter's Values.
	FaultParamText FaultParamType = "text"
)

// FaultParamSpec describes one parameter of a mock fault. It is what the
// fault's builder reads (default, range, values) and what every piece of
// documentation shows, so the two cannot disagree.
type FaultParamSpec struct {
	Name string         `json:"name"`
	Type FaultParamType `json:"type"`
	// Default is the value, as written, taken when the parameter is left
	// out; "" for a text parameter means empty (its Doc says what that
	// does).
	Default  string `json:"default,omitempty"`
	Required bool   `json:"required,omitempty"`
	// Min and Max bound an integer, a number or a duration, written as
	// values are; the Exclusive flags leave the bound itself out.
	Min          string `json:"min,omitempty"`
	Max          string `json:"max,omitempty"`
	MinExclusive bool   `json:"min_exclusive,omitempty"`
	MaxExclusive bool   `json:"max_exclusive,omitempty"`
	// Values are the values a text parameter takes; empty means any text.
	Values []string `json:"values,omitempty"`
	// Example is a value the parameter takes, for documentation.
	Example string `json:"example"`
	Doc     string `json:"doc"`
}

// Range describes the values the parameter takes: an interval such as
// "[400, 599]" or "(0, 1]", the values joined by " | ", or "" for any text.
func (p FaultParamSpec) Range() string {
	if len(p.Values) > 0 {
		return strings.Join(p.Values, " | ")
	}
	if p.Min == "" && p.Max == "" {
		return ""
	}
	open, closing := "[", "]"
	if p.MinExclusive {
		open = "("
	}
	if p.MaxExclusive {
		closing = ")"
	}
	return open + p.Min + ", " + p.Max + closing
}

// Summary says in a few words what the parameter takes: its type, range or
// values, and default ("integer in [400, 599], default 503").
func (p FaultParamSpec) Summary() string {
	var b strings.Builder
	switch {
	case len(p.Values) > 0:
		b.WriteString("one of " + p.Range())
	case p.Range() != "":
		b.WriteString(string(p.Type) + " in " + p.Range())
	default:
		b.WriteString(string(p.Type))
	}
	switch {
	case p.Required:
		b.WriteString(", required")
	case p.Default != "":
		b.WriteString(", default " + p.Default)
	}
	return b.String()
}

// FaultKindSpec describes one kind of mock fault: what it does and the
// parameters of its own (beside FaultCommonParams, which every kind takes).
type FaultKindSpec struct {
	Kind   string           `json:"kind"`
	Doc    string           `json:"doc"`
	Params []FaultParamSpec `json:"params"`
	// build makes the injector, reading the parameters through p.
	build func(p *faultParams) injector
}

// Param returns the kind's parameter named name.
func (k FaultKindSpec) Param(name string) (FaultParamSpec, bool) {
	for _, p := range k.Params {
		if p.Name == name {
			return p, true
		}
	}
	return FaultParamSpec{}, false
}

// The parameters every fault kind takes: they fill the fields of HTTPFault
// of the same name (see NewHTTPFault).
const (
	FaultParamRate      = "rate"
	FaultParamOperation = "operation"
	FaultParamID        = "id"
)

// maxFaultDuration bounds the delays a fault may add: every load is
// bounded in time, and so is every answer.
const maxFaultDuration = "10m"

// faultCommonParams are the parameters every kind takes.
var faultCommonParams = []FaultParamSpec{
	{Name: FaultParamRate, Type: FaultParamNumber, Default: "1", Min: "0", MinExclusive: true, Max: "1", Example: "0.1",
		Doc: "share of the requests hit, exactly so over every 100 requests, at seeded places"},
	{Name: FaultParamOperation, Type: FaultParamText, Example: "createInvoice",
		Doc: `only this operation, checked against the contract: its operationId or "METHOD /template", or a GraphQL root field; empty: every operation`},
	{Name: FaultParamID, Type: FaultParamText, Example: "outage",
		Doc: "names the fault for the admin API and the journal; empty: <kind>-<n>"},
}

// faultKinds is the one registry of mock faults: each kind, its parameters
// and the builder of its injector. Adding a fault is adding an entry here;
// the builder reads only the parameters its entry declares, and the
// documentation (firedrill chaos faults, the JSON Schema, the README) is
// made from the entries.
var faultKinds = map[string]FaultKindSpec{
	FaultStatus: {Kind: FaultStatus, build: newStatusFault,
		Doc: "answer an error status instead of the operation, with an application/problem+json body",
		Params: []FaultParamSpec{
			{Name: "status", Type: FaultParamInteger, Default: "503", Min: "400", Max: "599", Example: "502",
				Doc: "the status answered"},
			{Name: "retry_after", Type: FaultParamDuration, Default: "0s", Min: "0s", Max: maxFaultDuration, Example: "2s",
				Doc: "sends Retry-After (whole seconds, rounded up); 0 sends none"},
		}},
	FaultRateLimited: {Kind: FaultRateLimited, build: newRateLimitedFault,
		Doc: "answer 429 as a vendor's rate limiter does, with Retry-After and X-RateLimit-* headers",
		Params: []FaultParamSpec{
			{Name: "retry_after", Type: FaultParamDuration, Default: "1s", Min: "0s", MinExclusive: true, Max: maxFaultDuration, Example: "30s",
				Doc: "the wait the 429 asks for (Retry-After, whole seconds rounded up)"},
			{Name: "limit", Type: FaultParamInteger, Default: "100", Min: "1", Max: "1073741824", Example: "40",
				Doc: "the value of the limit header"},
			{Name: "remaining", Type: FaultParamInteger, Default: "0", Min: "0", Max: "1073741824", Example: "0",
				Doc: "the value of the remaining header"},
			{Name: "reset", Type: FaultParamText, Default: "delta", Values: []string{"delta", "epoch"}, Example: "epoch",
				Doc: "the reset header: seconds to wait (delta) or the Unix time to come back (epoch)"},
			{Name: "limit_header", Type: FaultParamText, Default: DefaultRateLimitLimitHeader, Example: "X-Shopify-Shop-Api-Call-Limit",
				Doc: "the name of the limit header; empty sends none"},
			{Name: "remaining_header", Type: FaultParamText, Default: DefaultRateLimitRemainingHeader, Example: "X-HubSpot-RateLimit-Remaining",
				Doc: "the name of the remaining header; empty sends none"},
			{Name: "reset_header", Type: FaultParamText, Default: DefaultRateLimitResetHeader, Example: "X-Rate-Limit-Reset",
				Doc: "the name of the reset header; empty sends none"},
		}},
	FaultSlow: {Kind: FaultSlow, build: newSlowFault,
		Doc: "delay the answer's headers, then trickle its body in chunks; give delay, trickle or both",
		Params: []FaultParamSpec{
			{Name: "delay", Type: FaultParamDuration, Default: "0s", Min: "0s", Max: maxFaultDuration, Example: "3s",
				Doc: "wait before the headers"},
			{Name: "trickle", Type: FaultParamDuration, Default: "0s", Min: "0s", Max: maxFaultDuration, Example: "5s",
				Doc: "time spread over the body's chunks"},
			{Name: "chunks", Type: FaultParamInteger, Default: "10", Min: "1", Max: "10000", Example: "20",
				Doc: "pieces the body is sent in, each flushed"},
		}},
	FaultTruncated: {Kind: FaultTruncated, build: newTruncatedFault,
		Doc: "cut a valid answer mid-body",
		Params: []FaultParamSpec{
			{Name: "at", Type: FaultParamNumber, Default: "0.5", Min: "0", MinExclusive: true, Max: "1", MaxExclusive: true, Example: "0.25",
				Doc: "share of the body sent before the cut"},
			{Name: "framing", Type: FaultParamText, Default: "length", Values: []string{"length", "chunked", "clean"}, Example: "chunked",
				Doc: "the full Content-Length then a closed connection (length), chunks without the last (chunked), or a complete message whose body is cut (clean)"},
		}},
	FaultMalformed: {Kind: FaultMalformed, build: newMalformedFault,
		Doc: "send, with the answer's status and JSON content type, a body that is not JSON",
		Params: []FaultParamSpec{
			{Name: "mode", Type: FaultParamText, Default: "syntax", Values: []string{"syntax", "html", "empty", "nan"}, Example: "html",
				Doc: "a trailing comma (syntax), an nginx error page (html), no body (empty), or the first number as NaN (nan)"},
		}},
	FaultBadData: {Kind: FaultBadData, build: newBadDataFault,
		Doc: "break the response schema in a valid JSON answer, one field per request; an answer with nothing to break is sent unchanged",
		Params: []FaultParamSpec{
			{Name: "mode", Type: FaultParamText, Default: "any", Values: []string{"any", "missing", "type", "null"}, Example: "missing",
				Doc: "a required field left out (missing), of the wrong type (type), null where not allowed (null), or one of those per request (any)"},
		}},
	FaultExpiredCredentials: {Kind: FaultExpiredCredentials, build: newExpiredCredentialsFault,
		Doc: "answer 401 with WWW-Authenticate to a credential the rate picks, and to every later request with it, until the client authenticates again",
		Params: []FaultParamSpec{
			{Name: "challenge", Type: FaultParamText, Example: `Bearer realm="accounting"`,
				Doc: `the WWW-Authenticate challenge; empty: the contract's security scheme's (Bearer realm="firedrill" without one)`},
			{Name: "max_credentials", Type: FaultParamInteger, Default: strconv.Itoa(DefaultMaxCredentials), Min: "1", Max: "10000000", Example: "1000",
				Doc: "credentials remembered; beyond, the oldest are forgotten"},
		}},
}

// FaultCatalogue returns every kind of mock fault with its parameters,
// sorted by kind.
func FaultCatalogue() []FaultKindSpec {
	out := make([]FaultKindSpec, 0, len(faultKinds))
	for _, k := range slices.Sorted(maps.Keys(faultKinds)) {
		s := faultKinds[k]
		s.Params = cloneParamSpecs(s.Params)
		out = append(out, s)
	}
	return out
}

// FaultCommonParams returns the parameters every kind of mock fault takes:
// rate, operation and id.
func FaultCommonParams() []FaultParamSpec {
	return cloneParamSpecs(faultCommonParams)
}

func cloneParamSpecs(ps []FaultParamSpec) []FaultParamSpec {
	out := slices.Clone(ps)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
	}
	return out
}

// FaultKinds lists the kinds of mock fault, sorted.
func FaultKinds() []string {
	return slices.Sorted(maps.Keys(faultKinds))
}
