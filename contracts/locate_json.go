package contracts

import (
	"bytes"
	"errors"
	"io"

	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"
)

// jsonTree builds the same node tree yaml.v3 would from a JSON document,
// lines and columns included, with a streaming JSON tokenizer: several
// times faster than the YAML parser on a 2 MB contract, which is what
// locating problems in Stripe's costs.
func jsonTree(data []byte) (*yaml.Node, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	lc := lineCounter{data: data, line: 1}
	var stack []*yaml.Node
	var root *yaml.Node
	add := func(n *yaml.Node) {
		if len(stack) == 0 {
			root = n
			return
		}
		parent := stack[len(stack)-1]
		parent.Content = append(parent.Content, n)
	}
	for {
		start := skipSeparators(data, dec.InputOffset())
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, col := lc.at(start)
		switch k := tok.Kind(); k {
		case '{', '[':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: col}
			if k == '[' {
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			}
			add(n)
			stack = append(stack, n)
		case '}', ']':
			stack = stack[:len(stack)-1]
		default:
			n := &yaml.Node{Kind: yaml.ScalarNode, Value: tok.String(), Line: line, Column: col}
			switch k {
			case '"':
				n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
			case '0':
				n.Tag = "!!float"
			case 't', 'f':
				n.Tag = "!!bool"
			case 'n':
				n.Tag = "!!null"
			}
			add(n)
		}
	}
	if root == nil {
		return nil, errors.New("contracts: empty JSON document")
	}
	return root, nil
}

// skipSeparators moves off past whitespace, commas and colons: the start
// of the next token.
func skipSeparators(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// lineCounter turns increasing byte offsets into lines and columns in one
// pass over the data.
type lineCounter struct {
	data      []byte
	off       int64 // offset counted up to
	line      int   // line at off
	lineStart int64 // offset where that line starts
}

func (lc *lineCounter) at(off int64) (line, col int) {
	if off > int64(len(lc.data)) {
		off = int64(len(lc.data))
	}
	for off > lc.off {
		i := bytes.IndexByte(lc.data[lc.off:off], '\n')
		if i < 0 {
			lc.off = off
			break
		}
		lc.off += int64(i) + 1
		lc.line++
		lc.lineStart = lc.off
	}
	return lc.line, int(off-lc.lineStart) + 1
}
