package graphql

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Lists the mock generates have between minListLen and maxListLen items:
// enough to show a list, small enough to keep deep queries cheap.
const (
	minListLen = 2
	maxListLen = 3
)

// mix derives a child seed from a parent seed and the parts of a path.
func mix(seed uint64, parts ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func mixIndex(seed uint64, i int) uint64 {
	return mix(seed, fmt.Sprint(i))
}

// listLen is how many items a generated list has.
func listLen(seed uint64) int {
	return minListLen + int(seed%uint64(maxListLen-minListLen+1))
}

// pickEnum returns one of def's values.
func pickEnum(def *ast.Definition, seed uint64) any {
	if len(def.EnumValues) == 0 {
		return nil
	}
	return def.EnumValues[seed%uint64(len(def.EnumValues))].Name
}

// pickConcrete chooses the object type a generated value of the abstract
// type def has: among its possible object types sorted by name, by seed.
func pickConcrete(s *ast.Schema, def *ast.Definition, seed uint64) *ast.Definition {
	if def.Kind == ast.Object {
		return def
	}
	var objs []*ast.Definition
	for _, p := range s.GetPossibleTypes(def) {
		if p.Kind == ast.Object {
			objs = append(objs, p)
		}
	}
	if len(objs) == 0 {
		return nil
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })
	return objs[seed%uint64(len(objs))]
}

// ScalarFunc makes the value of a scalar field: its field name, the scalar
// type's name and a seed. The mock calls it for every generated scalar; it
// must be deterministic for its arguments.
type ScalarFunc func(fieldName, scalarType string, seed int64) any

// defaultScalar is the mock's built-in scalar generator: values that look
// like what the field name and scalar type suggest.
func defaultScalar(fieldName, scalarType string, seed int64) any {
	u := uint64(seed)
	name := strings.ToLower(fieldName)
	switch scalarType {
	case "Int":
		return int32(u % 1000)
	case "Float":
		return float64(u%100000) / 100
	case "Boolean":
		return u%2 == 0
	case "ID":
		return fmt.Sprintf("%016x", u)[:12]
	}
	typ := strings.ToLower(scalarType)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(u%(365*24*3600)) * time.Second)
	switch {
	case strings.Contains(typ, "datetime") || strings.Contains(typ, "timestamp") || typ == "iso8601datetime":
		return at.Format(time.RFC3339)
	case typ == "date":
		return at.Format(time.DateOnly)
	case typ == "uri" || typ == "url" || strings.Contains(name, "url"):
		return fmt.Sprintf("https://example.com/%s/%d", fieldName, u%10000)
	case typ == "html":
		return fmt.Sprintf("<p>%s %d</p>", fieldName, u%1000)
	case typ == "json":
		return fmt.Sprintf(`{"%s":%d}`, fieldName, u%1000)
	case typ == "bigint" || strings.Contains(typ, "int"):
		return fmt.Sprint(u % 1000000)
	case strings.Contains(typ, "money") || strings.Contains(typ, "decimal"):
		return fmt.Sprintf("%d.%02d", u%1000, u%100)
	case typ == "gitobjectid":
		return fmt.Sprintf("%016x%016x%08x", u, u^0x9e3779b97f4a7c15, uint32(u))
	case typ == "boolean":
		return u%2 == 0
	}
	switch {
	case strings.Contains(name, "email"):
		return fmt.Sprintf("user%d@example.com", u%10000)
	case strings.Contains(name, "name"):
		return fmt.Sprintf("%s %d", strings.ToUpper(fieldName[:1])+fieldName[1:], u%1000)
	case strings.HasSuffix(name, "at") || strings.Contains(name, "date") || strings.Contains(name, "time"):
		return at.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s-%d", fieldName, u%10000)
}
