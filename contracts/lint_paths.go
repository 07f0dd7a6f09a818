package contracts

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// templateParam matches one path template parameter: {id}.
var templateParam = regexp.MustCompile(`\{[^{}/]*\}`)

// pathShape is a template with its parameter names erased: /orders/{id}
// and /orders/{orderId} have the same shape and match the same URLs.
func pathShape(p string) string {
	return templateParam.ReplaceAllString(strings.TrimSuffix(p, "/"), "{}")
}

// lintPaths reports templates that match the same URLs as an earlier one
// for a method they share: a router cannot tell them apart. A literal
// segment beside a parameter (/orders/latest and /orders/{id}) is not
// reported: routers try literals first.
func (c *OpenAPI) lintPaths() []Problem {
	if c.Doc.Paths == nil {
		return nil
	}
	var out []Problem
	type seen struct {
		path    string
		methods map[string]bool
	}
	shapes := map[string][]seen{}
	for _, p := range c.pathsInOrder() {
		item := c.Doc.Paths.Value(p)
		if item == nil {
			continue
		}
		methods := map[string]bool{}
		for m := range item.Operations() {
			methods[m] = true
		}
		shape := pathShape(p)
		for _, prev := range shapes[shape] {
			var shared []string
			for m := range methods {
				if prev.methods[m] {
					shared = append(shared, m)
				}
			}
			if len(shared) == 0 {
				continue
			}
			sort.Strings(shared)
			out = append(out, c.problemAt(SeverityError, RulePathAmbiguous, Pointer("paths", p),
				fmt.Sprintf("path %s matches the same URLs as %s for %s: a router cannot tell them apart",
					p, prev.path, strings.Join(shared, ", "))))
		}
		shapes[shape] = append(shapes[shape], seen{path: p, methods: methods})
	}
	return out
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}
