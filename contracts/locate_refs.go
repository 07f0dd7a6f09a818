package contracts

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// refSite is one $ref in the sources that does not resolve.
type refSite struct {
	file    string // slash path
	pointer string // pointer of the $ref member
	line    int
	col     int
	ref     string
	err     error
}

// brokenRefs reads every $ref of the root document and of the files it
// reaches, and returns those that resolve to nothing, in file and line order.
// It works on the source trees, so it lists every broken ref where the
// loader stops at the first.
func (s *sources) brokenRefs() []refSite {
	var out []refSite
	seen := map[string]bool{}
	queue := []string{s.root}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if seen[file] {
			continue
		}
		seen[file] = true
		s.eachRef(file, s.node(file), nil, func(site refSite) {
			target, err := s.checkRef(file, site.ref)
			if err != nil {
				site.err = err
				out = append(out, site)
			} else if target != file {
				queue = append(queue, target)
			}
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file == s.root || out[j].file != s.root && out[i].file < out[j].file
		}
		return out[i].line < out[j].line
	})
	return out
}

// eachRef calls fn for every $ref member under n.
func (s *sources) eachRef(file string, n *yaml.Node, at []string, fn func(refSite)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := append(cloneTokens(at), k.Value)
			if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
				fn(refSite{file: file, pointer: joinPointer(path), line: k.Line, col: k.Column, ref: v.Value})
				continue
			}
			s.eachRef(file, v, path, fn)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			s.eachRef(file, v, append(cloneTokens(at), fmt.Sprint(i)), fn)
		}
	}
}

// checkRef says whether ref, written in file, resolves, and in which file.
func (s *sources) checkRef(file, ref string) (string, error) {
	name, _, _ := strings.Cut(ref, "#")
	if strings.Contains(name, "://") || strings.HasPrefix(name, "//") {
		return "", ErrRemoteRef
	}
	target, frag, _ := s.target(file, ref)
	if _, ok := s.file(target); !ok {
		return "", fmt.Errorf("file %s not found", target)
	}
	if s.node(target) == nil {
		return "", fmt.Errorf("file %s does not parse", target)
	}
	if s.find(target, frag) == nil {
		where := "the document"
		if target != file {
			where = target
		}
		return "", fmt.Errorf("%s has nothing at %s", where, joinPointer(frag))
	}
	return target, nil
}

// loadError turns a loader failure into a located LoadError: the first
// broken $ref when there is one, else the line the message names.
func (s *sources) loadError(err error) error {
	var le *LoadError
	if errors.As(err, &le) {
		return le
	}
	if broken := s.brokenRefs(); len(broken) > 0 {
		b := broken[0]
		return &LoadError{
			File: s.display(b.file), Line: b.line, Column: b.col, Pointer: b.pointer,
			Err:  fmt.Errorf("cannot resolve $ref %q: %w", b.ref, b.err),
			rule: RuleRefUnresolved,
		}
	}
	le = &LoadError{File: s.given, Line: yamlErrorLine(err), Err: err}
	msg := err.Error()
	if m := kinLineMessage.FindStringSubmatch(msg); m != nil {
		msg = m[1]
	}
	if m := kinPointerSuffix.FindStringSubmatch(msg); m != nil {
		le.Pointer = m[1]
		msg = strings.TrimSuffix(msg, m[0])
	}
	// Swagger 2.0 decodes through encoding/json: keep the first decoder's
	// complaint, and read the field path it names (field T.paths).
	msg = strings.TrimPrefix(msg, "failed to unmarshal data: ")
	if before, _, ok := strings.Cut(msg, ", yaml error: "); ok {
		msg = before
	}
	for _, p := range []string{"json error: ", "yaml error: ", "json: ", "yaml: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if m := jsonFieldPath.FindStringSubmatch(msg); m != nil && le.Pointer == "" {
		le.Pointer = joinPointer(strings.Split(m[1], "."))
	}
	if strings.HasPrefix(msg, "invalid host ") {
		le.Pointer = "/host"
	}
	if le.Pointer != "" && le.Line == 0 {
		if pos := s.locate(le.Pointer); pos.exact {
			le.Line, le.Column = pos.line, pos.col
		}
	}
	if msg != err.Error() {
		le.Err = errors.New(msg)
	}
	return le
}

var (
	kinLineMessage   = regexp.MustCompile(`line \d+: (.*)$`)
	kinPointerSuffix = regexp.MustCompile(` in (/\S*)$`)
	jsonFieldPath    = regexp.MustCompile(`into field T\.([\w.]+) of type`)
)
