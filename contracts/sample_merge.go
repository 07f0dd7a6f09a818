package contracts

import (
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// merge flattens allOf into one schema that generation can follow: the union
// of properties and required names, the tightest bounds, the intersection of
// types and enums. Properties declared by several branches become an allOf of
// their declarations. The result is cached for the Sample call; the input is
// never changed.
func (g *sampler) merge(s *openapi3.Schema) *openapi3.Schema {
	if m, ok := g.merged[s]; ok {
		return m
	}
	out := *s
	out.AllOf = nil
	out.Properties = maps.Clone(s.Properties)
	out.Required = slices.Clone(s.Required)
	g.merged[s] = &out // a cycle through allOf sees the partial merge, not a loop
	for _, br := range s.AllOf {
		if br == nil || br.Value == nil {
			continue
		}
		b := br.Value
		if len(b.AllOf) > 0 {
			b = g.merge(b)
		}
		mergeInto(&out, b)
	}
	return &out
}

// mergeInto adds the constraints of b to out.
func mergeInto(out, b *openapi3.Schema) {
	out.Type = intersectTypes(out.Type, b.Type)
	if out.Format == "" {
		out.Format = b.Format
	}
	if out.Pattern == "" {
		out.Pattern = b.Pattern
	}
	if out.Const == nil {
		out.Const = b.Const
	}
	out.Enum = intersectEnum(out.Enum, b.Enum)
	out.Nullable = out.Nullable && b.Nullable
	out.ReadOnly = out.ReadOnly || b.ReadOnly
	out.WriteOnly = out.WriteOnly || b.WriteOnly
	out.UniqueItems = out.UniqueItems || b.UniqueItems
	mergeBounds(out, b)
	mergeObject(out, b)
	if out.Items == nil {
		out.Items = b.Items
	} else if b.Items != nil && b.Items != out.Items {
		out.Items = openapi3.NewSchemaRef("", &openapi3.Schema{AllOf: openapi3.SchemaRefs{out.Items, b.Items}})
	}
	if len(out.OneOf) == 0 && len(out.AnyOf) == 0 {
		out.OneOf, out.AnyOf = b.OneOf, b.AnyOf
		if out.Discriminator == nil {
			out.Discriminator = b.Discriminator
		}
	}
}

// mergeObject merges the object keywords of b into out.
func mergeObject(out, b *openapi3.Schema) {
	for _, name := range dedupNames(b.Required) {
		if !slices.Contains(out.Required, name) {
			out.Required = append(out.Required, name)
		}
	}
	if len(b.Properties) > 0 && out.Properties == nil {
		out.Properties = openapi3.Schemas{}
	}
	for name, ref := range b.Properties {
		prev, ok := out.Properties[name]
		switch {
		case !ok || prev == nil:
			out.Properties[name] = ref
		case prev != ref && ref != nil:
			out.Properties[name] = openapi3.NewSchemaRef("", &openapi3.Schema{AllOf: openapi3.SchemaRefs{prev, ref}})
		}
	}
	ap := b.AdditionalProperties
	switch {
	case ap.Has != nil && !*ap.Has:
		out.AdditionalProperties = ap
	case out.AdditionalProperties.Has == nil && out.AdditionalProperties.Schema == nil:
		out.AdditionalProperties = ap
	}
	out.MinProps = max(out.MinProps, b.MinProps)
	out.MaxProps = minBound(out.MaxProps, b.MaxProps)
}

// mergeBounds keeps the tightest numeric, length and count bounds.
func mergeBounds(out, b *openapi3.Schema) {
	if b.Min != nil && (out.Min == nil || *b.Min > *out.Min) {
		out.Min, out.ExclusiveMin.Bool = b.Min, b.ExclusiveMin.Bool
	}
	if b.Max != nil && (out.Max == nil || *b.Max < *out.Max) {
		out.Max, out.ExclusiveMax.Bool = b.Max, b.ExclusiveMax.Bool
	}
	if v := b.ExclusiveMin.Value; v != nil && (out.ExclusiveMin.Value == nil || *v > *out.ExclusiveMin.Value) {
		out.ExclusiveMin.Value = v
	}
	if v := b.ExclusiveMax.Value; v != nil && (out.ExclusiveMax.Value == nil || *v < *out.ExclusiveMax.Value) {
		out.ExclusiveMax.Value = v
	}
	if out.MultipleOf == nil {
		out.MultipleOf = b.MultipleOf
	}
	out.MinLength = max(out.MinLength, b.MinLength)
	out.MaxLength = minBound(out.MaxLength, b.MaxLength)
	out.MinItems = max(out.MinItems, b.MinItems)
	out.MaxItems = minBound(out.MaxItems, b.MaxItems)
}

// intersectTypes keeps the types both lists allow; an unset list allows all.
func intersectTypes(a, b *openapi3.Types) *openapi3.Types {
	switch {
	case b == nil || len(*b) == 0:
		return a
	case a == nil || len(*a) == 0:
		return b
	}
	var both openapi3.Types
	for _, t := range *a {
		if slices.Contains(*b, t) || (t == openapi3.TypeNumber && slices.Contains(*b, openapi3.TypeInteger)) {
			if t == openapi3.TypeNumber && slices.Contains(*b, openapi3.TypeInteger) {
				t = openapi3.TypeInteger
			}
			both = append(both, t)
		} else if t == openapi3.TypeInteger && slices.Contains(*b, openapi3.TypeNumber) {
			both = append(both, t)
		}
	}
	if len(both) == 0 {
		return a
	}
	return &both
}

// intersectEnum keeps the values both enums list; an empty enum allows all.
func intersectEnum(a, b []any) []any {
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return b
	}
	var both []any
	for _, x := range a {
		for _, y := range b {
			if sameJSON(x, y) {
				both = append(both, x)
				break
			}
		}
	}
	if len(both) == 0 {
		return a
	}
	return both
}

// sameJSON compares two values as JSON.
func sameJSON(a, b any) bool {
	return jsonText(jsonShape(a)) == jsonText(jsonShape(b))
}

func minBound(a, b *uint64) *uint64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case *b < *a:
		return b
	}
	return a
}
