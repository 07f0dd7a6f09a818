package graphql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one request may ask of a mock. Mocks, proxies and the
// load share one process in a drill, so a small request that asks for a
// huge answer (200 aliases of an introspection selection), or for
// quadratic validation (thousands of fragments spreading one another),
// must be refused before it takes the process down. Vendors bound their
// APIs too: GitHub limits the nodes a query may reach and refuses what is
// over with an error, Shopify a query's cost and depth.
//
// A zero field takes its default. Every bound but MaxAnswerBytes is
// checked before the document is validated or run: MaxTokens while it is
// parsed, the others in one pass over the parsed document that also finds
// fragment cycles (in linear time; gqlparser's own check and its
// validation walk are quadratic in the fragments a document chains).
type Limits struct {
	// MaxDepth bounds how deep an operation nests its fields, its
	// fragments expanded in place (DefaultMaxDepth).
	MaxDepth int
	// MaxSelections bounds the selections (fields, fragment spreads,
	// inline fragments) of an operation with its fragments expanded in
	// place, what executing it walks; and the selections validation
	// walks over the whole document, each operation and each fragment
	// definition with the fragments it reaches, at most ValidationFactor
	// times as many (DefaultMaxSelections).
	MaxSelections int
	// MaxAliases bounds the aliased fields of an operation with its
	// fragments expanded in place (DefaultMaxAliases): aliases are how a
	// small document asks for one expensive field many times.
	MaxAliases int
	// MaxTokens bounds the lexical tokens of a document, comments and
	// whitespace aside (DefaultMaxTokens); the parser stops at the first
	// token over.
	MaxTokens int
	// MaxAnswerBytes bounds the data of an answer, introspection
	// included (DefaultMaxAnswerBytes): execution stops once its answer
	// is estimated over, and writing it once it is over, and the client
	// gets "data": null with an error coded CodeAnswerTooLarge.
	MaxAnswerBytes int
}

// Defaults of Limits: room for what real clients send, not for what a
// fuzzer or a runaway loop does.
const (
	// DefaultMaxDepth: the standard introspection query (graphql-js's,
	// every option on) nests 14 levels, and each hop through a Relay
	// connection takes 3 (customers, edges, node), so 20 leaves room for
	// a deeper type reference in introspection and for six hops.
	DefaultMaxDepth = 20
	// DefaultMaxSelections: the standard introspection query holds 219
	// selections expanded, large hand-written queries a few hundred.
	// Validation compares the fields sharing a response key pairwise
	// (OverlappingFieldsCanBeMerged), so its worst case grows as the
	// square: 5,000 fields named alike took 3 s and 290 MB, 1,000 take a
	// tenth of a second.
	DefaultMaxSelections = 1_000
	// DefaultMaxAliases: a client that batches lookups (p1: product(id:
	// 1) ... p50: product(id: 50)) uses tens.
	DefaultMaxAliases = 100
	// DefaultMaxTokens is graphql-java's default token limit: the standard
	// introspection query is 176 tokens.
	DefaultMaxTokens = 15_000
	// DefaultMaxAnswerBytes holds the introspection of the largest public
	// vendor schemas (a few MB) with room to spare, while three answers at
	// once stay far from a drill's memory.
	DefaultMaxAnswerBytes = 16 << 20
)

// ValidationFactor is how many times MaxSelections validation may walk
// over a whole document: each operation and each fragment definition is
// walked with the fragments it reaches, so shared fragments count once per
// definition reaching them.
const ValidationFactor = 10

// Codes of the GraphQL errors (extensions.code) of requests over the
// mock's Limits.
const (
	CodeMaxDepthExceeded      = "MAX_DEPTH_EXCEEDED"
	CodeMaxSelectionsExceeded = "MAX_SELECTIONS_EXCEEDED"
	CodeMaxAliasesExceeded    = "MAX_ALIASES_EXCEEDED"
	CodeMaxTokensExceeded     = "MAX_TOKENS_EXCEEDED"
	CodeAnswerTooLarge        = "ANSWER_TOO_LARGE"
)

// WithLimits sets the bounds of what one request may ask (see Limits); a
// zero field keeps its default, a negative one is refused.
func WithLimits(l Limits) Option {
	return func(o *options) error {
		var bad []string
		for _, f := range []struct {
			name string
			v    int
		}{{"MaxDepth", l.MaxDepth}, {"MaxSelections", l.MaxSelections}, {"MaxAliases", l.MaxAliases}, {"MaxTokens", l.MaxTokens}, {"MaxAnswerBytes", l.MaxAnswerBytes}} {
			if f.v < 0 {
				bad = append(bad, fmt.Sprintf("%s %d", f.name, f.v))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("graphql: limits: %s: want 0 (the default) or more", strings.Join(bad, ", "))
		}
		o.limits = l
		return nil
	}
}

// withDefaults fills the zero fields of l with their defaults.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxSelections, DefaultMaxSelections)
	def(&l.MaxAliases, DefaultMaxAliases)
	def(&l.MaxTokens, DefaultMaxTokens)
	def(&l.MaxAnswerBytes, DefaultMaxAnswerBytes)
	return l
}

// Limits are the mock's bounds, defaults filled in.
func (m *Mock) Limits() Limits { return m.opts.limits }

// saturate caps the counts of the pre-pass: fragments spread twice in a
// chain double at each link, and counts need only tell "over the bound".
const saturate = 1 << 40

func add(a, b int) int { return min(a+b, saturate) }

// shape is what a selection set holds with its fragments expanded in place.
type shape struct {
	depth, selections, aliases int
}

func (s *shape) merge(o shape) {
	s.depth = max(s.depth, o.depth)
	s.selections = add(s.selections, o.selections)
	s.aliases = add(s.aliases, o.aliases)
}

// colour of a fragment in the depth-first search over spreads.
type colour uint8

const (
	white colour = iota // not reached yet
	grey                // on the search's path: a spread of it closes a cycle
	black               // measured
)

// bounds is the pre-pass over one document: fragment cycles found by a
// depth-first search over the spreads (each fragment measured once), then
// every operation's and fragment's shape against the limits.
type bounds struct {
	l      Limits
	frags  map[string]*ast.FragmentDefinition
	colour map[*ast.FragmentDefinition]colour
	shapes map[*ast.FragmentDefinition]shape
	path   []*ast.FragmentDefinition       // the grey fragments, in the order entered
	onPath map[*ast.FragmentDefinition]int // their index in path
	cycles gqlerror.List
}

// maxCycleNames bounds the fragments a cycle's error names.
const maxCycleNames = 10

// checkBounds returns the fragment cycles of doc (validation errors, as
// gqlparser words them) and, when there are none, what is over l (coded
// errors). It runs in time linear in the document.
func checkBounds(doc *ast.QueryDocument, l Limits) (cycles, over gqlerror.List) {
	b := &bounds{l: l, frags: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		colour: map[*ast.FragmentDefinition]colour{}, shapes: map[*ast.FragmentDefinition]shape{}, onPath: map[*ast.FragmentDefinition]int{}}
	for _, f := range doc.Fragments {
		if _, dup := b.frags[f.Name]; !dup { // the first of duplicates, as gqlparser
			b.frags[f.Name] = f
		}
	}
	for _, f := range doc.Fragments {
		b.fragment(f)
	}
	ops := make([]shape, len(doc.Operations))
	for i, op := range doc.Operations {
		ops[i] = b.measure(op.SelectionSet)
	}
	if len(b.cycles) > 0 {
		return b.cycles, nil
	}
	// The first problem only: a document of thousands of fragments over
	// the bounds would get an answer as large as itself.
	check := func(what string, pos *ast.Position, s shape) gqlerror.List {
		var ge *gqlerror.Error
		switch {
		case s.depth > l.MaxDepth:
			ge = codedError(fmt.Sprintf("%s nests fields %d deep, over the limit of %d", what, s.depth, l.MaxDepth), CodeMaxDepthExceeded)
		case s.aliases > l.MaxAliases:
			ge = codedError(fmt.Sprintf("%s holds %s aliases with its fragments expanded, over the limit of %d", what, count(s.aliases), l.MaxAliases), CodeMaxAliasesExceeded)
		case s.selections > l.MaxSelections:
			ge = codedError(fmt.Sprintf("%s holds %s selections with its fragments expanded, over the limit of %d", what, count(s.selections), l.MaxSelections), CodeMaxSelectionsExceeded)
		default:
			return nil
		}
		if pos != nil {
			ge.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
		}
		return gqlerror.List{ge}
	}
	for i, op := range doc.Operations {
		what := "the operation"
		if op.Name != "" {
			what += " " + op.Name
		}
		if over := check(what, op.Position, ops[i]); over != nil {
			return nil, over
		}
	}
	for _, f := range doc.Fragments {
		if b.frags[f.Name] == f {
			if over := check("the fragment "+f.Name, f.Position, b.shapes[f]); over != nil {
				return nil, over
			}
		}
	}
	if budget := ValidationFactor * l.MaxSelections; validationWalk(doc, b.frags, budget) > budget {
		return nil, gqlerror.List{codedError(fmt.Sprintf("validation would walk over %d selections (each operation and fragment with the fragments it reaches): over %d times the limit of %d selections",
			budget, ValidationFactor, l.MaxSelections), CodeMaxSelectionsExceeded)}
	}
	return nil, nil
}

// count prints a saturated count as what it is: more than can be told.
func count(n int) string {
	if n >= saturate {
		return "too many"
	}
	return fmt.Sprint(n)
}

// fragment measures f once, after the fragments it spreads.
func (b *bounds) fragment(f *ast.FragmentDefinition) shape {
	switch b.colour[f] {
	case black:
		return b.shapes[f]
	case grey:
		return shape{} // a cycle, reported by the spread that closed it
	}
	b.colour[f] = grey
	b.onPath[f] = len(b.path)
	b.path = append(b.path, f)
	s := b.measure(f.SelectionSet)
	b.path = b.path[:len(b.path)-1]
	delete(b.onPath, f)
	b.colour[f] = black
	b.shapes[f] = s
	return s
}

// measure returns the shape of sel, depth counted from the fields of sel.
// The parser bounds how deep selection sets nest, so the recursion over
// fields is bounded; the recursion over fragments is bounded by their
// number, each entered once.
func (b *bounds) measure(sel ast.SelectionSet) shape {
	var s shape
	for _, it := range sel {
		switch it := it.(type) {
		case *ast.Field:
			child := b.measure(it.SelectionSet)
			child.depth++
			child.selections = add(child.selections, 1)
			if it.Alias != "" && it.Alias != it.Name {
				child.aliases = add(child.aliases, 1)
			}
			s.merge(child)
		case *ast.InlineFragment:
			inner := b.measure(it.SelectionSet)
			inner.selections = add(inner.selections, 1)
			s.merge(inner)
		case *ast.FragmentSpread:
			s.selections = add(s.selections, 1)
			f := b.frags[it.Name]
			if f == nil {
				continue // unknown: validation says so
			}
			if b.colour[f] == grey {
				b.cycle(it, f)
				continue
			}
			s.merge(b.fragment(f))
		}
	}
	return s
}

// cycle reports the spread closing a cycle back to f, in gqlparser's
// words: via the fragments entered since f.
func (b *bounds) cycle(closing *ast.FragmentSpread, f *ast.FragmentDefinition) {
	after := b.path[b.onPath[f]+1:]
	var names []string
	for i, g := range after {
		if i == maxCycleNames {
			names = append(names, fmt.Sprintf("and %d more", len(after)-maxCycleNames))
			break
		}
		names = append(names, fmt.Sprintf("%q", g.Name))
	}
	via := ""
	if len(names) > 0 {
		via = " via " + strings.Join(names, ", ")
	}
	ge := &gqlerror.Error{Message: fmt.Sprintf("Cannot spread fragment %q within itself%s.", closing.Name, via)}
	if closing.Position != nil {
		ge.Locations = []gqlerror.Location{{Line: closing.Position.Line, Column: closing.Position.Column}}
	}
	b.cycles = append(b.cycles, ge)
}

// errWalkOver stops validationWalk once it is over its budget.
var errWalkOver = errors.New("over")

// validationWalk counts the selections gqlparser's validation walks: every
// operation, then every fragment definition, each with the fragments it
// reaches, each of those once per definition. It stops once the count is
// over budget, so it costs at most the budget and the document. The
// document has no fragment cycles.
func validationWalk(doc *ast.QueryDocument, frags map[string]*ast.FragmentDefinition, budget int) int {
	n := 0
	seen := map[*ast.FragmentDefinition]int{} // the definition that last reached a fragment
	def := 0
	var walk func(sel ast.SelectionSet) error
	walk = func(sel ast.SelectionSet) error {
		for _, it := range sel {
			if n++; n > budget {
				return errWalkOver
			}
			var err error
			switch it := it.(type) {
			case *ast.Field:
				err = walk(it.SelectionSet)
			case *ast.InlineFragment:
				err = walk(it.SelectionSet)
			case *ast.FragmentSpread:
				if f := frags[it.Name]; f != nil && seen[f] != def {
					seen[f] = def
					err = walk(f.SelectionSet)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, op := range doc.Operations {
		def++
		if walk(op.SelectionSet) != nil {
			return n
		}
	}
	for _, f := range doc.Fragments {
		def++
		if walk(f.SelectionSet) != nil {
			return n
		}
	}
	return n
}
