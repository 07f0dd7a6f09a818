package contracts

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"unicode"

	"github.com/brianvoe/gofakeit/v7"
)

// patternCache is a compiled pattern and its parse tree, for matching and for
// generating strings that match.
//
// gofakeit has a Regex generator, and it matches its pattern on the corpus
// patterns, but it is not used here: past a length limit it returns
// fmt.Sprint of the faker ("^a{1000}$" gives "&{0xc000... true ...}"), on a
// pattern it cannot parse the text "Could not parse regex string", and it
// knows nothing of minLength/maxLength. This one works on the same
// regexp/syntax tree, bounds every repeat, prefers printable ASCII, can
// follow a realistic hint, and has each result checked by the compiled
// pattern before it is used.
type patternCache struct {
	re   *regexp.Regexp
	tree *syntax.Regexp // parsed on first use; generation never changes it
}

// MatchString reports whether s matches the pattern.
func (c *patternCache) MatchString(s string) bool { return c.re.MatchString(s) }

// patternTries are the extra repeats allowed on unbounded repeats (x*, x+,
// x{n,}) in successive attempts to hit the length window.
var patternTries = [...]int{3, 0, 1, 6, 12, 24, 48, 96}

// fromPattern generates a string matching the pattern with a length in
// [lo, hi] (hi < 0: no maximum) that also passes ok; false when no attempt
// succeeded. The first attempts follow hint (a realistic value that did not
// match) as far as the pattern lets them, so "^https:[/.\w-]*\.png" turns
// "https://example.com/a" into "https://example.com/a.png".
func (g *sampler) fromPattern(c *patternCache, lo, hi int, key uint64, hint string, ok func(string) bool) (string, bool) {
	if c == nil {
		return "", false
	}
	if c.tree == nil {
		tree, err := syntax.Parse(c.re.String(), syntax.Perl)
		if err != nil {
			return "", false
		}
		c.tree = tree.Simplify()
	}
	tree := c.tree
	for i, extra := range patternTries {
		if lo > extra && i > 2 {
			extra = lo
		}
		rg := &regexGen{f: g.faker(childKey(key, "\x00pattern"+string(rune('a'+i)))), extra: extra}
		if i < 2 {
			rg.hint = []rune(hint)
		}
		if err := rg.gen(tree); err != nil {
			continue
		}
		if v := string(rg.out); fitsLength(v, lo, hi) && c.re.MatchString(v) && (ok == nil || ok(v)) {
			return v, true
		}
	}
	return "", false
}

// regexGen writes one random string matching a simplified regexp tree,
// following a hint where the pattern allows.
type regexGen struct {
	f     *gofakeit.Faker
	extra int // extra repeats on unbounded repeats
	out   []rune
	hint  []rune
}

var errPatternNoMatch = errors.New("contracts: pattern matches nothing")

const maxPatternOutput = 4096

// follow consumes the hint's next rune when accept takes it.
func (r *regexGen) follow(accept func(rune) bool) bool {
	if len(r.hint) > 0 && accept(r.hint[0]) {
		r.out = append(r.out, r.hint[0])
		r.hint = r.hint[1:]
		return true
	}
	return false
}

func (r *regexGen) gen(re *syntax.Regexp) error {
	if len(r.out) > maxPatternOutput {
		return errPatternNoMatch
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return errPatternNoMatch
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if !r.follow(func(h rune) bool { return h == c }) {
				r.out = append(r.out, c)
			}
		}
	case syntax.OpCharClass:
		if r.follow(func(h rune) bool { return inRuneClass(re.Rune, h) }) {
			return nil
		}
		if len(r.hint) > 0 { // "USD" for [a-z]{3} gives "usd"
			for c := unicode.SimpleFold(r.hint[0]); c != r.hint[0]; c = unicode.SimpleFold(c) {
				if inRuneClass(re.Rune, c) {
					r.out = append(r.out, c)
					r.hint = r.hint[1:]
					return nil
				}
			}
		}
		c, ok := r.pick(re.Rune)
		if !ok {
			return errPatternNoMatch
		}
		r.out = append(r.out, c)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		if !r.follow(func(h rune) bool { return h != '\n' }) {
			r.out = append(r.out, []rune(r.f.RandomString([]string{r.f.Letter(), r.f.Digit()}))...)
		}
	case syntax.OpCapture:
		return r.gen(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if err := r.gen(sub); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub { // the branch the hint starts
			if len(r.hint) > 0 && canStartWith(sub, r.hint[0]) {
				return r.gen(sub)
			}
		}
		return r.gen(re.Sub[r.f.IntN(len(re.Sub))])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		return r.repeat(re)
	}
	// anchors, word boundaries and the empty match write nothing
	return nil
}

// repeat writes re.Sub[0] a bounded number of times: while it follows the
// hint, else a random count.
func (r *regexGen) repeat(re *syntax.Regexp) error {
	lo, hi := re.Min, re.Max
	switch re.Op {
	case syntax.OpStar:
		lo, hi = 0, -1
	case syntax.OpPlus:
		lo, hi = 1, -1
	case syntax.OpQuest:
		lo, hi = 0, 1
	}
	for n := 0; len(r.hint) > 0 && (hi < 0 || n < hi) && n < maxPatternOutput; n++ {
		mark, hint := len(r.out), r.hint
		if err := r.gen(re.Sub[0]); err != nil {
			return err
		}
		if len(r.hint) == len(hint) { // this round did not follow the hint: undo, stop following
			r.out, r.hint = r.out[:mark], hint
			if n >= lo {
				return nil
			}
			lo -= n
			hi -= n
			break
		}
		if n+1 >= lo && len(r.hint) == 0 {
			return nil
		}
	}
	if hi < 0 {
		hi = lo + r.extra
	}
	n := lo
	if hi > lo {
		n += r.f.IntN(hi - lo + 1)
	}
	for range n {
		if err := r.gen(re.Sub[0]); err != nil {
			return err
		}
	}
	return nil
}

// inRuneClass reports whether c is in a class given as range pairs.
func inRuneClass(ranges []rune, c rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if c >= ranges[i] && c <= ranges[i+1] {
			return true
		}
	}
	return false
}

// canStartWith reports whether re can start with c, looking at its first
// literal or class.
func canStartWith(re *syntax.Regexp, c rune) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) > 0 && re.Rune[0] == c
	case syntax.OpCharClass:
		return inRuneClass(re.Rune, c)
	case syntax.OpCapture, syntax.OpPlus, syntax.OpRepeat:
		return len(re.Sub) > 0 && canStartWith(re.Sub[0], c)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
				continue
			}
			return canStartWith(sub, c)
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if canStartWith(sub, c) {
				return true
			}
		}
	}
	return false
}

// pick chooses a rune from a class given as range pairs, from printable
// ASCII when the class has some (then letters and digits first).
func (r *regexGen) pick(ranges []rune) (rune, bool) {
	for _, cl := range runeClasses {
		var total int
		for i := 0; i+1 < len(ranges); i += 2 {
			total += cl.count(ranges[i], ranges[i+1])
		}
		if total == 0 {
			continue
		}
		n := r.f.IntN(total)
		for i := 0; i+1 < len(ranges); i += 2 {
			lo, hi := cl.clamp(ranges[i], ranges[i+1])
			for c := lo; c <= hi; c++ {
				if cl.keep(c) {
					if n == 0 {
						return c, true
					}
					n--
				}
			}
		}
	}
	return 0, false
}

// runeClass is a preference among the runes a character class allows; the
// scan is limited to [first, last], so a class like [^a] (nearly all of
// Unicode) costs a bounded amount.
type runeClass struct {
	first, last rune
	keep        func(rune) bool
}

var runeClasses = [...]runeClass{
	{'0', 'z', isAlnumASCII},
	{0x20, 0x7e, func(rune) bool { return true }},
	{0xa0, 0x3000, unicode.IsPrint},
}

func (cl runeClass) clamp(lo, hi rune) (rune, rune) {
	return max(lo, cl.first), min(hi, cl.last)
}

func (cl runeClass) count(lo, hi rune) int {
	lo, hi = cl.clamp(lo, hi)
	n := 0
	for c := lo; c <= hi; c++ {
		if cl.keep(c) {
			n++
		}
	}
	return n
}

func isAlnumASCII(c rune) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
