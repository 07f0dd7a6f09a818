package chaos

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid marks every error caused by bad input: an unknown toxic, a
// parameter out of range, a malformed event. Commands turn it into the usage
// exit code.
var ErrInvalid = errors.New("invalid input")

// ParamKind says how a toxic parameter's text is read.
type ParamKind int

// The parameter kinds of the catalogue.
const (
	// ParamDuration is a duration such as "500ms" or "1s"; a bare integer
	// is in the parameter's Unit.
	ParamDuration ParamKind = iota
	// ParamSize is a byte count such as "1500", "10KB" (1000) or "4KiB" (1024).
	ParamSize
	// ParamRate is a bandwidth such as "100KB/s" or "1MB/s"; a bare
	// number is KB/s.
	ParamRate
)

// ParamSpec describes one parameter of a toxic: its name, how it is read and
// the range Toxiproxy accepts, in the toxic's native unit.
type ParamSpec struct {
	Name     string
	Kind     ParamKind
	Unit     time.Duration // for ParamDuration: time.Millisecond or time.Microsecond
	Min, Max int64
	Required bool
	Doc      string
}

// want describes the accepted form and range, for error messages and help.
func (p ParamSpec) want() string {
	switch p.Kind {
	case ParamDuration:
		return fmt.Sprintf("a duration like 500ms, %v..%v", time.Duration(p.Min)*p.Unit, time.Duration(p.Max)*p.Unit)
	case ParamSize:
		return fmt.Sprintf("a size in bytes like 1500 or 10KB, %d..%d bytes", p.Min, p.Max)
	case ParamRate:
		return fmt.Sprintf("a rate like 100KB/s, %d..%d KB/s", p.Min, p.Max)
	}
	return "a value"
}

func (p ParamSpec) parse(s string) (int64, error) {
	var v int64
	var err error
	switch p.Kind {
	case ParamDuration:
		v, err = parseDuration(s, p.Unit)
	case ParamSize:
		v, err = parseSize(s)
	case ParamRate:
		v, err = parseRate(s)
	}
	if err != nil {
		return 0, err
	}
	if v < p.Min || v > p.Max {
		return 0, errors.New("out of range")
	}
	return v, nil
}

// ToxicSpec describes one fault of the catalogue.
type ToxicSpec struct {
	Kind   string
	Doc    string
	Params []ParamSpec
	// check validates the parameters together, once each is in range.
	check func(attrs map[string]int64) error
}

// Down is the fault that disables a proxy: until it is reverted, each
// connection is reset as soon as it is accepted ("connection reset by
// peer", or EOF), and counted (see Toxiproxy.Refusals); Toxiproxy's own
// server closes the port instead ("connection refused"). It is not a
// Toxiproxy toxic.
const Down = "down"

const (
	maxMillis = int64(time.Hour / time.Millisecond)
	maxMicros = int64(time.Hour / time.Microsecond)
	maxBytes  = int64(1) << 40
)

// catalogue maps a fault name to its parameters. It is the only place a
// toxic is declared; adding one is adding an entry here.
var catalogue = map[string]ToxicSpec{
	"latency": {Kind: "latency", Doc: "delay every chunk of data by latency ± jitter", Params: []ParamSpec{
		{Name: "latency", Kind: ParamDuration, Unit: time.Millisecond, Max: maxMillis, Required: true, Doc: "added delay"},
		{Name: "jitter", Kind: ParamDuration, Unit: time.Millisecond, Max: maxMillis, Doc: "random variation, ±"},
	}},
	"bandwidth": {Kind: "bandwidth", Doc: "cap the throughput", Params: []ParamSpec{
		{Name: "rate", Kind: ParamRate, Min: 1, Max: 10_000_000, Required: true, Doc: "bytes per second, in KB/s"},
	}},
	"slow_close": {Kind: "slow_close", Doc: "delay the close of the connection", Params: []ParamSpec{
		{Name: "delay", Kind: ParamDuration, Unit: time.Millisecond, Max: maxMillis, Required: true, Doc: "delay before closing"},
	}},
	"timeout": {Kind: "timeout", Doc: "stop all data and close after timeout; 0 hangs forever (an outage that hangs)", Params: []ParamSpec{
		{Name: "timeout", Kind: ParamDuration, Unit: time.Millisecond, Max: maxMillis, Doc: "time before closing; 0 never closes"},
	}},
	"reset_peer": {Kind: "reset_peer", Doc: "reset the connection (TCP RST) after timeout", Params: []ParamSpec{
		{Name: "timeout", Kind: ParamDuration, Unit: time.Millisecond, Max: maxMillis, Doc: "time before the reset; 0 resets at once"},
	}},
	"limit_data": {Kind: "limit_data", Doc: "close the connection after bytes have passed", Params: []ParamSpec{
		{Name: "bytes", Kind: ParamSize, Max: maxBytes, Required: true, Doc: "bytes to let through"},
	}},
	"slicer": {Kind: "slicer", Doc: "slice data into small packets, with a delay between them", Params: []ParamSpec{
		{Name: "average_size", Kind: ParamSize, Min: 1, Max: maxBytes, Required: true, Doc: "average packet size"},
		{Name: "size_variation", Kind: ParamSize, Max: maxBytes, Doc: "± bytes, less than average_size"},
		{Name: "delay", Kind: ParamDuration, Unit: time.Microsecond, Max: maxMicros, Doc: "delay between packets"},
	}, check: func(a map[string]int64) error {
		if a["size_variation"] >= a["average_size"] {
			return &ParamError{Toxic: "slicer", Param: "size_variation", Value: strconv.FormatInt(a["size_variation"], 10),
				Reason: "not less than average_size", Want: fmt.Sprintf("less than average_size (%d)", a["average_size"])}
		}
		return nil
	}},
	Down: {Kind: Down, Doc: "disable the proxy: connections are reset at once, and counted, until it is reverted"},
}

// Catalogue returns every fault the chaos package applies through
// Toxiproxy, sorted by name.
func Catalogue() []ToxicSpec {
	out := make([]ToxicSpec, 0, len(catalogue))
	for _, k := range slices.Sorted(maps.Keys(catalogue)) {
		out = append(out, catalogue[k])
	}
	return out
}

// Stream directions.
const (
	Downstream = "downstream" // from the upstream to the client (the default)
	Upstream   = "upstream"   // from the client to the upstream
)

// Toxic is a fault ready to apply to a proxy: a catalogue kind with its
// parameters checked and converted to Toxiproxy's units.
type Toxic struct {
	// Name identifies the toxic on its proxy; empty means "<kind>_<stream>".
	Name       string
	Kind       string
	Stream     string
	Toxicity   float64
	Attributes map[string]int64
	// Params are the parameters as written, for the audit log.
	Params map[string]string
}

// ParamError is a toxic parameter that cannot be used.
type ParamError struct {
	Toxic, Param, Value string
	Reason, Want        string
}

// Error names the toxic, the parameter, its value and what is accepted.
func (e *ParamError) Error() string {
	if e.Value == "" && e.Reason == "missing" {
		return fmt.Sprintf("chaos: toxic %s: parameter %s is required (want %s)", e.Toxic, e.Param, e.Want)
	}
	return fmt.Sprintf("chaos: toxic %s: parameter %s=%q: %s (want %s)", e.Toxic, e.Param, e.Value, e.Reason, e.Want)
}

// Unwrap makes every ParamError an ErrInvalid.
func (e *ParamError) Unwrap() error { return ErrInvalid }

// Reserved parameters every toxic but down accepts. ParamStream is
// Toxiproxy's own name for the direction and is accepted as an alias.
const (
	ParamDirection = "direction"
	ParamStream    = "stream"
	ParamToxicity  = "toxicity"
)

// ParseToxic checks params against the catalogue entry for kind and returns
// the toxic to apply. Besides the toxic's own parameters it reads
// "direction" (upstream or downstream, default downstream; "stream" is an
// alias, Toxiproxy's name) and "toxicity"
// (0..1 or a percentage, default 1). Every problem is reported at once.
func ParseToxic(kind string, params map[string]string) (Toxic, error) {
	spec, ok := catalogue[kind]
	if !ok {
		return Toxic{}, fmt.Errorf("chaos: unknown toxic %q (known: %s): %w",
			kind, strings.Join(slices.Sorted(maps.Keys(catalogue)), ", "), ErrInvalid)
	}
	t := Toxic{Kind: kind, Stream: Downstream, Toxicity: 1, Attributes: map[string]int64{}, Params: maps.Clone(params)}
	var errs []error
	known := map[string]ParamSpec{}
	for _, p := range spec.Params {
		known[p.Name] = p
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		value := params[name]
		if p, ok := known[name]; ok {
			v, err := p.parse(value)
			if err != nil {
				errs = append(errs, &ParamError{Toxic: kind, Param: name, Value: value, Reason: err.Error(), Want: p.want()})
				continue
			}
			t.Attributes[name] = v
			continue
		}
		if err := t.setReserved(name, value); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range spec.Params {
		if _, set := params[p.Name]; p.Required && !set {
			errs = append(errs, &ParamError{Toxic: kind, Param: p.Name, Reason: "missing", Want: p.want()})
		}
	}
	if len(errs) == 0 && spec.check != nil {
		if err := spec.check(t.Attributes); err != nil {
			errs = append(errs, err)
		}
	}
	return t, errors.Join(errs...)
}

// setReserved reads direction and toxicity; anything else is unknown.
func (t *Toxic) setReserved(name, value string) error {
	spec := catalogue[t.Kind]
	switch {
	case (name == ParamDirection || name == ParamStream) && t.Kind != Down:
		if _, both := t.Params[ParamDirection]; both && name == ParamStream {
			return &ParamError{Toxic: t.Kind, Param: name, Value: value, Reason: "given with direction", Want: "direction or stream, not both"}
		}
		if value != Upstream && value != Downstream {
			return &ParamError{Toxic: t.Kind, Param: name, Value: value, Reason: "unknown direction", Want: "upstream or downstream"}
		}
		t.Stream = value
	case name == ParamToxicity && t.Kind != Down:
		f, err := parseToxicity(value)
		if err != nil {
			return &ParamError{Toxic: t.Kind, Param: name, Value: value, Reason: err.Error(), Want: "a probability 0..1 or 0%..100%"}
		}
		t.Toxicity = f
	default:
		names := []string{}
		for _, p := range spec.Params {
			names = append(names, p.Name)
		}
		if t.Kind != Down {
			names = append(names, ParamDirection, ParamToxicity)
		}
		want := "no parameters"
		if len(names) > 0 {
			want = "one of " + strings.Join(names, ", ")
		}
		return &ParamError{Toxic: t.Kind, Param: name, Value: value, Reason: "unknown parameter", Want: want}
	}
	return nil
}

// name returns the toxic's name on its proxy.
func (t Toxic) name() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Kind + "_" + t.Stream
}
