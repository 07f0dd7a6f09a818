package contracts

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// The rules of the problems loading records.
const (
	RulePatternUnsupported = "pattern-unsupported" // a pattern Go's regexp cannot compile; cleared
	RuleYAMLTypedValue     = "yaml-typed-value"    // an unquoted YAML scalar read as a number where the schema wants a string; retyped
	RuleArrayItemsMissing  = "array-items-missing" // an OpenAPI 2.0/3.0 array schema without items; any item accepted
)

// Name is a short slug for the contract: the file name without its
// extensions (accounting.openapi.yaml gives "accounting"), or the slugified
// info.title when the file name says nothing (openapi.yaml, swagger.json, no
// file at all).
func (c *OpenAPI) Name() string {
	base := filepath.Base(c.Path)
	for {
		ext := strings.ToLower(filepath.Ext(base))
		switch ext {
		case ".yaml", ".yml", ".json", ".openapi", ".swagger", ".oas", ".oas3", ".spec":
			base = strings.TrimSuffix(base, base[len(base)-len(ext):])
			continue
		}
		break
	}
	switch strings.ToLower(base) {
	case "", ".", "/", "openapi", "swagger", "api", "spec", "oas", "contract", "schema":
		if c.Doc != nil && c.Doc.Info != nil && slug(c.Doc.Info.Title) != "" {
			return slug(c.Doc.Info.Title)
		}
	}
	if s := slug(base); s != "" {
		return s
	}
	return "api"
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// BasePath is the path of the first server URL, with server variables
// replaced by their defaults and no trailing slash: servers
// https://api.example.com/v1 give "/v1"; Swagger 2.0's basePath after
// conversion; "" with no servers or a root server.
func (c *OpenAPI) BasePath() string {
	if c == nil || c.Doc == nil || len(c.Doc.Servers) == 0 || c.Doc.Servers[0] == nil {
		return ""
	}
	srv := c.Doc.Servers[0]
	raw := srv.URL
	for name, v := range srv.Variables {
		if v == nil {
			continue
		}
		val := v.Default
		if val == "" && len(v.Enum) > 0 {
			val = v.Enum[0]
		}
		raw = strings.ReplaceAll(raw, "{"+name+"}", val)
	}
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.Path
	} else if i := strings.Index(raw, "://"); i >= 0 {
		p = raw[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
	}
	if p == "" {
		return ""
	}
	p = path.Clean("/" + p)
	return strings.TrimSuffix(p, "/")
}

// prepare makes the loaded document safe to serve, in one walk over its
// schemas (components, parameters, bodies, responses, headers and
// everything nested, once each, cycles included), with a warning for each
// repair:
//
//   - a pattern Go's regexp cannot compile (after the \uXXXX rewrite
//     kin-openapi applies) is cleared, so validation and generation never
//     trip on it;
//   - an array without items (Swagger 2.0 parameters often have none; 3.0
//     requires it) gets an empty items schema: any item is accepted;
//   - in a YAML document, an example, enum value or default that YAML typed
//     as a number or boolean where the schema says string is retyped
//     (retypeYAMLScalars).
//
// The walk builds the JSON pointer of a schema only for what it reports.
func (c *OpenAPI) prepare(yamlSource bool) []Problem {
	var out, typed []Problem
	needItems := !c.Doc.IsOpenAPI31OrLater()
	var sites []valueSite
	walkSchemas(c.Doc, func(w *schemaWalk, s *openapi3.Schema) {
		out = c.repairSchema(out, w, s, needItems)
		if yamlSource && wantsString(s) {
			sites = schemaSites(sites, w, s, withExamples|withEnums|withDefaults, true)
		}
	})
	if yamlSource {
		sites = append(sites, c.bodySites()...)
		typed = c.retypeYAMLScalars(sites)
	}
	return append(out, typed...)
}

// repairSchema repairs one schema (see prepare) and appends a problem for
// each repair to out.
func (c *OpenAPI) repairSchema(out []Problem, w *schemaWalk, s *openapi3.Schema, needItems bool) []Problem {
	if needItems && s.Items == nil && s.Type.Is(openapi3.TypeArray) {
		s.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		out = append(out, c.problemAt(SeverityWarning, RuleArrayItemsMissing, w.pointer(),
			"array schema has no items; any item is accepted"))
	}
	if len(s.PatternProperties) > 0 {
		for _, key := range sortedNames(s.PatternProperties) {
			if _, err := regexp.Compile(goPattern(key)); err != nil {
				out = append(out, c.problemAt(SeverityWarning, RulePatternUnsupported, w.pointer("patternProperties", key),
					fmt.Sprintf("patternProperties key %q is not supported by Go's regexp (%v); the properties it names are not checked", key, regexpReason(err))))
				delete(s.PatternProperties, key)
			}
		}
	}
	if s.Pattern == "" {
		return out
	}
	if _, err := regexp.Compile(goPattern(s.Pattern)); err != nil {
		out = append(out, c.problemAt(SeverityWarning, RulePatternUnsupported, w.pointer("pattern"),
			fmt.Sprintf("pattern %q is not supported by Go's regexp (%v); it is not enforced", s.Pattern, regexpReason(err))))
		s.Pattern = ""
	}
	return out
}

var unicodeEscapes = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// goPattern rewrites ECMA-262 \uXXXX escapes the way kin-openapi does.
func goPattern(p string) string { return unicodeEscapes.ReplaceAllString(p, `\x{$1}`) }

func regexpReason(err error) string {
	s := err.Error()
	return strings.TrimPrefix(s, "error parsing regexp: ")
}

// retypeYAMLScalars repairs what YAML typing does to values a schema
// declares as strings: an unquoted 044925 decodes as a number. Each example,
// enum value and default among sites so typed is replaced by its source
// text, with a warning, so that the mock serves "044925" and validation
// agrees.
func (c *OpenAPI) retypeYAMLScalars(sites []valueSite) []Problem {
	var out []Problem
	for _, site := range sites {
		if !yamlTyped(site) {
			continue
		}
		pos := c.src.locate(site.pointer)
		if !pos.exact || pos.node == nil || pos.node.Kind != yaml.ScalarNode || pos.node.Style != 0 {
			continue
		}
		site.set(pos.node.Value)
		p := c.problemAt(SeverityWarning, RuleYAMLTypedValue, site.pointer,
			fmt.Sprintf("unquoted %s is read by YAML as a %s but the schema says string; taken as the string %q (quote it)",
				pos.node.Value, jsonType(site.value), pos.node.Value))
		out = append(out, p)
	}
	return out
}

// wantsString reports whether s declares its values strings and nothing a
// YAML decoder could have typed them as instead.
func wantsString(s *openapi3.Schema) bool {
	return s != nil && s.Type.Is(openapi3.TypeString) && !s.Type.Includes(openapi3.TypeNumber) &&
		!s.Type.Includes(openapi3.TypeInteger) && !s.Type.Includes(openapi3.TypeBoolean)
}

// yamlTyped reports whether a site holds a number or a boolean where its
// schema wants a string: what an unquoted YAML scalar becomes.
func yamlTyped(site valueSite) bool {
	return wantsString(site.schema) && isNumberOrBool(site.value)
}

func isNumberOrBool(v any) bool {
	switch v.(type) {
	case float64, float32, int, int64, uint64, bool:
		return true
	}
	return false
}

// tidyProblems sorts problems and drops repeats: the same element reached
// through two $refs can be loaded as two copies, found twice.
func tidyProblems(ps []Problem) []Problem {
	sortProblems(ps)
	return slices.Compact(ps)
}

// sortProblems orders problems by file, line, column, then rule.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Pointer, b.Pointer),
		)
	})
}

func jsonType(v any) string {
	if _, ok := v.(bool); ok {
		return "boolean"
	}
	return "number"
}
