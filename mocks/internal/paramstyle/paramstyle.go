// Package paramstyle writes values in OpenAPI's parameter serialization
// styles. The mock uses it for the headers it answers with, and the mocks'
// request generator for the parameters it sends, so both write a value the
// same way.
package paramstyle

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Simple writes v in the simple style (path and header parameters): arrays
// as comma-separated items, objects as comma-separated keys and values in
// key order, numbers exactly in plain decimals (1.5, 3, 0.0000001), nil as
// "". v is JSON-shaped, as contracts.Sample and encoding/json make values
// (int64 integers too); anything else is written by fmt.Sprint.
func Simple(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = Simple(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		parts := make([]string, 0, 2*len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			parts = append(parts, k, Simple(t[k]))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
