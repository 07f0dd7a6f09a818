// Package petstore holds the example contract `firedrill demo` serves: a small
// but realistic pet shop API with a paginated collection, a create with a
// required body and an API key. The contract is embedded so the firedrill
// binary runs the demo anywhere.
package petstore

import _ "embed"

// FileName is the contract's file name, for messages and journals.
const FileName = "petstore.yaml"

//go:embed petstore.yaml
var contract []byte

// Contract returns the OpenAPI 3.0 document as written in petstore.yaml
// (a copy: callers may keep or change it).
func Contract() []byte { return append([]byte(nil), contract...) }
