package scenarios

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/mocks"
)

// dataEvent checks a data event of the timeline: one of insert or update,
// none of a fault's fields, a stateful mock of the scenario, one of its
// collections, records the contract takes and times that resolve, a
// second within the attack.
func (v *validator) dataEvent(path string, f Fault) {
	if f.Insert != nil && f.Update != nil {
		v.addf(path, "split it in two entries", "an entry is one data event: insert or update, not both")
	}
	for _, x := range []struct {
		name string
		set  bool
	}{{"for", f.For.D() != 0}, {"proxy", f.Proxy != ""}, {"toxic", f.Toxic != ""}, {"fault", f.Fault != ""},
		{"direction", f.Direction != ""}, {"toxicity", f.Toxicity != 0}} {
		if x.set {
			v.addf(path+"."+x.name, "", "a data event (insert or update) is not a fault: it takes no %s", x.name)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Params)) {
		v.addf(path+"."+k, "known: at, system, insert, update", "a data event (insert or update) takes no parameter %q", k)
	}
	if attack := v.s.Load; attack != nil && attack.Duration.D() > 0 && f.At.D() >= attack.Duration.D() {
		v.addf(path+".at", "", "the event fires at %s, once the attack (%s) is over: bring it forward or lengthen load.duration", f.At, attack.Duration)
	}
	if !v.dataTarget(path+".system", f.System) {
		return
	}
	if in := f.Insert; in != nil {
		if v.dataCollection(path+".insert", f.System, in.Collection) {
			v.dataRecords(path+".insert", f.System, in)
		}
	}
	if up := f.Update; up != nil {
		v.dataCollection(path+".update", f.System, up.Collection)
		if up.ID == "" {
			v.addf(path+".update.id", "", "an update names the id of the record it changes")
		}
		if len(up.Set) == 0 {
			v.addf(path+".update.set", "set: {tier: gold}", "an update sets at least one field")
		}
		_, err := mocks.ExpandTimes(up.Set, time.Now())
		var te *mocks.TimeRefError
		if errors.As(err, &te) {
			v.addf(path+".update.set."+te.Field, "", "%q: %s", te.Value, te.Reason)
		}
	}
}

// dataTarget checks that a data event names a stateful mock.
func (v *validator) dataTarget(path, name string) bool {
	sys := v.s.Systems[name]
	switch {
	case name == "":
		v.addf(path, "", "a data event names the stateful mock it writes into: system")
	case sys == nil:
		v.addf(path, hintFrom(name, v.s.sortedSystems()), "system %q is not defined", name)
	case sys.URL != "" || sys.Service != nil || sys.Mock == nil || !sys.Mock.Stateful:
		v.addf(path, "give it mock: {stateful: true}", "system %q is not a stateful mock: a data event writes into a mock's collection", name)
	default:
		return true
	}
	return false
}

// dataCollection checks the collection a data event writes into.
func (v *validator) dataCollection(path, system, name string) bool {
	if name == "" {
		v.addf(path+".collection", "", "a data event names the collection it writes into")
		return false
	}
	return v.mockCollection(path+".collection", system, name)
}

// dataRecords checks an insert's records as seed records are checked:
// the file read, each record against the contract, its ${now...} times.
func (v *validator) dataRecords(path, system string, in *DataInsert) {
	recs := mocks.ResolveRecords(map[string]mocks.Records{in.Collection: in.Records}, v.s.Dir())[in.Collection]
	if loaded, err := recs.Load(v.s.file); err == nil && len(loaded) == 0 {
		v.addf(path+".records", "", "an insert needs at least one record")
		return
	}
	c, ok := v.contract(system)
	if !ok {
		return
	}
	prefix := "records." + in.Collection
	for _, e := range mocks.CheckRecords(c, mocks.Spec{Stateful: true, Records: map[string]mocks.Records{in.Collection: recs}}) {
		field := path + ".records" + strings.TrimPrefix(e.Field, prefix)
		if e.Line > 0 {
			file := e.File
			if file == "" {
				file = v.s.file
			}
			v.problems = append(v.problems, Problem{File: file, Line: e.Line, Column: 1, Path: field, Message: e.Message})
			continue
		}
		v.addf(field, "", "%s", e.Message)
	}
}
