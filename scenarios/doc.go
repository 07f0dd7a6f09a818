// Package scenarios owns the scenario file (strict YAML, its JSON Schema),
// the runner and its phases, and the runtimes a scenario runs on.
package scenarios
