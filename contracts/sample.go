package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"sync"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
)

// Direction says which way a sample travels, which decides the properties it
// carries: a Response leaves out writeOnly properties, a Request leaves out
// readOnly ones. The zero value is Response.
type Direction int

// The directions a sample can travel.
const (
	Response Direction = iota // from the server: no writeOnly properties
	Request                   // to the server: no readOnly properties
)

// String names the direction.
func (d Direction) String() string {
	if d == Request {
		return "request"
	}
	return "response"
}

// DefaultMaxDepth is the nesting depth Sample stops at when SampleOptions.MaxDepth
// is 0. Beyond it optional properties are left out and required ones get the
// smallest valid value, which is how reference cycles end.
const DefaultMaxDepth = 6

// DefaultSampleBudget is how many values one Sample call generates before it
// switches to the smallest valid value everywhere, so that wide schemas (a
// Stripe object has dozens of expandable sub-objects) still answer small.
const DefaultSampleBudget = 600

// hardDepthMargin is how far past MaxDepth a chain of required properties may
// go before Sample gives up on validity and closes the value with an empty
// object or array: a cycle of required properties has no finite valid value.
const hardDepthMargin = 8

// maxGenerated bounds the items, properties and string length Sample
// generates for one value, whatever minItems, minProperties or minLength ask.
const maxGenerated = 4096

// maxSteps bounds the values one Sample call may visit past its budget, so
// that nested oneOf lists cannot take exponential time.
const maxSteps = 20000

// maxOptional bounds how many optional properties an object gets, which keeps
// objects small when a schema lists dozens of them.
const maxOptional = 12

// SampleOptions tunes Sample. The zero value is valid: seed 0, a response,
// DefaultMaxDepth, no name hint.
type SampleOptions struct {
	Seed      int64     // the same seed gives the same value
	Direction Direction // Response (default) or Request
	MaxDepth  int       // nesting depth to stop at; 0 means DefaultMaxDepth
	Name      string    // the property or parameter name: a hint for realistic values
	// RequiredOnly leaves out the optional properties of every object that
	// lists required ones: the smallest value the contract accepts, as a
	// person would write it (a starter scenario's request body). An object
	// that requires nothing still gets its optional properties.
	RequiredOnly bool
}

// Sample returns a value valid against s, generated for the given options.
//
// It is pure: the same schema and options give the same value, on every run
// and in every goroutine. The value is JSON-shaped: map[string]any, []any,
// string, bool, nil, float64 for numbers and int64 for integers (so an integer
// marshals as an integer), ready for json.Marshal. Inside a value copied from
// the contract's own example, numbers stay float64 as encoding/json decodes
// them (whole ones still marshal as integers).
//
// The schema's own example (or default) is used when it validates against the
// schema; real contracts hold many examples that do not, and those are
// ignored. A pattern Go's regexp cannot compile is followed without its
// look-around groups, and not checked. Reference cycles end at MaxDepth;
// optional properties that would re-enter an object being generated, or
// whose value cannot be valid, are left out. A nil schema gives nil.
func Sample(s *openapi3.Schema, opts SampleOptions) any {
	if s == nil {
		return nil
	}
	g := newSampler(opts)
	return g.value(s, opts.Name, g.root, 0)
}

// sampler is the state of one Sample call; it is never shared.
type sampler struct {
	dir      Direction
	maxDepth int
	budget   int
	root     uint64
	merged   map[*openapi3.Schema]*openapi3.Schema
	patterns map[string]*patternCache
	visit    []openapi3.SchemaValidationOption
	// bad records that a value known not to validate was produced (an enum
	// none of whose values fit the schema, a oneOf no branch satisfied), so
	// that an optional property holding it can be left out.
	bad bool
	// path holds the object schemas being generated, outermost first, so an
	// optional property leading back into one of them (a reference cycle)
	// can be left out.
	path []*openapi3.Schema
	// required is SampleOptions.RequiredOnly.
	required bool
}

func newSampler(opts SampleOptions) *sampler {
	g := &sampler{
		dir:      opts.Direction,
		maxDepth: opts.MaxDepth,
		budget:   DefaultSampleBudget,
		root:     mixSeed(uint64(opts.Seed), 0x9e3779b97f4a7c15),
		merged:   map[*openapi3.Schema]*openapi3.Schema{},
		required: opts.RequiredOnly,
	}
	if g.maxDepth <= 0 {
		g.maxDepth = DefaultMaxDepth
	}
	g.visit = []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.FailFast()}
	if g.dir == Request {
		// A request goes to a server that checks formats as the Validator
		// does: a vendor's example that breaks its own format (Xero's
		// "5gj1e5cc-..." in a uuid) is skipped and a value generated.
		g.visit = []openapi3.SchemaValidationOption{openapi3.VisitAsRequest(), openapi3.FailFast(), requestFormats()}
	}
	return g
}

// requestFormats is checkedFormats, made once.
var requestFormats = sync.OnceValue(checkedFormats)

// visitTolerant validates v against s with opts and, when a pattern Go
// cannot compile (look-ahead, back-references) is what failed, validates
// again without pattern checks: a pattern nobody can check must not make
// every value fail. (A custom regexp compiler would do it in one pass, but
// kin-openapi caches what any compiler returns in a process-wide map, which
// would switch those pattern errors off for every other caller too.)
func visitTolerant(s *openapi3.Schema, v any, opts ...openapi3.SchemaValidationOption) error {
	err := s.VisitJSON(v, opts...)
	var unsupported *openapi3.SchemaPatternRegexError
	if err != nil && errors.As(err, &unsupported) {
		return s.VisitJSON(v, append(slices.Clone(opts), openapi3.DisablePatternValidation())...)
	}
	return err
}

// compileSamplePattern compiles an OpenAPI pattern with Go's regexp after the same
// \uXXXX rewrite kin-openapi applies; nil when Go cannot compile it.
func compileSamplePattern(pattern string) *regexp.Regexp {
	re, err := regexp.Compile(unicodeEscapePattern.ReplaceAllString(pattern, `\x{${1}}`))
	if err != nil {
		return nil
	}
	return re
}

var unicodeEscapePattern = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// minimal reports whether values at this depth should be as small as valid.
func (g *sampler) minimal(depth int) bool {
	return depth >= g.maxDepth || g.budget <= 0
}

// valid reports whether v (JSON-shaped) validates against s in this direction.
func (g *sampler) valid(s *openapi3.Schema, v any) (ok bool) {
	defer func() {
		// kin-openapi is not ours; a panic on an odd schema means "not valid".
		if recover() != nil {
			ok = false
		}
	}()
	return visitTolerant(s, jsonShape(v), g.visit...) == nil
}

// value is the heart of Sample: one value for s at the given depth.
func (g *sampler) value(s *openapi3.Schema, name string, key uint64, depth int) any {
	if s == nil {
		return nil
	}
	g.budget--
	if depth > g.maxDepth+2*hardDepthMargin || g.budget < -maxSteps {
		g.bad = true // a cycle through oneOf/anyOf alone, or a schema too vast
		return nil
	}
	if s.Always != nil {
		if *s.Always {
			return g.scalarByName(&openapi3.Schema{}, name, key)
		}
		return nil // the false schema accepts nothing; null is as good as any
	}
	if v, ok := g.ownExample(s); ok { // checked against the schema as written
		return asInteger(s, v)
	}
	v := g.generate(s, name, key, depth)
	if s.Not == nil || s.Not.Value == nil {
		return v
	}
	for i := 0; i < 8 && g.valid(s.Not.Value, v); i++ { // "not" forbids it: another draw
		v = g.generate(s, name, childKey(key, fmt.Sprintf("\x00not%d", i)), depth)
	}
	return v
}

// generate makes a value from the schema's keywords, "not" aside.
func (g *sampler) generate(s *openapi3.Schema, name string, key uint64, depth int) any {
	if len(s.AllOf) > 0 {
		s = g.merge(s)
	}
	if s.Const != nil {
		return asInteger(s, JSONValue(s.Const))
	}
	if len(s.Enum) > 0 {
		return asInteger(s, g.enum(s, key))
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return g.choice(s, name, key, depth)
	}
	switch g.pickType(s) {
	case openapi3.TypeNull:
		return nil
	case openapi3.TypeObject:
		return g.object(s, key, depth)
	case openapi3.TypeArray:
		return g.array(s, name, key, depth)
	case openapi3.TypeBoolean:
		return g.faker(key).Bool()
	case openapi3.TypeInteger:
		return g.integer(s, name, key)
	case openapi3.TypeNumber:
		return g.number(s, name, key)
	case openapi3.TypeString:
		return g.str(s, name, key)
	}
	return g.scalarByName(s, name, key)
}

// ownExample returns the schema's example, 3.1 examples or default, the first
// that validates against the schema.
func (g *sampler) ownExample(s *openapi3.Schema) (any, bool) {
	cands := make([]any, 0, 2+len(s.Examples))
	if s.Example != nil {
		cands = append(cands, s.Example)
	}
	cands = append(cands, s.Examples...)
	if s.Default != nil {
		cands = append(cands, s.Default)
	}
	for _, c := range cands {
		if c == nil {
			continue
		}
		if v := jsonShape(c); g.valid(s, v) {
			return cloneValue(v), true
		}
	}
	return nil, false
}

// enum picks a listed value that validates (real enums hold values of the
// wrong type), starting at a seeded position, preferring non-null ones.
func (g *sampler) enum(s *openapi3.Schema, key uint64) any {
	n := len(s.Enum)
	start := int(mixSeed(key, 1) % uint64(n))
	var null bool
	for i := range n {
		v := s.Enum[(start+i)%n]
		if v == nil {
			null = true
			continue
		}
		if g.valid(s, v) {
			return JSONValue(v)
		}
	}
	if null {
		return nil
	}
	g.bad = true // the contract contradicts itself: no listed value fits
	return JSONValue(s.Enum[start])
}

// pickType chooses the JSON type to generate: the first non-null listed type,
// or one inferred from the keywords present when the schema names none.
func (g *sampler) pickType(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range *s.Type {
			if t != openapi3.TypeNull {
				return t
			}
		}
		if len(*s.Type) > 0 {
			return openapi3.TypeNull
		}
	}
	switch {
	case len(s.Properties) > 0, len(s.Required) > 0, s.AdditionalProperties.Schema != nil,
		s.AdditionalProperties.Has != nil, s.MinProps > 0, s.MaxProps != nil, len(s.PatternProperties) > 0:
		return openapi3.TypeObject
	case s.Items != nil, s.MinItems > 0, s.MaxItems != nil, len(s.PrefixItems) > 0:
		return openapi3.TypeArray
	case s.Min != nil, s.Max != nil, s.MultipleOf != nil, s.ExclusiveMin.Value != nil, s.ExclusiveMax.Value != nil:
		if s.Format == "int32" || s.Format == "int64" {
			return openapi3.TypeInteger
		}
		return openapi3.TypeNumber
	case s.Pattern != "", s.MinLength > 0, s.MaxLength != nil, s.Format != "":
		return openapi3.TypeString
	}
	return ""
}

// scalarByName is the value for a schema that constrains nothing: a string,
// realistic for the name.
func (g *sampler) scalarByName(s *openapi3.Schema, name string, key uint64) any {
	return g.str(s, name, key)
}

// faker returns a fake-data generator seeded for one value. Each value gets
// its own, derived from the seed and its path, so values do not depend on the
// order they are generated in. (gofakeit.New(0) would seed from crypto/rand,
// hence NewFaker with our own PCG source.)
func (g *sampler) faker(key uint64) *gofakeit.Faker {
	return gofakeit.NewFaker(rand.NewPCG(key, mixSeed(key, 0x5851f42d4c957f2d)), false)
}

// childKey derives the key of a sub-value from its parent's and a label.
func childKey(key uint64, label string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(label))
	return mixSeed(key, h.Sum64())
}

// mixSeed combines two words into a well-spread one (splitmix64 finaliser).
func mixSeed(a, b uint64) uint64 {
	z := a + 0x9e3779b97f4a7c15*(b|1) + b
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// JSONValue returns a deep copy of v in the shapes encoding/json decodes
// to: float64 numbers, map[string]any objects, []any arrays. That is what
// Validator.ValidateValue expects, and Sample's int64 integers are not. The
// copy is the caller's to change. A value encoding/json cannot marshal comes
// back as is.
func JSONValue(v any) any {
	if shaped(v) {
		return cloneValue(v)
	}
	return jsonShape(v)
}

// jsonShape converts a value decoded from YAML or built by hand into the
// shapes encoding/json produces (float64 numbers, map[string]any), which is
// what kin-openapi validates. Values already in that shape come back as is.
func jsonShape(v any) any {
	switch x := v.(type) {
	case nil, bool, string, float64:
		return v
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case map[string]any:
		if shaped(x) {
			return x
		}
	case []any:
		if shaped(x) {
			return x
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// shaped reports whether v holds only encoding/json shapes.
func shaped(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, float64:
		return true
	case map[string]any:
		for _, e := range x {
			if !shaped(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !shaped(e) {
				return false
			}
		}
		return true
	}
	return false
}

// cloneValue deep-copies a JSON-shaped value so callers may change what Sample
// returns without changing the schema's examples.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// sortedSchemaNames returns a schema map's keys in order, for deterministic walks.
func sortedSchemaNames(m openapi3.Schemas) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeIs reports whether the schema's type list names t.
func typeIs(s *openapi3.Schema, t string) bool {
	return s.Type != nil && slices.Contains(*s.Type, t)
}

// asInteger keeps the int64 convention for integers taken from the contract
// (consts, examples, enums), which JSON decoding made float64.
func asInteger(s *openapi3.Schema, v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 &&
		(typeIs(s, openapi3.TypeInteger) || s.Format == "int32" || s.Format == "int64") {
		return int64(f)
	}
	return v
}

// jsonText is a value's JSON text, to compare values.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
