package store

import "encoding/json"

// MergePatch applies a JSON merge patch (RFC 7386) to target and returns the
// result: when patch is an object, each member replaces the target's, null
// removes it and objects merge recursively; any other patch replaces the
// target whole. target may be modified; pass a copy to keep it. The result
// shares no memory with patch.
func MergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return deepCopy(patch)
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = MergePatch(t[k], v)
	}
	return t
}

func deepCopyRecord(r Record) Record {
	if r == nil {
		return nil
	}
	out, _ := deepCopy(r).(map[string]any)
	return out
}

// deepCopy copies JSON values; values of other types go through a JSON
// round trip so the copy shares nothing with the original.
func deepCopy(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
