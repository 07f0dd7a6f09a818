package ci

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// kind is the type of a canonical value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindInt    // n holds the int64 bits
	kindDouble // n holds the float64 bits
	kindString
	kindTime  // n holds Unix nanoseconds, UTC
	kindOther // s holds the JSON text of a list or map
	kindError // s holds the evaluation error
)

// value is a canonical field value: 32 bytes, no pointers besides the string,
// so a million records of ten fields stay compact.
type value struct {
	s string
	n uint64
	k kind
}

func nullValue() value { return value{} }
func boolValue(b bool) value {
	v := value{k: kindBool}
	if b {
		v.n = 1
	}
	return v
}
func intValue(i int64) value      { return value{k: kindInt, n: uint64(i)} }
func doubleValue(f float64) value { return value{k: kindDouble, n: math.Float64bits(f)} }
func stringValue(s string) value  { return value{k: kindString, s: s} }
func timeValue(t time.Time) value { return value{k: kindTime, n: uint64(t.UnixNano())} }
func errorValue(err error) value  { return value{k: kindError, s: err.Error()} }
func (v value) float() float64    { return math.Float64frombits(v.n) }
func (v value) int() int64        { return int64(v.n) }
func (v value) time() time.Time   { return time.Unix(0, int64(v.n)).UTC() }
func (v value) numeric() bool     { return v.k == kindInt || v.k == kindDouble }
func (v value) asFloat() float64 {
	if v.k == kindInt {
		return float64(v.int())
	}
	return v.float()
}

// empty reports whether v is null, an empty string, or an empty list or map.
func (v value) empty() bool {
	switch v.k {
	case kindNull:
		return true
	case kindString:
		return v.s == ""
	case kindOther:
		return v.s == "[]" || v.s == "{}"
	}
	return false
}

// native returns v as a plain Go value, for diffs and reports.
func (v value) native() any {
	switch v.k {
	case kindBool:
		return v.n == 1
	case kindInt:
		return v.int()
	case kindDouble:
		return v.float()
	case kindString:
		return v.s
	case kindTime:
		return v.time().Format(time.RFC3339Nano)
	case kindOther:
		return json.RawMessage(v.s)
	case kindError:
		return "error: " + v.s
	}
	return nil
}

// json is v as JSON text, for diffs: numbers as numbers whatever their
// kind, instants as RFC 3339 text.
func (v value) json() string {
	switch v.k {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(v.n == 1)
	case kindInt:
		return strconv.FormatInt(v.int(), 10)
	case kindDouble:
		if f := v.float(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			b, _ := json.Marshal(f)
			return string(b)
		}
		return strconv.FormatFloat(v.float(), 'g', -1, 64) // not JSON, but what it is
	case kindOther:
		return v.s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v.native())
	return strings.TrimSuffix(b.String(), "\n")
}

// keyText is the join-key form of v: numbers and strings with the same text
// join (42, 42.0 and "42" are one key).
func (v value) keyText() string {
	switch v.k {
	case kindNull:
		return ""
	case kindBool:
		return strconv.FormatBool(v.n == 1)
	case kindInt:
		return strconv.FormatInt(v.int(), 10)
	case kindDouble:
		return strconv.FormatFloat(v.float(), 'f', -1, 64)
	case kindTime:
		return v.time().Format(time.RFC3339Nano)
	}
	return v.s
}

// fromGo converts a value read from a record (JSON-decoded or built in Go).
func fromGo(x any) value {
	switch x := x.(type) {
	case nil:
		return nullValue()
	case string:
		return stringValue(x)
	case float64:
		return doubleValue(x)
	case bool:
		return boolValue(x)
	case int:
		return intValue(int64(x))
	case int64:
		return intValue(x)
	case int32:
		return intValue(int64(x))
	case uint:
		return intValue(int64(x))
	case uint32:
		return intValue(int64(x))
	case uint64:
		return intValue(int64(x))
	case float32:
		return doubleValue(float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return intValue(i)
		}
		f, _ := x.Float64()
		return doubleValue(f)
	case time.Time:
		return timeValue(x)
	case []byte:
		return stringValue(string(x))
	case ref.Val:
		return fromCEL(x)
	}
	b, err := json.Marshal(x)
	if err != nil {
		return value{k: kindOther, s: fmt.Sprint(x)}
	}
	return value{k: kindOther, s: string(b)}
}

// fromCEL converts the result of an expression.
func fromCEL(v ref.Val) value {
	switch v := v.(type) {
	case types.Null:
		return nullValue()
	case types.String:
		return stringValue(string(v))
	case types.Double:
		return doubleValue(float64(v))
	case types.Int:
		return intValue(int64(v))
	case types.Uint:
		return intValue(int64(v))
	case types.Bool:
		return boolValue(bool(v))
	case types.Bytes:
		return stringValue(string(v))
	case types.Timestamp:
		return timeValue(v.Time)
	case types.Duration:
		return intValue(int64(v.Duration))
	case *types.Err:
		return errorValue(v)
	}
	n, err := v.ConvertToNative(anyType)
	if err != nil {
		return value{k: kindOther, s: fmt.Sprint(v.Value())}
	}
	return fromGo(n)
}

// timeLayouts are the forms a time field may take as text, tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	time.RFC1123Z,
	time.RFC1123,
	"2006-01-02",
}

// unixMillis is where a Unix time reads as milliseconds instead of
// seconds: 1e12 s is in the year 33658, 1e12 ms in 2001.
const unixMillis = 1e12

// asTime reads v as an instant: a timestamp, text in a common layout
// (without an offset it is read in loc), Unix seconds, or Unix milliseconds
// (JavaScript's Date.now) from unixMillis on.
func asTime(v value, loc *time.Location) (time.Time, bool) {
	switch v.k {
	case kindTime:
		return v.time(), true
	case kindInt:
		if n := v.int(); n >= unixMillis || n <= -unixMillis {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(v.int(), 0).UTC(), true
	case kindDouble:
		f := v.float()
		if math.Abs(f) >= unixMillis {
			f /= 1000
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	case kindString:
		s := strings.TrimSpace(v.s)
		for _, l := range timeLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}
