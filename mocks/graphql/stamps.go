package graphql

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
)

// WithStamps names, by collection (a type name), the fields a stateful
// mock writes on every create and update as the vendor does, field: kind
// (store.StampKinds): {InventoryLevel: {updatedAt: time, version:
// counter}}. A create keeps a value the record holds (seeded history); an
// update always writes them. A search string or an argument can then
// filter on them (updatedAt:>2026-01-01T00:00:00Z). A type that is not a
// collection, or a kind not known, is an error.
func WithStamps(stamps map[string]map[string]string) Option {
	return func(o *options) error { o.stamps = stamps; return nil }
}

// setStamps puts the declared stamps on the collections they name.
func (st *state) setStamps(stamps map[string]map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(stamps)) {
		if _, ok := st.idField[name]; !ok {
			return fmt.Errorf("stamps: the schema has no collection %q (it has %s)", name, strings.Join(st.store.Collections(), ", "))
		}
		var list []store.Stamp
		for _, field := range slices.Sorted(maps.Keys(stamps[name])) {
			s, err := store.ParseStamp(field, stamps[name][field])
			if err != nil {
				return fmt.Errorf("stamps.%s: %w", name, err)
			}
			if def := st.schema.Types[name]; def != nil && def.Fields.ForName(field) == nil {
				return fmt.Errorf("stamps.%s: type %s has no field %q", name, name, field)
			}
			list = append(list, s)
		}
		if err := st.store.SetStamps(name, list); err != nil {
			return fmt.Errorf("stamps: %w", err)
		}
	}
	return nil
}
