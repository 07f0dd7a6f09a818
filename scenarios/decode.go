package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/agnivade/levenshtein"
	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a scenario file, located by line, column
// and the path of the field.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"` // e.g. systems.accounting.mock.rate_limit
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"` // e.g. did you mean "rate_limit"?
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (" + p.Hint + ")")
	}
	return b.String()
}

// Error lists every problem of a scenario file at once.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "scenarios: " + lines[0]
	}
	return fmt.Sprintf("scenarios: %d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// pos is where a field's value stands in the file.
type pos struct{ line, col int }

// posIndex maps field paths to their place in the file.
type posIndex struct {
	file  string
	paths map[string]pos
}

func (ix *posIndex) at(path string) pos {
	if ix == nil {
		return pos{}
	}
	// A path that was not written (a missing field) is located at its
	// nearest written parent.
	for p := path; ; {
		if at, ok := ix.paths[p]; ok {
			return at
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return ix.paths[""]
		}
		p = p[:i]
	}
}

// decoder reads a yaml.Node tree into Go values strictly: unknown fields,
// wrong types and duplicate keys are problems, all collected, none fatal.
type decoder struct {
	ix       *posIndex
	problems []Problem
	budget   int // nodes left to visit: aliases cannot blow a small file up
}

// maxNodes bounds the nodes one scenario may expand to, aliases included.
const maxNodes = 200_000

func (d *decoder) addf(n *yaml.Node, path, hint, format string, args ...any) {
	p := Problem{File: d.ix.file, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.addf(n, path, "", "the scenario expands to more than %d values (aliases?): too large to read", maxNodes)
		}
		return
	}
	d.ix.paths[path] = pos{n.Line, n.Column}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			at := n
			var pe interface{ Position() (int, int) }
			if errors.As(err, &pe) { // the error is inside the value
				line, col := pe.Position()
				at = &yaml.Node{Line: line, Column: col}
			}
			d.addf(at, path, "", "%v", err)
		}
		return
	}
	if isNull(n) && v.Kind() != reflect.Interface {
		return // leave the zero value; Validate reports what is required
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.addf(n, path, "", "%v", err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.decodeScalar(n, v, path)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// structFields maps the YAML names of a struct type to field indexes; the
// inline map field, if any, is under "".
type structFields map[string]int

var fieldCache sync.Map // reflect.Type -> structFields

func fieldsOf(t reflect.Type) structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields)
	}
	f := structFields{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			f[""] = i
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		f[name] = i
	}
	fieldCache.Store(t, f)
	return f
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "", "want a mapping of fields, got a %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := join(path, key)
		if seen[key] {
			d.addf(k, sub, "", "field %q is set twice", key)
			continue
		}
		seen[key] = true
		if idx, ok := fields[key]; ok && key != "" {
			d.decode(val, v.Field(idx), sub)
			continue
		}
		if idx, ok := fields[""]; ok {
			d.decodeInline(k, val, v.Field(idx), sub)
			continue
		}
		d.addf(k, sub, hint(key, fields), "unknown field %q", key)
	}
}

// decodeInline puts an extra key of a struct into its inline map
// (the parameters of a fault) as text.
func (d *decoder) decodeInline(k, val *yaml.Node, m reflect.Value, path string) {
	d.ix.paths[path] = pos{k.Line, k.Column}
	if val.Kind != yaml.ScalarNode || isNull(val) {
		d.addf(val, path, "", "parameter %q wants a value such as 800ms or 0.5, got a %s", k.Value, kindName(val))
		return
	}
	if m.IsNil() {
		m.Set(reflect.MakeMap(m.Type()))
	}
	m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "", "want a mapping, got a %s", kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		if seen[k.Value] {
			d.addf(k, sub, "", "key %q is set twice", k.Value)
			continue
		}
		seen[k.Value] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, sub)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "", "want a list, got a %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(n, path, "", "want a %s, got a %s", typeName(v.Kind()), kindName(n))
		return
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		b, err = strconv.ParseBool(n.Value)
		if n.Tag != "!!bool" || err != nil {
			err = fmt.Errorf("want true or false, got %s", strconvQuote(n.Value))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		i, err = strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if n.Tag != "!!int" || err != nil {
			err = fmt.Errorf("want a whole number, got %s", strconvQuote(n.Value))
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		f, err = strconv.ParseFloat(n.Value, 64)
		if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
			err = fmt.Errorf("want a number, got %s", strconvQuote(n.Value))
		}
		v.SetFloat(f)
	default:
		err = fmt.Errorf("cannot read into %s", v.Type())
	}
	if err != nil {
		d.addf(n, path, "", "%v", err)
	}
}

func typeName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Float64:
		return "number"
	}
	return "text value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// hint suggests the known field closest to a misspelt one.
func hint(key string, fields structFields) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		if name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		dist := levenshtein.ComputeDistance(strings.ToLower(key), name)
		if dist < bestDist || (dist == bestDist && best == "") && dist < 3 {
			best, bestDist = name, dist
		}
	}
	if best == "" {
		return "known fields: " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("did you mean %q?", best)
}
