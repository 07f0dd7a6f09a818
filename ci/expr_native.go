package ci

import (
	"strconv"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// native evaluates, without the interpreter, the expressions mappings
// most often are beside plain paths: double(PATH), PATH.lowerAscii() and
// PATH op LITERAL for a double literal and op one of + - * /. It answers
// only where CEL's answer is plain (a double or int for double(), text
// for double() that parses, ASCII text for lowerAscii(), a double for the
// arithmetic) and reports false elsewhere, leaving errors, nulls and
// conversions CEL would make to CEL itself. TestExpressionsAgreeWithCEL
// holds it to CEL's answers.
type native struct {
	op   string // "double", "lowerAscii" or an arithmetic operator
	path []step
	lit  float64
}

// nativeOf returns the native form of a checked expression, or nil.
func nativeOf(e ast.Expr) *native {
	if e.Kind() != ast.CallKind {
		return nil
	}
	c := e.AsCall()
	args := c.Args()
	switch fn := c.FunctionName(); {
	case fn == "double" && !c.IsMemberFunction() && len(args) == 1:
		if p, ok := astPath(args[0]); ok {
			return &native{op: fn, path: p}
		}
	case fn == "lowerAscii" && c.IsMemberFunction() && len(args) == 0:
		if p, ok := astPath(c.Target()); ok {
			return &native{op: fn, path: p}
		}
	case (fn == operators.Add || fn == operators.Subtract || fn == operators.Multiply || fn == operators.Divide) && len(args) == 2:
		p, ok := astPath(args[0])
		if !ok || args[1].Kind() != ast.LiteralKind {
			return nil
		}
		if d, isDouble := args[1].AsLiteral().(types.Double); isDouble {
			return &native{op: fn, path: p, lit: float64(d)}
		}
	}
	return nil
}

// astPath reads a field reference (a, a.b, a[0].b) as steps.
func astPath(e ast.Expr) ([]step, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		if e.AsIdent() == RecordVar {
			return nil, false
		}
		return []step{{key: e.AsIdent()}}, true
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return nil, false
		}
		p, ok := astPath(s.Operand())
		return append(p, step{key: s.FieldName()}), ok
	case ast.CallKind:
		c := e.AsCall()
		if c.FunctionName() != operators.Index || len(c.Args()) != 2 || c.Args()[1].Kind() != ast.LiteralKind {
			return nil, false
		}
		i, ok := c.Args()[1].AsLiteral().(types.Int)
		if !ok || i < 0 {
			return nil, false
		}
		p, ok := astPath(c.Args()[0])
		return append(p, step{index: int(i)}), ok
	}
	return nil, false
}

// eval answers for rec, or reports false to leave it to CEL. Text it
// computes goes to text (nil allocates).
func (n *native) eval(rec map[string]any, text *scratch) (value, bool) {
	v, ok := lookupPath(n.path, rec)
	if !ok {
		return value{}, false
	}
	switch n.op {
	case "double":
		switch v.k {
		case kindDouble:
			return v, true
		case kindInt:
			return doubleValue(float64(v.int())), true
		case kindString:
			if f, err := strconv.ParseFloat(v.s, 64); err == nil {
				return doubleValue(f), true
			}
		}
		return value{}, false
	case "lowerAscii":
		if v.k != kindString {
			return value{}, false
		}
		return lowerASCII(v.s, text)
	}
	if v.k != kindDouble {
		return value{}, false
	}
	f := v.float()
	switch n.op {
	case operators.Add:
		f += n.lit
	case operators.Subtract:
		f -= n.lit
	case operators.Multiply:
		f *= n.lit
	case operators.Divide:
		f /= n.lit
	}
	return doubleValue(f), true
}

// lowerASCII lowers the ASCII letters of s, into text, and reports false
// for text that is not all ASCII (CEL reads it as runes, which this
// leaves to CEL). Text already in lower case is returned as it is,
// without a copy.
func lowerASCII(s string, text *scratch) (value, bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return value{}, false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return stringValue(s), true
	}
	return stringValue(text.lower(s)), true
}
