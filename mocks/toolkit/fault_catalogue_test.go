package toolkit

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFaultCatalogueIsWellFormed checks every entry documents itself: a
// doc per kind and parameter, an example, and a default, bounds and values
// that read as the parameter's type.
func TestFaultCatalogueIsWellFormed(t *testing.T) {
	t.Parallel()
	common := map[string]bool{}
	for _, p := range FaultCommonParams() {
		common[p.Name] = true
		checkParamSpec(t, "every kind", p)
	}
	if len(common) != 3 || !common[FaultParamRate] || !common[FaultParamOperation] || !common[FaultParamID] {
		t.Errorf("common parameters %v, want rate, operation, id", slices.Sorted(maps.Keys(common)))
	}
	kinds := FaultCatalogue()
	if len(kinds) == 0 || len(kinds) != len(FaultKinds()) {
		t.Fatalf("catalogue of %d kinds, FaultKinds lists %d", len(kinds), len(FaultKinds()))
	}
	for i, k := range kinds {
		if k.Kind != FaultKinds()[i] {
			t.Errorf("catalogue entry %d is %q, FaultKinds says %q", i, k.Kind, FaultKinds()[i])
		}
		if k.Doc == "" || k.build == nil {
			t.Errorf("fault %s: no doc or no builder", k.Kind)
		}
		seen := map[string]bool{}
		for _, p := range k.Params {
			if seen[p.Name] || common[p.Name] {
				t.Errorf("fault %s: parameter %s declared twice or shadows a common one", k.Kind, p.Name)
			}
			seen[p.Name] = true
			checkParamSpec(t, k.Kind, p)
		}
	}
}

func checkParamSpec(t *testing.T, kind string, p FaultParamSpec) {
	t.Helper()
	where := kind + "." + p.Name
	if p.Name == "" || p.Doc == "" || p.Example == "" {
		t.Errorf("%s: name, doc and example are all needed: %+v", where, p)
	}
	parse := map[FaultParamType]func(string) error{
		FaultParamInteger:  func(v string) error { _, err := strconv.Atoi(v); return err },
		FaultParamNumber:   func(v string) error { _, err := strconv.ParseFloat(v, 64); return err },
		FaultParamDuration: func(v string) error { _, err := parseFaultDuration(v); return err },
	}[p.Type]
	switch {
	case p.Type == FaultParamText:
		if p.Min != "" || p.Max != "" {
			t.Errorf("%s: a text parameter has no bounds", where)
		}
		if len(p.Values) > 0 && (!slices.Contains(p.Values, p.Default) || !slices.Contains(p.Values, p.Example)) {
			t.Errorf("%s: default %q or example %q is not among %v", where, p.Default, p.Example, p.Values)
		}
	case parse == nil:
		t.Errorf("%s: unknown type %q", where, p.Type)
	default:
		for _, v := range []string{p.Default, p.Min, p.Max, p.Example} {
			if err := parse(v); err != nil {
				t.Errorf("%s: %q is not a %s: %v", where, v, p.Type, err)
			}
		}
		if len(p.Values) > 0 {
			t.Errorf("%s: only a text parameter lists values", where)
		}
	}
}

// build adds one fault of kind with params to a fresh set, turning a panic
// (a builder reading a parameter its entry does not declare) into an error.
func build(kind string, params map[string]string) (used map[string]bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	spec := faultKinds[kind]
	p := newFaultParams(HTTPFault{Kind: kind, Params: params}, spec)
	spec.build(p)
	return p.used, p.err()
}

func examples(k FaultKindSpec) map[string]string {
	out := map[string]string{}
	for _, p := range k.Params {
		out[p.Name] = p.Example
	}
	return out
}

// TestFaultBuildersReadWhatTheCatalogueDeclares: every parameter documented
// is one the builder reads, and the builder reads no other (it would panic);
// the examples the documentation shows are accepted.
func TestFaultBuildersReadWhatTheCatalogueDeclares(t *testing.T) {
	t.Parallel()
	for _, k := range FaultCatalogue() {
		used, err := build(k.Kind, examples(k))
		if err != nil {
			t.Errorf("fault %s: the documented examples are refused: %v", k.Kind, err)
			continue
		}
		var declared []string
		for _, p := range k.Params {
			declared = append(declared, p.Name)
		}
		slices.Sort(declared)
		if got := slices.Sorted(maps.Keys(used)); !slices.Equal(got, declared) {
			t.Errorf("fault %s reads %v, its entry declares %v", k.Kind, got, declared)
		}
	}
	// Negative control: a builder that reads an undeclared parameter fails.
	bad := FaultKindSpec{Kind: "broken", build: func(p *faultParams) injector { p.integer("code"); return nil }}
	p := newFaultParams(HTTPFault{Kind: "broken"}, bad)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("reading an undeclared parameter did not panic")
			}
		}()
		bad.build(p)
	}()
}

// TestFaultCatalogueRangesAreWhatIsChecked: what the documentation says a
// parameter takes (its default, its bounds, its values) is taken, and what
// lies just outside is refused, naming the parameter.
func TestFaultCatalogueRangesAreWhatIsChecked(t *testing.T) {
	t.Parallel()
	for _, k := range FaultCatalogue() {
		for _, p := range k.Params {
			accept, refuse := probes(p)
			for _, v := range accept {
				params := examples(k)
				params[p.Name] = v
				if _, err := build(k.Kind, params); err != nil {
					t.Errorf("%s.%s=%q is documented (%s) but refused: %v", k.Kind, p.Name, v, p.Range(), err)
				}
			}
			for _, v := range refuse {
				params := examples(k)
				params[p.Name] = v
				_, err := build(k.Kind, params)
				if !errors.Is(err, ErrFaultInvalid) || !strings.Contains(err.Error(), "params."+p.Name) {
					t.Errorf("%s.%s=%q is outside %s but got %v", k.Kind, p.Name, v, p.Range(), err)
				}
			}
		}
	}
}

// probes returns values the spec says p takes and values just outside.
func probes(p FaultParamSpec) (accept, refuse []string) {
	accept = append(accept, p.Example)
	if p.Default != "" || p.Type == FaultParamText {
		accept = append(accept, p.Default)
	}
	bound := func(v string, excl bool, outside string) {
		if excl {
			refuse = append(refuse, v)
		} else {
			accept = append(accept, v)
		}
		refuse = append(refuse, outside)
	}
	switch p.Type {
	case FaultParamText:
		accept = append(accept, p.Values...)
		if len(p.Values) > 0 {
			refuse = append(refuse, "nonsense")
		}
	case FaultParamInteger:
		lo, _ := strconv.Atoi(p.Min)
		hi, _ := strconv.Atoi(p.Max)
		bound(p.Min, p.MinExclusive, strconv.Itoa(lo-1))
		bound(p.Max, p.MaxExclusive, strconv.Itoa(hi+1))
		refuse = append(refuse, "many")
	case FaultParamNumber:
		lo, _ := strconv.ParseFloat(p.Min, 64)
		hi, _ := strconv.ParseFloat(p.Max, 64)
		bound(p.Min, p.MinExclusive, strconv.FormatFloat(lo-1e-9, 'f', -1, 64))
		bound(p.Max, p.MaxExclusive, strconv.FormatFloat(hi+1e-9, 'f', -1, 64))
		refuse = append(refuse, "half")
	case FaultParamDuration:
		lo, _ := parseFaultDuration(p.Min)
		hi, _ := parseFaultDuration(p.Max)
		bound(p.Min, p.MinExclusive, (lo - time.Nanosecond).String())
		bound(p.Max, p.MaxExclusive, (hi + time.Nanosecond).String())
		refuse = append(refuse, "soon")
	}
	return accept, refuse
}

// TestFaultCommonParamsAreTheFieldsNewHTTPFaultFills: each common parameter
// fills its field (it is not left among the kind's parameters), and the
// rate's documented range is the one checked.
func TestFaultCommonParamsAreTheFieldsNewHTTPFaultFills(t *testing.T) {
	t.Parallel()
	for _, k := range FaultCatalogue() {
		for _, p := range FaultCommonParams() {
			params := examples(k)
			params[p.Name] = p.Example
			f, err := NewHTTPFault(k.Kind, params)
			if err != nil {
				t.Errorf("%s with %s=%q: %v", k.Kind, p.Name, p.Example, err)
				continue
			}
			if _, left := f.Params[p.Name]; left {
				t.Errorf("%s: common parameter %s was left among the kind's parameters", k.Kind, p.Name)
			}
		}
	}
	for _, p := range FaultCommonParams() {
		accept, refuse := probes(p)
		for _, v := range accept {
			if _, err := NewHTTPFault(FaultStatus, map[string]string{p.Name: v}); err != nil {
				t.Errorf("%s=%q is documented (%s) but refused: %v", p.Name, v, p.Range(), err)
			}
		}
		for _, v := range refuse {
			if _, err := NewHTTPFault(FaultStatus, map[string]string{p.Name: v}); !errors.Is(err, ErrFaultInvalid) {
				t.Errorf("%s=%q is outside %s but got %v", p.Name, v, p.Range(), err)
			}
		}
	}
}

func TestFaultParamRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    FaultParamSpec
		want string
	}{
		{FaultParamSpec{Min: "400", Max: "599"}, "[400, 599]"},
		{FaultParamSpec{Min: "0", MinExclusive: true, Max: "1"}, "(0, 1]"},
		{FaultParamSpec{Min: "0", MinExclusive: true, Max: "1", MaxExclusive: true}, "(0, 1)"},
		{FaultParamSpec{Values: []string{"delta", "epoch"}}, "delta | epoch"},
		{FaultParamSpec{}, ""},
	} {
		if got := tc.p.Range(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
