package contracts

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// skipped reports whether a property is left out in this direction.
func (g *sampler) skipped(ps *openapi3.Schema) bool {
	if ps == nil {
		return false
	}
	if g.dir == Request {
		return ps.ReadOnly
	}
	return ps.WriteOnly
}

// object generates an object: every required property (but those the
// direction leaves out), some optional ones while there is depth and budget
// left, and one additionalProperties entry when there are no properties.
func (g *sampler) object(s *openapi3.Schema, key uint64, depth int) any {
	m := map[string]any{}
	g.path = append(g.path, s)
	defer func() { g.path = g.path[:len(g.path)-1] }()
	if depth >= g.maxDepth+hardDepthMargin {
		g.bad = g.bad || len(s.Required) > 0
		return m // a cycle of required properties: no finite valid value exists
	}
	maxProps := -1
	if s.MaxProps != nil {
		maxProps = int(*s.MaxProps)
	}
	full := func() bool { return maxProps >= 0 && len(m) >= maxProps }
	for _, name := range dedupNames(s.Required) {
		ref := s.Properties[name]
		if ref != nil && g.skipped(ref.Value) {
			continue
		}
		m[name] = g.property(s, ref, name, key, depth)
	}
	if !g.minimal(depth) && !(g.required && len(s.Required) > 0) {
		for _, name := range g.optional(s, key) {
			if full() {
				break
			}
			g.optionalProperty(s, m, name, key, depth)
		}
	}
	extra := 0
	if len(s.Properties) == 0 && !g.minimal(depth) {
		extra = 1
	}
	if need := int(min(s.MinProps, maxGenerated)) - len(m); need > extra {
		extra = need
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has && len(s.PatternProperties) == 0 {
		extra = 0
	}
	for i := 0; i < extra && !full(); i++ {
		k, ks := g.extraKey(s, key, i)
		if _, taken := m[k]; taken {
			continue
		}
		m[k] = g.property(s, ks, k, key, depth)
	}
	g.fillMinProps(s, m, key, depth)
	g.fillDependent(s, m, key, depth)
	return m
}

// fillDependent adds what dependentRequired (3.1) asks of the properties present.
func (g *sampler) fillDependent(s *openapi3.Schema, m map[string]any, key uint64, depth int) {
	for _, name := range slices.Sorted(maps.Keys(s.DependentRequired)) {
		if _, ok := m[name]; !ok {
			continue
		}
		for _, need := range s.DependentRequired[name] {
			if _, ok := m[need]; !ok {
				m[need] = g.property(s, s.Properties[need], need, key, depth)
			}
		}
	}
}

// property generates the value of one property; a property without a schema
// gets a string realistic for its name.
func (g *sampler) property(s *openapi3.Schema, ref *openapi3.SchemaRef, name string, key uint64, depth int) any {
	ck := childKey(key, name)
	if ref == nil || ref.Value == nil {
		if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
			return g.value(ap.Value, name, ck, depth+1)
		}
		return g.str(&openapi3.Schema{}, name, ck)
	}
	return g.value(ref.Value, name, ck, depth+1)
}

// optionalProperty adds an optional property, unless its value is known not
// to validate: then leaving it out is the valid choice.
func (g *sampler) optionalProperty(s *openapi3.Schema, m map[string]any, name string, key uint64, depth int) {
	if g.cycles(s.Properties[name]) {
		return
	}
	was := g.bad
	g.bad = false
	v := g.property(s, s.Properties[name], name, key, depth)
	if !g.bad {
		m[name] = v
	}
	g.bad = was
}

// cycles reports whether an optional property's schema (or its items) is
// one of the objects being generated: following it would only repeat them.
func (g *sampler) cycles(ref *openapi3.SchemaRef) bool {
	if ref == nil || ref.Value == nil {
		return false
	}
	ps := ref.Value
	if ps.Items != nil && ps.Items.Value != nil {
		ps = ps.Items.Value
	}
	if slices.Contains(g.path, ps) {
		return true
	}
	for _, alt := range append(slices.Clone(ps.AnyOf), ps.OneOf...) {
		if alt != nil && alt.Value != nil && slices.Contains(g.path, alt.Value) {
			return true
		}
	}
	return false
}

// optional lists the optional properties to fill, at most maxOptional of them,
// chosen by the seed but listed in name order.
func (g *sampler) optional(s *openapi3.Schema, key uint64) []string {
	var names []string
	for _, name := range sortedSchemaNames(s.Properties) {
		ref := s.Properties[name]
		if slices.Contains(s.Required, name) || ref == nil || g.skipped(ref.Value) {
			continue
		}
		names = append(names, name)
	}
	if len(names) <= maxOptional {
		return names
	}
	f := g.faker(childKey(key, "\x00optional"))
	f.ShuffleStrings(names)
	names = names[:maxOptional]
	slices.Sort(names)
	return names
}

// fillMinProps adds properties until minProperties holds, drawing on the
// optional properties the minimal path left out.
func (g *sampler) fillMinProps(s *openapi3.Schema, m map[string]any, key uint64, depth int) {
	for _, name := range sortedSchemaNames(s.Properties) {
		if len(m) >= int(min(s.MinProps, maxGenerated)) {
			return
		}
		if _, ok := m[name]; ok || g.skipped(s.Properties[name].Value) {
			continue
		}
		g.optionalProperty(s, m, name, key, depth)
	}
}

// extraKey names an additional property and gives its schema: a key from
// a patternProperties pattern with that pattern's schema when the schema has
// one, else a key from propertyNames or a word, with additionalProperties.
func (g *sampler) extraKey(s *openapi3.Schema, key uint64, i int) (string, *openapi3.SchemaRef) {
	ck := childKey(key, fmt.Sprintf("\x00key%d", i))
	for _, p := range sortedSchemaNames(s.PatternProperties) {
		if k, ok := g.fromPattern(g.pattern(p), 1, 24, ck, "", nil); ok {
			return k, s.PatternProperties[p]
		}
	}
	if pn := s.PropertyNames; pn != nil && pn.Value != nil {
		if k, ok := g.value(pn.Value, "key", ck, 0).(string); ok {
			return k, s.AdditionalProperties.Schema
		}
	}
	return strings.ToLower(g.faker(ck).NounConcrete()) + fmt.Sprint(i+1), s.AdditionalProperties.Schema
}

// array generates an array: one or two items (minItems when minimal),
// distinct when uniqueItems says so.
func (g *sampler) array(s *openapi3.Schema, name string, key uint64, depth int) any {
	n := int(min(s.MinItems, maxGenerated))
	if !g.minimal(depth) && depth < g.maxDepth+hardDepthMargin {
		want := 1 + int(mixSeed(key, 2)%2)
		n = max(n, want)
	}
	if s.MaxItems != nil && n > int(*s.MaxItems) {
		n = int(*s.MaxItems)
	}
	out := make([]any, 0, n)
	seen := map[string]bool{}
	for i := 0; len(out) < n && i < n+8; i++ {
		v := g.item(s, name, childKey(key, fmt.Sprint(i)), len(out), depth)
		if s.UniqueItems {
			b, _ := json.Marshal(v)
			if seen[string(b)] {
				continue
			}
			seen[string(b)] = true
		}
		out = append(out, v)
	}
	return out
}

// item generates the array item at index i: from prefixItems, then items.
func (g *sampler) item(s *openapi3.Schema, name string, key uint64, i, depth int) any {
	if i < len(s.PrefixItems) && s.PrefixItems[i] != nil && s.PrefixItems[i].Value != nil {
		return g.value(s.PrefixItems[i].Value, name, key, depth+1)
	}
	if s.Items != nil && s.Items.Value != nil {
		return g.value(s.Items.Value, name, key, depth+1)
	}
	return g.str(&openapi3.Schema{}, name, key)
}

// choice generates a value for oneOf/anyOf: it tries the branches in a seeded
// order (the smallest first when minimal), merged with the schema's own
// keywords, and keeps the first candidate that validates against the whole
// schema. With a discriminator, the discriminating property is set to the
// mapping value of the chosen branch.
func (g *sampler) choice(s *openapi3.Schema, name string, key uint64, depth int) any {
	branches := s.OneOf
	if len(branches) == 0 {
		branches = s.AnyOf
	}
	base := *s
	base.OneOf, base.AnyOf, base.Discriminator = nil, nil, nil
	base.Example, base.Examples, base.Default, base.Enum = nil, nil, nil, nil
	withBase := constrainsValue(&base)
	var fallback any
	was := g.bad
	idRef := expandable(branches)
	tries := 8
	if g.minimal(depth) {
		tries = 2
	}
	for n, i := range g.order(branches, key, depth) {
		if n >= tries {
			break
		}
		br := branches[i]
		if br == nil || br.Value == nil {
			continue
		}
		cand := br.Value
		g.bad = false
		if withBase {
			cand = g.merge(&openapi3.Schema{AllOf: openapi3.SchemaRefs{
				openapi3.NewSchemaRef("", &base), br,
			}})
		}
		brName := name
		if idRef && typeIs(br.Value, openapi3.TypeString) {
			brName = name + "_id" // the string form of an expandable object is its id
		}
		v := g.value(cand, brName, childKey(key, fmt.Sprintf("\x00branch%d", i)), depth+1)
		if d := s.Discriminator; d != nil {
			if obj, ok := v.(map[string]any); ok {
				if tag := discriminatorValue(d, br); tag != "" {
					tagged := cloneValue(obj).(map[string]any)
					tagged[d.PropertyName] = tag
					if g.valid(s, tagged) {
						g.bad = was
						return tagged
					}
				}
			}
		}
		if g.valid(s, v) {
			g.bad = was // whatever went wrong inside, the value validates
			return v
		}
		if n == 0 {
			fallback = v
		}
	}
	g.bad = true
	return fallback
}

// expandable reports whether the branches offer an object with an id: then
// a string branch stands for that object's id (Stripe's expandable fields:
// anyOf [string, customer]).
func expandable(branches openapi3.SchemaRefs) bool {
	for _, br := range branches {
		if br != nil && br.Value != nil && br.Value.Properties["id"] != nil {
			return true
		}
	}
	return false
}

// order lists branch indexes to try: rotated by the seed, or cheapest first
// when values must be minimal.
func (g *sampler) order(branches openapi3.SchemaRefs, key uint64, depth int) []int {
	n := len(branches)
	idx := make([]int, n)
	start := int(mixSeed(key, 3) % uint64(max(n, 1)))
	for i := range idx {
		idx[i] = (start + i) % n
	}
	if g.minimal(depth) {
		slices.SortStableFunc(idx, func(a, b int) int {
			return branchCost(branches[a]) - branchCost(branches[b])
		})
	}
	return idx
}

// branchCost ranks a branch by how much it takes to generate: scalars first.
func branchCost(r *openapi3.SchemaRef) int {
	if r == nil || r.Value == nil {
		return 100
	}
	s := r.Value
	switch {
	case typeIs(s, openapi3.TypeObject) || len(s.Properties) > 0 || len(s.AllOf) > 0:
		return 10 + len(s.Required)
	case typeIs(s, openapi3.TypeArray):
		return 5 + int(s.MinItems)
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		return 8
	}
	return 0
}

// discriminatorValue is the discriminator value naming branch br: its key in
// the mapping, or the schema name its $ref ends with.
func discriminatorValue(d *openapi3.Discriminator, br *openapi3.SchemaRef) string {
	if br.Ref == "" {
		return ""
	}
	keys := make([]string, 0, len(d.Mapping))
	for k := range d.Mapping {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	short := br.Ref[strings.LastIndex(br.Ref, "/")+1:]
	for _, k := range keys {
		if ref := d.Mapping[k].Ref; ref == br.Ref || ref == short {
			return k
		}
	}
	if len(d.Mapping) > 0 {
		return ""
	}
	return short
}

// constrainsValue reports whether a schema says anything about a value.
func constrainsValue(s *openapi3.Schema) bool {
	return s.Type != nil || len(s.Properties) > 0 || len(s.Required) > 0 || len(s.AllOf) > 0 ||
		s.Items != nil || s.Format != "" || s.Pattern != "" || s.Min != nil || s.Max != nil ||
		s.MaxLength != nil || s.MinLength > 0 || s.AdditionalProperties.Has != nil ||
		s.AdditionalProperties.Schema != nil || s.MinItems > 0 || s.MaxItems != nil
}

// dedupNames returns names without repeats, in order.
func dedupNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
