package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

func (v *validator) chaos() {
	var attack = v.s.Load
	for i, f := range v.s.Chaos {
		path := fmt.Sprintf("chaos[%d]", i)
		if f.data() {
			v.dataEvent(path, f)
			continue
		}
		switch {
		case f.Proxy != "" && f.System != "":
			v.addf(path, "", "a fault targets a proxy (toxic) or a system's mock (fault), not both")
		case f.Proxy != "":
			v.faultTarget(path+".proxy", f.Proxy, false)
			v.toxic(path, f)
			if f.Fault != "" {
				v.addf(path+".fault", "", "fault applies to a system's mock: use toxic with proxy")
			}
		case f.System != "":
			v.faultTarget(path+".system", f.System, true)
			v.mockFault(path, f)
			if f.Toxic != "" {
				v.addf(path+".toxic", "", "toxic applies to a proxy: use fault with system")
			}
		default:
			v.addf(path, "", "an entry needs a target: proxy (for a toxic) or system (for a mock fault, an insert or an update)")
		}
		if f.For.D() <= 0 {
			v.addf(path+".for", "", "a fault needs a duration, e.g. for: 20s")
		}
		if f.Toxicity < 0 || f.Toxicity > 1 {
			v.addf(path+".toxicity", "", "toxicity %v is not between 0 and 1", f.Toxicity)
		}
		if f.Direction != "" && f.Direction != "upstream" && f.Direction != "downstream" {
			v.addf(path+".direction", "", "direction %q is not upstream or downstream", f.Direction)
		}
		if attack != nil && attack.Duration.D() > 0 && f.At.D()+f.For.D() > attack.Duration.D() {
			v.addf(path+".for", "", "the fault ends at %s, after the attack (%s): shorten it or lengthen load.duration", (f.At.D() + f.For.D()), attack.Duration)
		}
	}
}

// toxic checks a toxic and its parameters against the chaos catalogue,
// values included, so a scenario fails validation rather than mid-run.
func (v *validator) toxic(path string, f Fault) {
	var kinds []string
	params := map[string][]string{}
	for _, spec := range chaos.Catalogue() {
		kinds = append(kinds, spec.Kind)
		for _, p := range spec.Params {
			params[spec.Kind] = append(params[spec.Kind], p.Name)
		}
		if spec.Kind != chaos.Down {
			params[spec.Kind] = append(params[spec.Kind], chaos.ParamDirection, chaos.ParamToxicity)
		}
	}
	sort.Strings(kinds)
	if f.Toxic == "" {
		v.addf(path+".toxic", "known: "+strings.Join(kinds, ", "), "which toxic?")
		return
	}
	if _, ok := params[f.Toxic]; !ok && !slices.Contains(kinds, f.Toxic) {
		v.addf(path+".toxic", hintFrom(f.Toxic, kinds), "toxic %q is unknown", f.Toxic)
		return
	}
	_, err := chaos.ParseToxic(f.Toxic, f.Params)
	for _, e := range unjoin(err) {
		var pe *chaos.ParamError
		if !errors.As(e, &pe) {
			v.addf(path+".toxic", "", "%s", strings.TrimPrefix(e.Error(), "chaos: "))
			continue
		}
		field := path + "." + pe.Param
		if _, set := f.Params[pe.Param]; !set {
			field = path + ".toxic"
		}
		if pe.Reason == "unknown parameter" || strings.HasPrefix(pe.Reason, "unknown") && !slices.Contains(params[f.Toxic], pe.Param) {
			h := "it takes no parameters"
			if len(params[f.Toxic]) > 0 {
				h = hintFrom(pe.Param, params[f.Toxic])
			}
			v.addf(field, h, "toxic %s has no parameter %q", f.Toxic, pe.Param)
			continue
		}
		v.addf(field, "", "%s", strings.TrimPrefix(pe.Error(), "chaos: "))
	}
}

// unjoin lists the errors errors.Join put together.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (v *validator) faultTarget(path, name string, mock bool) {
	sys, ok := v.s.Systems[name]
	if !ok || sys == nil {
		v.addf(path, hintFrom(name, v.s.sortedSystems()), "system %q is not defined", name)
		return
	}
	// A real endpoint (url:) takes HTTP faults too: a fault proxy in this
	// process, in front of it, applies them (faultProxy).
	if mock && sys.Contract == "" && len(sys.Contracts) == 0 && sys.URL == "" {
		v.addf(path, "", "system %q is not mocked: mock faults need a system served from its contract or a url (use a toxic on its proxy)", name)
	}
	if mock && sys.URL != "" && v.s.Runtime == "docker" {
		v.addf(path, "use a toxic on its proxy, or run embedded", "the docker runtime has no fault proxy in front of a real endpoint (%s)", name)
	}
	if !mock && sys.Service != nil {
		v.addf(path, "", "system %q is the service under test: faults go on the systems it calls", name)
	}
}

// mockFault checks an HTTP or data fault and its parameters against the
// mocks' own catalogue.
func (v *validator) mockFault(path string, f Fault) {
	kinds := toolkit.FaultKinds()
	switch {
	case f.Fault == "":
		v.addf(path+".fault", "known: "+strings.Join(kinds, ", "), "which fault? (or insert: or update: for a data event)")
	case !slices.Contains(kinds, f.Fault):
		v.addf(path+".fault", hintFrom(f.Fault, kinds), "fault %q is unknown", f.Fault)
	default:
		if _, err := toolkit.NewHTTPFault(f.Fault, f.Params); err != nil {
			v.addf(path+".fault", "", "%s", strings.TrimPrefix(err.Error(), "mocks: "))
		}
	}
}

func (v *validator) gates() {
	g := v.s.Gates
	for i, t := range g.Load {
		if strings.TrimSpace(t) == "" {
			v.addf(fmt.Sprintf("gates.load[%d]", i), "", "empty threshold: write e.g. \"p99 < 800ms\"")
		}
	}
	if g.Contract != nil && g.Contract.InvalidRequests < 0 {
		v.addf("gates.contract.invalid_requests", "", "invalid_requests must be 0 or more")
	}
	for i, r := range g.Resilience {
		path := fmt.Sprintf("gates.resilience[%d]", i)
		v.faultTarget(path+".system", r.System, false)
	}
	if g.Consistency == nil {
		return
	}
	if len(g.Consistency.Checks) == 0 {
		v.addf("gates.consistency.checks", "", "consistency needs at least one check")
	}
	for i, c := range g.Consistency.Checks {
		path := fmt.Sprintf("gates.consistency.checks[%d]", i)
		if c.Name == "" {
			v.addf(path+".name", "", "a check needs a name")
		}
		v.collection(path+".source", c.Source)
		v.collection(path+".target", c.Target)
		if c.Join.Source == "" || c.Join.Target == "" {
			v.addf(path+".join", "", "join needs a key expression on each side: {source: id, target: reference}")
		}
		if c.Expect != "" && !slices.Contains([]string{"exactly-once", "at-least-once", "subset"}, c.Expect) {
			v.addf(path+".expect", "", "expect %q is not exactly-once, at-least-once or subset", c.Expect)
		}
		for _, name := range sortedKeys(c.Fields) {
			f := c.Fields[name]
			if !f.Ignore && (f.Source == "" || f.Target == "") {
				v.addf(path+".fields."+name, "", "field %q needs a source and a target expression (or ignore: true)", name)
			}
		}
	}
}

func (v *validator) collection(path string, c Collection) {
	sys, ok := v.s.Systems[c.System]
	if !ok || sys == nil {
		v.addf(path+".system", hintFrom(c.System, v.s.sortedSystems()), "system %q is not defined", c.System)
		return
	}
	if c.Collection == "" && c.Path == "" {
		v.addf(path, "", "name the collection (a mock's state) or the path of a list endpoint")
	}
	if c.Collection != "" && c.Path == "" {
		switch {
		case sys.Service != nil:
			v.addf(path+".collection", "read its list endpoint: path: /orders", "system %q is the service under test: it has no mock to keep collections", c.System)
		case sys.URL != "":
			// A real system: its collections cannot be known before a run.
		case sys.Mock == nil || !sys.Mock.Stateful:
			v.addf(path+".collection", "give it mock: {stateful: true}, or read a list endpoint with path:", "mock %q is not stateful: it keeps no collection to read", c.System)
		default:
			v.mockCollection(path+".collection", c.System, c.Collection)
		}
	}
	switch {
	case c.GroupBy != "" && len(c.Aggregate) == 0:
		v.addf(path+".group_by", `aggregate: {available: "sum(on_hand)", rows: "count()"}`, "group_by needs aggregate: the values each group stands for")
	case c.GroupBy == "" && len(c.Aggregate) > 0:
		v.addf(path+".aggregate", "group_by: sku", "aggregate needs group_by: the expression that puts records in groups")
	}
}

// mockCollection checks that a stateful mock keeps the collection a check
// reads or an event writes: a misspelled one would fail every run. It
// reports false when the mock surely has no such collection.
func (v *validator) mockCollection(path, system, name string) bool {
	contract, ok := v.contract(system)
	if !ok {
		return true
	}
	names, err := mocks.Collections(contract)
	if err != nil || slices.Contains(names, name) {
		return true
	}
	hint := ""
	if near := mocks.Nearest(name, names); near != "" {
		hint = fmt.Sprintf("did you mean %q?", near)
	}
	v.addf(path, hint, "mock %q has no collection %q (its collections: %v)", system, name, names)
	return false
}
