package scenarios

import (
	"github.com/firedrill/firedrill/mocks"
)

// records checks the records of every stateful mock against its contract:
// files that cannot be read, collections the mock does not have, records
// the contract refuses (at their file and line), duplicate ids.
func (v *validator) records() {
	for _, name := range v.s.sortedSystems() {
		sys := v.s.Systems[name]
		if sys == nil || sys.Mock == nil || len(sys.Mock.Records) == 0 || !sys.Mock.Stateful {
			continue // without stateful: true, Check has said so
		}
		c, ok := v.contract(name)
		if !ok {
			continue
		}
		spec := *sys.Mock
		spec.Records = mocks.ResolveRecords(spec.Records, v.s.Dir())
		for _, e := range mocks.CheckRecords(c, spec) {
			path := "systems." + name + ".mock." + e.Field
			switch {
			case e.Line > 0:
				file := e.File
				if file == "" {
					file = v.s.file // written inline, in the scenario
				}
				v.problems = append(v.problems, Problem{File: file, Line: e.Line, Column: 1, Path: path, Message: e.Message})
			default:
				v.addf(path, "", "%s", e.Message)
			}
		}
	}
}

// insertStep checks a flow step that inserts into a mock: no url or
// method beside it, a stateful mock of the scenario, one of its
// collections.
func (v *validator) insertStep(path string, st Step) {
	in := st.Insert
	if st.URL != "" || st.Method != "" {
		v.addf(path+".insert", "", "a step sends a request to a url or inserts into a mock, not both: drop method and url")
	}
	sys := v.s.Systems[in.System]
	switch {
	case in.System == "":
		v.addf(path+".insert.system", "", "an insert names the mocked system it inserts into")
		return
	case sys == nil:
		v.addf(path+".insert.system", hintFrom(in.System, v.s.sortedSystems()), "system %q is not defined in the scenario", in.System)
		return
	case sys.URL != "" || sys.Service != nil || sys.Mock == nil || !sys.Mock.Stateful:
		v.addf(path+".insert.system", "", "system %q is not a stateful mock: an insert stores into a mock's collection (give it mock: {stateful: true})", in.System)
		return
	case in.Collection == "":
		v.addf(path+".insert.collection", "", "an insert names the collection it inserts into")
		return
	}
	v.mockCollection(path+".insert.collection", in.System, in.Collection)
}
