package load

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
)

// Operation is what a flow step needs from a contract operation: its method,
// its path (with {params} as the contract writes them) and a body maker.
type Operation struct {
	Method string
	Path   string
	// Body makes the JSON request body of iteration seq: the contract's
	// example when the operation has one (Step.Unique then varies the named
	// fields), otherwise a value generated from the request schema with
	// contracts.Sample, seeded by the iteration so each one differs. Nil
	// when the operation takes no JSON body.
	Body func(seq uint64) any
}

// ContractOperation finds operation id in c. seed makes generated bodies
// reproducible.
func ContractOperation(c *contracts.OpenAPI, id string, seed int64) (Operation, error) {
	if c == nil || c.Doc == nil || c.Doc.Paths == nil {
		return Operation{}, fmt.Errorf("load: contract: no paths")
	}
	for path, item := range c.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID != id {
				continue
			}
			return Operation{Method: strings.ToUpper(method), Path: path, Body: bodyMaker(op, seed)}, nil
		}
	}
	return Operation{}, fmt.Errorf("load: contract %s: no operation %q", c.Path, id)
}

func bodyMaker(op *openapi3.Operation, seed int64) func(uint64) any {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	var mt *openapi3.MediaType
	for name, m := range op.RequestBody.Value.Content {
		if name == "application/json" || strings.HasSuffix(name, "+json") {
			mt = m
			break
		}
	}
	if mt == nil {
		return nil
	}
	if ex := mediaExample(mt); ex != nil {
		return func(uint64) any { return ex }
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	schema := mt.Schema.Value
	return func(seq uint64) any {
		return contracts.Sample(schema, contracts.SampleOptions{Seed: seed + int64(seq), Direction: contracts.Request})
	}
}

func mediaExample(mt *openapi3.MediaType) any {
	if mt.Example != nil {
		return mt.Example
	}
	for _, ex := range mt.Examples {
		if ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value
		}
	}
	return nil
}
