// Package mocks serves mock vendor APIs from their contracts: routing,
// request validation, example or generated answers, stateful collections,
// vendor behaviours, a request journal and an admin API under /__firedrill/.
package mocks
