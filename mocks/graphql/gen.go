package graphql

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"sort"

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
// Deprecated values are left out while others remain: a mock answers with
// what a current server would.
func pickEnum(def *ast.Definition, seed uint64) any {
	var live []string
	for _, v := range def.EnumValues {
		if v.Directives.ForName("deprecated") == nil {
			live = append(live, v.Name)
		}
	}
	if len(live) == 0 {
		for _, v := range def.EnumValues {
			live = append(live, v.Name)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[seed%uint64(len(live))]
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

// zeroScalar is the value of last resort, when a ScalarFunc gives a value
// the scalar type cannot hold.
func zeroScalar(fieldName, typ string) any {
	switch typ {
	case "Int":
		return int64(0)
	case "Float":
		return 0.0
	case "Boolean":
		return false
	}
	return fieldName
}
