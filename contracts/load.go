package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// ErrRemoteRef is the cause of a LoadError for a $ref to a URL: firedrill
// reads local files only, so a contract never makes it reach the network.
var ErrRemoteRef = errors.New("remote $ref refused: only local files are loaded")

// LoadError is a contract that could not be loaded, located as precisely as
// known: the file, the line and column (0 when unknown) and the JSON pointer
// of the offending element.
type LoadError struct {
	File    string
	Line    int
	Column  int
	Pointer string
	Err     error

	rule string // the lint rule the failure falls under
}

// Error renders the error as file:line:col: pointer: reason.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Pointer != "" {
		b.WriteString(e.Pointer + ": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// LoadOpenAPI reads and loads the OpenAPI document at path: Swagger 2.0
// (converted to OpenAPI 3), OpenAPI 3.0 or 3.1, in YAML or JSON, with $refs to
// local files resolved relative to it ($refs to URLs are refused).
//
// The load is tolerant: it refuses only what it cannot load, and repairs
// what would make serving fail (patterns Go cannot compile, arrays without
// items, unquoted YAML numbers where a string is meant), with a warning
// each in Problems. Strict validation is not run here: it costs as much as
// loading Stripe's contract and real contracts fail it; StrictProblems and
// Lint run it. A file that cannot be read returns an error wrapping the fs error; a
// document that cannot be loaded returns a *LoadError.
func LoadOpenAPI(ctx context.Context, path string) (*OpenAPI, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contracts: read contract: %w", err)
	}
	return ParseOpenAPI(ctx, path, data)
}

// ParseOpenAPI loads an OpenAPI document from data; path names it in errors
// and problems and anchors its relative $refs.
func ParseOpenAPI(ctx context.Context, path string, data []byte) (*OpenAPI, error) {
	c, _, err := parseOpenAPI(ctx, path, data)
	return c, err
}

// parseOpenAPI is ParseOpenAPI that also returns the sources, so a failed
// load can still be inspected (every broken $ref, not only the first).
func parseOpenAPI(ctx context.Context, path string, data []byte) (*OpenAPI, *sources, error) {
	return parseOpenAPIOrigins(ctx, path, data, false)
}

// parseOpenAPIOrigins is parseOpenAPI that, with origins, has the loader
// record where each element was written (what a diff locates changes by;
// it costs load time, so only a diff asks for it).
func parseOpenAPIOrigins(ctx context.Context, path string, data []byte, origins bool) (*OpenAPI, *sources, error) {
	c, src, err := loadUnprepared(ctx, path, data, origins)
	if err != nil {
		return nil, src, err
	}
	c.Problems = append(c.Problems, c.prepare(isYAML(data))...)
	c.Problems = tidyProblems(c.Problems)
	return c, src, nil
}

// loadUnprepared is the loader's document before prepare repairs it, with
// the problems of the scalars the loader needed quoted.
func loadUnprepared(ctx context.Context, path string, data []byte, origins bool) (*OpenAPI, *sources, error) {
	src := newSources(path, data)
	if err := ctx.Err(); err != nil {
		return nil, src, fmt.Errorf("contracts: load %s: %w", path, err)
	}
	// The version is read from the document's top-level lines when they say
	// it plainly, so the document is parsed once, by the loader. When the
	// loader disagrees or fails, the document is read in full as before:
	// that read decides the version and locates syntax errors.
	version, declared, quick := quickVersion(data)
	if !quick {
		v, err := sniffVersion(path, data)
		if err != nil {
			return nil, src, src.locateSniff(err)
		}
		version = v
	}
	doc, said, fixes, err := loadRetyping(ctx, version, data, src, origins)
	if quick && ctx.Err() == nil && (err != nil || said != declared) {
		full, serr := sniffVersion(path, data)
		if serr != nil {
			return nil, src, src.locateSniff(serr)
		}
		if full != version {
			version = full
			doc, _, fixes, err = loadRetyping(ctx, version, data, src, origins)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, src, fmt.Errorf("contracts: load %s: %w", path, ctx.Err())
		}
		return nil, src, src.loadError(err)
	}
	c := &OpenAPI{Path: path, Version: version, Doc: doc, src: src}
	src.doc = doc
	c.Problems = c.retypedProblems(fixes)
	return c, src, nil
}

// locateSniff gives a version sniff's error the line of its pointer.
func (s *sources) locateSniff(err error) error {
	var le *LoadError
	if errors.As(err, &le) && le.Pointer != "" && le.Line == 0 {
		if pos := s.locate(le.Pointer); pos.exact {
			le.Line, le.Column = pos.line, pos.col
		}
	}
	return err
}

// loadRetyping loads data as the given version; when the loader refuses a
// YAML scalar typed as a number or boolean where OpenAPI wants a string, it
// quotes that scalar and loads again, up to maxRetypes times. It returns
// the version the loaded document declares and the scalars it quoted.
func loadRetyping(ctx context.Context, version string, data []byte, src *sources, origins bool) (*openapi3.T, string, []retyped, error) {
	src.v2 = version == "2.0"
	newLoader := func() *openapi3.Loader {
		return &openapi3.Loader{Context: ctx, IsExternalRefsAllowed: true, ReadFromURIFunc: src.readLocal(ctx), IncludeOrigin: origins}
	}
	loc := &url.URL{Path: src.root}
	doc, said, err := loadDoc(version, data, newLoader(), loc)
	var fixes []retyped
	for feed := data; err != nil && isYAML(data) && len(fixes) < maxRetypes; {
		ptr, name := typeErrorField(err)
		if name == "" {
			break
		}
		next, fix, ok := quoteScalar(feed, ptr, name)
		if !ok {
			break
		}
		fixes = append(fixes, fix)
		feed = next
		doc, said, err = loadDoc(version, feed, newLoader(), loc)
	}
	return doc, said, fixes, err
}

// loadDoc runs kin-openapi's loader; a panic in it (a document shape it
// does not expect) becomes an error, so a contract never crashes firedrill.
func loadDoc(version string, data []byte, loader *openapi3.Loader, loc *url.URL) (doc *openapi3.T, said string, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, said, err = nil, "", fmt.Errorf("the OpenAPI loader failed on this document: %v", r)
		}
	}()
	if version == "2.0" {
		return loadV2(data, loader, loc)
	}
	doc, err = loader.LoadFromDataWithPath(data, loc)
	if err != nil {
		return nil, "", err
	}
	return doc, doc.OpenAPI, nil
}

// loadV2 converts a Swagger 2.0 document; said is its swagger field.
func loadV2(data []byte, loader *openapi3.Loader, loc *url.URL) (*openapi3.T, string, error) {
	var doc2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &doc2); err != nil {
		return nil, "", err
	}
	doc, err := openapi2conv.ToV3WithLoader(&doc2, loader, loc)
	return doc, doc2.Swagger, err
}

// versionHeader is what sniffVersion reads of a document: only the fields
// that say which OpenAPI it is.
type versionHeader struct {
	Swagger any `json:"swagger" yaml:"swagger"`
	OpenAPI any `json:"openapi" yaml:"openapi"`
}

// sniffVersion tells Swagger 2.0 from OpenAPI 3.x and turns syntax errors
// into located LoadErrors.
func sniffVersion(file string, data []byte) (string, error) {
	var h versionHeader
	if !isYAML(data) {
		err := json.Unmarshal(data, &h)
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := offsetLine(data, se.Offset)
			return "", &LoadError{File: file, Line: line, Column: col, Err: fmt.Errorf("invalid JSON: %w", err), rule: RuleSyntax}
		case errors.As(err, &te):
			return "", &LoadError{File: file, Err: errors.New("document is not a JSON object"), rule: RuleSyntax}
		case err != nil:
			return "", &LoadError{File: file, Err: fmt.Errorf("invalid JSON: %w", err), rule: RuleSyntax}
		}
	} else if err := yaml.Unmarshal(data, &h); err != nil {
		line := yamlErrorLine(err)
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLinePrefix.ReplaceAllString(msg, "")
		if strings.Contains(msg, "cannot unmarshal") {
			msg = "document is not a mapping of OpenAPI fields"
		}
		return "", &LoadError{File: file, Line: line, Err: fmt.Errorf("invalid YAML: %s", msg), rule: RuleSyntax}
	}
	switch {
	case h.Swagger != nil:
		v := scalarString(h.Swagger)
		if v != "2.0" {
			return "", &LoadError{File: file, Pointer: "/swagger", Err: fmt.Errorf("unsupported swagger version %q (want 2.0)", v)}
		}
		return v, nil
	case h.OpenAPI != nil:
		v := scalarString(h.OpenAPI)
		if !strings.HasPrefix(v, "3.") {
			return "", &LoadError{File: file, Pointer: "/openapi", Err: fmt.Errorf("unsupported openapi version %q (want 3.0 or 3.1)", v)}
		}
		return v, nil
	}
	return "", &LoadError{File: file, Err: errors.New("not an OpenAPI document: no swagger or openapi version field"), rule: RuleSyntax}
}

// scalarString renders a version field however it was typed (swagger: 2.0
// unquoted in YAML is a float).
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case int:
		return strconv.Itoa(x) + ".0"
	}
	return fmt.Sprint(v)
}

// isYAML reports whether data is YAML rather than JSON: JSON documents are
// objects and start with '{'.
func isYAML(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(data) == 0 || data[0] != '{'
}

var (
	yamlLinePrefix = regexp.MustCompile(`^line \d+: `)
	yamlLineRe     = regexp.MustCompile(`line (\d+)`)
)

func yamlErrorLine(err error) int {
	m := yamlLineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// offsetLine converts a byte offset into a 1-based line and column.
func offsetLine(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// readLocal is the loader's only way to reach another file: local paths,
// read once and kept for locating problems; URLs are refused.
func (s *sources) readLocal(ctx context.Context) openapi3.ReadFromURIFunc {
	return func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if (u.Scheme != "" && u.Scheme != "file") || u.Host != "" {
			return nil, fmt.Errorf("%w: %s", ErrRemoteRef, u.Redacted())
		}
		name := path.Clean(u.Path)
		if data, ok := s.file(name); ok {
			return data, nil
		}
		data, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			return nil, err
		}
		s.add(name, data)
		return data, nil
	}
}
