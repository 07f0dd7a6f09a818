package scenarios

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
)

// operations checks every operation a fault or a gate names against the
// contract of its system: a misspelled operation would make a fault that
// hits nothing and a gate that judges nothing, and both would pass.
func (v *validator) operations() {
	for i, f := range v.s.Chaos {
		if op := f.Params["operation"]; op != "" && f.System != "" && !f.data() {
			v.operation(fmt.Sprintf("chaos[%d].operation", i), f.System, op)
		}
	}
	for _, name := range v.s.sortedSystems() {
		sys := v.s.Systems[name]
		if sys == nil || sys.Mock == nil {
			continue
		}
		for i, f := range sys.Mock.Faults {
			if op := f.Params["operation"]; op != "" {
				v.operation(fmt.Sprintf("systems.%s.mock.faults[%d].operation", name, i), name, op)
			}
		}
	}
	for i, r := range v.s.Gates.Resilience {
		if r.Operation != "" {
			v.operation(fmt.Sprintf("gates.resilience[%d].operation", i), r.System, r.Operation)
		}
	}
}

// operation checks one operation name against the system's contract.
func (v *validator) operation(path, system, name string) {
	c, ok := v.contract(system)
	if !ok || c.HasOperation(name) {
		return
	}
	suggestion := strings.TrimPrefix(mocks.Suggest(name, c.Operations()), ": ")
	v.addf(path, suggestion, "operation %q is not in the contract of %s", name, system)
}

// contract loads a system's contract once, for the checks that read it;
// false when the system has none or it cannot be read (a missing file is
// reported where the contract is named, and the run reports the rest).
func (v *validator) contract(system string) (mocks.Contract, bool) {
	if c, ok := v.contracts[system]; ok {
		return c, c.OpenAPI != nil || c.GraphQL != nil
	}
	var c mocks.Contract
	defer func() { v.contracts[system] = c }()
	sys := v.s.Systems[system]
	if sys == nil {
		return c, false
	}
	files := sys.Contracts
	if sys.Contract != "" {
		files = []string{sys.Contract}
	}
	if len(files) == 0 {
		return c, false
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = v.s.Resolve(f)
		if _, err := os.Stat(paths[i]); err != nil {
			return c, false
		}
	}
	if cached, ok := v.s.contracts.peek(paths); ok {
		c = cached
		return c, true
	}
	loaded := mocks.Contract{Path: paths[0]}
	var err error
	if isGraphQL(paths[0]) {
		loaded.GraphQL, err = contracts.LoadGraphQL(context.Background(), paths...)
	} else {
		loaded.OpenAPI, err = contracts.LoadOpenAPI(context.Background(), paths[0])
	}
	if err != nil {
		v.addf("systems."+system+".contract", "", "the contract does not load: %v", err)
		return c, false
	}
	c = loaded
	v.s.contracts.put(paths, loaded)
	return c, true
}
