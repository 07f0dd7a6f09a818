package contracts

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// maxRefHops bounds how many $refs locating one pointer may follow, so a
// reference cycle cannot loop.
const maxRefHops = 32

// sources keeps the bytes of every file a contract was loaded from and
// builds, on first use only, a yaml.v3 node tree of each (yaml.v3 reads JSON
// too) to turn JSON pointers into lines. Loading never pays for the trees:
// only locating a problem does.
type sources struct {
	root  string      // slash-separated, cleaned path of the root document
	given string      // the root's path as the caller wrote it
	v2    bool        // the root is Swagger 2.0: pointers into the converted document are mapped back
	doc   *openapi3.T // the loaded document, to map Swagger 2.0 parameters

	mu    sync.Mutex
	data  map[string][]byte
	nodes map[string]*yaml.Node // nil value: parsed and unusable
}

func newSources(file string, data []byte) *sources {
	root := path.Clean(filepath.ToSlash(file))
	return &sources{root: root, given: file, data: map[string][]byte{root: data}, nodes: map[string]*yaml.Node{}}
}

func (s *sources) file(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.data[name]
	return d, ok
}

func (s *sources) add(name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[name] = data
}

// node returns the top node of file's tree, parsing it on first use; nil
// when the file is unknown or does not parse.
func (s *sources) node(name string) *yaml.Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nodes[name]; ok {
		return n
	}
	data, ok := s.data[name]
	if !ok {
		return nil
	}
	var top *yaml.Node
	if !isYAML(data) {
		top, _ = jsonTree(data) // nil when it does not parse: the YAML parser may still read it
	}
	if top == nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
			top = doc.Content[0]
		}
	}
	s.nodes[name] = top
	return top
}

// position is where a pointer lands in the sources.
type position struct {
	file    string // slash path of the file holding the element
	pointer string // the pointer within that file
	line    int
	col     int
	exact   bool       // false: the pointer was only partly found; line is its deepest found ancestor
	node    *yaml.Node // the value found (the deepest ancestor when not exact)
}

// locate resolves a pointer into the loaded document to the file, pointer
// and line of the element in the source, following $refs as it goes.
func (s *sources) locate(pointer string) position {
	if s == nil {
		return position{pointer: pointer}
	}
	tokens := splitPointer(pointer)
	if s.v2 {
		tokens = s.toV2(tokens)
	}
	return s.walk(s.root, s.node(s.root), nil, tokens, 0)
}

// walk descends from n (at pointer prefix at in file) along tokens.
func (s *sources) walk(file string, n *yaml.Node, at, tokens []string, hops int) position {
	pos := position{file: file, pointer: joinPointer(at)}
	if n == nil {
		return pos
	}
	pos.line, pos.col, pos.node = n.Line, n.Column, n
	for i, tok := range tokens {
		key, child := nodeChild(n, tok)
		if child == nil {
			if ref := nodeRef(n); ref != "" && hops < maxRefHops {
				if f, frag, ok := s.target(file, ref); ok {
					if tn := s.find(f, frag); tn != nil {
						return s.walk(f, tn, frag, tokens[i:], hops+1)
					}
				}
			}
			return pos
		}
		at = append(at, tok)
		n = child
		pos.pointer = joinPointer(at)
		pos.line, pos.col, pos.node = child.Line, child.Column, child
		if key != nil {
			pos.line, pos.col = key.Line, key.Column
		}
	}
	pos.exact = true
	return pos
}

// find returns the node at the tokens within file, without following refs.
func (s *sources) find(file string, tokens []string) *yaml.Node {
	n := s.node(file)
	for _, tok := range tokens {
		if n == nil {
			return nil
		}
		_, n = nodeChild(n, tok)
	}
	return n
}

// target splits a $ref written in file into the file it names and the
// tokens of its fragment. ok is false for URLs.
func (s *sources) target(file, ref string) (f string, frag []string, ok bool) {
	name, fragment, _ := strings.Cut(ref, "#")
	if strings.Contains(name, "://") {
		return "", nil, false
	}
	if name != "" {
		if !path.IsAbs(name) {
			name = path.Join(path.Dir(file), name)
		}
		file = path.Clean(name)
		s.ensure(file)
	}
	return file, splitPointer(fragment), true
}

// ensure reads a file a $ref names if the loader has not.
func (s *sources) ensure(name string) bool {
	if _, ok := s.file(name); ok {
		return true
	}
	data, err := readFileLimited(name)
	if err != nil {
		return false
	}
	s.add(name, data)
	return true
}

// lookup returns the key node and value node for tok in a mapping or
// sequence node.
func nodeChild(n *yaml.Node, tok string) (key, val *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i], n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		i, err := strconv.Atoi(tok)
		if err == nil && i >= 0 && i < len(n.Content) {
			return nil, n.Content[i]
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return nodeChild(n.Alias, tok)
		}
	}
	return nil, nil
}

// refOf returns the $ref of a mapping node, or "".
func nodeRef(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	_, v := nodeChild(n, "$ref")
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// splitPointer splits a JSON pointer ("/paths/~1orders/get") into its
// unescaped tokens; "" and "/" give none.
func splitPointer(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	for i, t := range parts {
		if strings.Contains(t, "~") {
			t = strings.ReplaceAll(t, "~1", "/")
			parts[i] = strings.ReplaceAll(t, "~0", "~")
		}
	}
	return parts
}

// joinPointer escapes tokens into a JSON pointer.
func joinPointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// Pointer builds a JSON pointer from unescaped tokens:
// Pointer("paths", "/orders", "get") is "/paths/~1orders/get".
func Pointer(tokens ...string) string { return joinPointer(tokens) }

// Locate returns the line and column (1-based; 0 when unknown) of the element
// at pointer, a JSON pointer into the loaded document (version 3 shape; for
// Swagger 2.0 it is mapped back to the source). When the pointer crosses a
// $ref into another file the position is in that file: Position says which.
// Where only part of the pointer exists, the deepest existing ancestor is
// located.
func (c *OpenAPI) Locate(pointer string) (line, col int) {
	_, line, col = c.Position(pointer)
	return line, col
}

// Position is Locate with the file that holds the element.
func (c *OpenAPI) Position(pointer string) (file string, line, col int) {
	if c == nil {
		return "", 0, 0
	}
	pos := c.src.locate(pointer)
	return c.displayFile(pos.file), pos.line, pos.col
}

// displayFile names a source file the way the user named the root.
func (c *OpenAPI) displayFile(slashPath string) string {
	if c.src == nil {
		return c.Path
	}
	return c.src.display(slashPath)
}

// problemAt builds a Problem located at pointer.
func (c *OpenAPI) problemAt(sev Severity, rule, pointer, msg string) Problem {
	pos := c.src.locate(pointer)
	p := Problem{Severity: sev, Rule: rule, File: c.displayFile(pos.file), Line: pos.line, Column: pos.col, Pointer: pos.pointer, Message: msg}
	if c.src == nil || !pos.exact {
		p.Pointer = pointer // what was meant; the line is its nearest located ancestor
	}
	return p
}

// display names a source file: the root as the caller wrote it, others by
// their path.
func (s *sources) display(slashPath string) string {
	if slashPath == "" || slashPath == s.root {
		return s.given
	}
	return filepath.FromSlash(slashPath)
}
