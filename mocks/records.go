package mocks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/invopop/jsonschema"
	"gopkg.in/yaml.v3"
)

// Records are the records one collection of a stateful mock holds before
// it serves (customers already in the CRM): a list of objects written
// inline, or a file of them, relative to the file the declaration is
// written in:
//
//	records:
//	  customers: [{id: c-1, email: ada@example.com}]
//	  tickets: seeds/tickets.ndjson
//
// A file is .json (an array), .yaml or .yml (a list), .ndjson or .jsonl
// (one object a line). Seeded records are checked as creates are, get an
// id when they have none, and send no webhook: they existed before. A
// string value that is exactly ${now}, ${now-5m} or ${now-30d} is the
// instant it names from when the mock loads them (ExpandTimes).
type Records struct {
	// File holds the records, when they are not inline.
	File string
	// Items are the records written inline.
	Items []map[string]any
	// lines are where each inline item starts in the file the declaration
	// was read from (0 where unknown).
	lines []int
}

// RecordFormats are the extensions of the files records are read from.
var RecordFormats = []string{".json", ".yaml", ".yml", ".ndjson", ".jsonl"}

// UnmarshalYAML reads a file name or a list of objects.
func (r *Records) UnmarshalYAML(n *yaml.Node) error {
	*r = Records{}
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		r.File = n.Value
		return nil
	case n.Kind != yaml.SequenceNode:
		return errors.New("want a list of records or the name of a file of them (.json, .yaml, .ndjson)")
	}
	items, lines, err := yamlRecords(n)
	r.Items, r.lines = items, lines
	return err
}

// yamlRecords reads a YAML list of objects, each as encoding/json would
// decode it, with its line.
func yamlRecords(n *yaml.Node) ([]map[string]any, []int, error) {
	items := make([]map[string]any, len(n.Content))
	lines := make([]int, len(n.Content))
	for i, item := range n.Content {
		lines[i] = item.Line
		if item.Kind == yaml.AliasNode {
			item = item.Alias
		}
		if item.Kind != yaml.MappingNode {
			return nil, nil, &PositionError{item.Line, item.Column, fmt.Errorf("record %d: want an object", i)}
		}
		var v any
		if err := item.Decode(&v); err != nil {
			return nil, nil, &PositionError{item.Line, item.Column, fmt.Errorf("record %d: %w", i, err)}
		}
		rec, err := asJSONObject(v)
		if err != nil {
			return nil, nil, &PositionError{item.Line, item.Column, fmt.Errorf("record %d: %w", i, err)}
		}
		items[i] = rec
	}
	return items, lines, nil
}

// asJSONObject makes a decoded YAML value what encoding/json gives for the
// same object: float64 numbers, string keys.
func asJSONObject(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil || rec == nil {
		return nil, errors.New("want an object")
	}
	return rec, nil
}

// MarshalYAML writes the file name or the list.
func (r Records) MarshalYAML() (any, error) {
	if r.File != "" {
		return r.File, nil
	}
	if r.Items == nil {
		return []map[string]any{}, nil
	}
	return r.Items, nil
}

// UnmarshalJSON reads a file name or an array of objects.
func (r *Records) UnmarshalJSON(data []byte) error {
	*r = Records{}
	var file string
	if err := json.Unmarshal(data, &file); err == nil {
		r.File = file
		return nil
	}
	if err := json.Unmarshal(data, &r.Items); err != nil {
		return errors.New("want a list of records or the name of a file of them (.json, .yaml, .ndjson)")
	}
	for i, it := range r.Items {
		if it == nil {
			return fmt.Errorf("record %d: want an object", i)
		}
	}
	return nil
}

// MarshalJSON writes the file name or the array.
func (r Records) MarshalJSON() ([]byte, error) {
	v, _ := r.MarshalYAML()
	return json.Marshal(v)
}

// JSONSchema describes both forms for editors.
func (Records) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "records: a list of objects, or a file of them (.json, .yaml, .yml, .ndjson, .jsonl) relative to this file; a string value that is exactly ${now}, ${now-5m}, ${now+90s} or ${now-30d} becomes that instant, RFC 3339 UTC",
		OneOf: []*jsonschema.Schema{
			{Type: "array", Items: &jsonschema.Schema{Type: "object"}},
			{Type: "string", Pattern: `\.(json|ya?ml|ndjson|jsonl|JSON|YA?ML|NDJSON|JSONL)$`, Examples: []any{"seeds/customers.ndjson"}},
		},
	}
}

// Record is one seed record and where it was written.
type Record struct {
	Data map[string]any
	File string // the file that holds it; "" for one written inline where the file is unknown
	Line int    // its line in File; 0 when unknown
}

// Load reads the records, from the file when there is one (a relative
// path is read from the working directory: ResolveRecords first). inline
// names the file an inline list was written in, for Record.File.
func (r Records) Load(inline string) ([]Record, error) {
	if r.File == "" {
		out := make([]Record, len(r.Items))
		for i, it := range r.Items {
			out[i] = Record{Data: it, File: inline}
			if i < len(r.lines) {
				out[i].Line = r.lines[i]
			}
		}
		return out, nil
	}
	data, err := os.ReadFile(r.File)
	if err != nil {
		return nil, fmt.Errorf("records file: %w", err)
	}
	switch strings.ToLower(filepath.Ext(r.File)) {
	case ".json":
		return jsonArrayRecords(r.File, data)
	case ".yaml", ".yml":
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", r.File, err)
		}
		if len(doc.Content) == 0 {
			return nil, nil
		}
		if doc.Content[0].Kind != yaml.SequenceNode {
			return nil, &PositionError{doc.Content[0].Line, doc.Content[0].Column, fmt.Errorf("%s: want a list of records", r.File)}
		}
		items, lines, err := yamlRecords(doc.Content[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.File, err)
		}
		out := make([]Record, len(items))
		for i := range items {
			out[i] = Record{Data: items[i], File: r.File, Line: lines[i]}
		}
		return out, nil
	case ".ndjson", ".jsonl":
		return lineRecords(r.File, data)
	}
	return nil, fmt.Errorf("records file %q: want one of %s", r.File, strings.Join(RecordFormats, ", "))
}

// jsonArrayRecords reads a JSON array of objects, with each one's line.
func jsonArrayRecords(file string, data []byte) ([]Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, &PositionError{1, 1, fmt.Errorf("%s: want a JSON array of records", file)}
	}
	var out []Record
	for dec.More() {
		start := dec.InputOffset()
		for int(start) < len(data) && strings.ContainsRune(" \t\r\n,", rune(data[start])) {
			start++
		}
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil || rec == nil {
			if err == nil {
				err = errors.New("want an object")
			}
			return nil, &PositionError{lineAt(start), 1, fmt.Errorf("%s: record %d: %w", file, len(out), err)}
		}
		out = append(out, Record{Data: rec, File: file, Line: lineAt(start)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, &PositionError{lineAt(dec.InputOffset()), 1, fmt.Errorf("%s: %w", file, err)}
	}
	return out, nil
}

// lineRecords reads one JSON object a line; blank lines are skipped.
func lineRecords(file string, data []byte) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(text, &rec); err != nil || rec == nil {
			if err == nil {
				err = errors.New("want an object")
			}
			return nil, &PositionError{line, 1, fmt.Errorf("%s: record %d: %w", file, len(out), err)}
		}
		out = append(out, Record{Data: rec, File: file, Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// ResolveRecords returns the records of a declaration with their relative
// file names made relative to dir, the folder of the file the declaration
// was written in. The map is a new one; inline records are shared.
func ResolveRecords(records map[string]Records, dir string) map[string]Records {
	if records == nil {
		return nil
	}
	out := make(map[string]Records, len(records))
	for name, r := range records {
		if r.File != "" && !filepath.IsAbs(r.File) {
			r.File = filepath.Join(dir, r.File)
		}
		out[name] = r
	}
	return out
}
