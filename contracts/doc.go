// Package contracts loads vendor contracts (OpenAPI 2.0, 3.0 and 3.1 through
// kin-openapi; GraphQL SDL through gqlparser), lints them, validates requests
// and responses against them and makes sample data from their schemas.
package contracts
