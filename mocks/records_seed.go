package mocks

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/firedrill/firedrill/mocks/store"
)

// seed loads the records a declaration names into the vendor's
// collections, before it serves and without webhooks, with their ${now...}
// times read from now (ExpandTimes), and returns every problem: a file
// that cannot be read, a collection the mock does not have, a bad time
// reference, a record its contract refuses, a duplicate id.
func (v *Vendor) seed(records map[string]Records, now time.Time) []FieldError {
	if len(records) == 0 {
		return nil
	}
	var st *store.Store
	var load func(string, []store.Record) ([]store.Record, error)
	switch {
	case v.OpenAPI != nil && v.OpenAPI.Store() != nil:
		st, load = v.OpenAPI.Store(), v.OpenAPI.Seed
	case v.GraphQL != nil && v.GraphQL.Store() != nil:
		st, load = v.GraphQL.Store(), v.GraphQL.Seed
	default:
		return []FieldError{{Field: "records", Message: "records are loaded into stateful collections: add stateful: true"}}
	}
	var errs []FieldError
	known := st.Collections()
	for _, name := range slices.Sorted(maps.Keys(records)) {
		field := "records." + name
		if !slices.Contains(known, name) {
			errs = append(errs, FieldError{Field: field, Message: unknownCollection(name, known, v.Kind)})
			continue
		}
		recs, err := records[name].Load("")
		if err != nil {
			fe := FieldError{Field: field, Message: err.Error(), File: records[name].File}
			var pe *PositionError
			if errors.As(err, &pe) {
				fe.Line = pe.Line
			}
			errs = append(errs, fe)
			continue
		}
		data, terrs := expandRecordTimes(field, recs, now)
		if len(terrs) > 0 {
			errs = append(errs, terrs...)
			continue
		}
		if _, err := load(name, data); err != nil {
			errs = append(errs, recordProblems(field, recs, err)...)
		}
	}
	return errs
}

// expandRecordTimes resolves the ${now...} times of records, and names
// each bad reference by record, field, file and line.
func expandRecordTimes(field string, recs []Record, now time.Time) ([]store.Record, []FieldError) {
	data := make([]store.Record, len(recs))
	var errs []FieldError
	for i, r := range recs {
		rec, err := ExpandTimes(r.Data, now)
		var te *TimeRefError
		if errors.As(err, &te) {
			errs = append(errs, FieldError{Field: fmt.Sprintf("%s[%d].%s", field, i, te.Field), Message: fmt.Sprintf("%q: %s", te.Value, te.Reason), File: r.File, Line: r.Line})
			continue
		}
		data[i] = rec
	}
	return data, errs
}

// recordProblems names each record a collection refused: its index, file
// and line, and the field at fault.
func recordProblems(field string, recs []Record, err error) []FieldError {
	refused := store.RecordErrors(err)
	if len(refused) == 0 {
		return []FieldError{{Field: field, Message: unprefixed(err).Error()}}
	}
	out := make([]FieldError, 0, len(refused))
	for _, re := range refused {
		fe := FieldError{Field: fmt.Sprintf("%s[%d]", field, re.Index), Message: re.Reason()}
		if re.Field != "" {
			fe.Field += "." + re.Field
		}
		if re.Index < len(recs) {
			fe.File, fe.Line = recs[re.Index].File, recs[re.Index].Line
		}
		out = append(out, fe)
	}
	return out
}

// unknownCollection says a collection is not the mock's, with the nearest
// of its names.
func unknownCollection(name string, known []string, k Kind) string {
	what := "the collections are the resources of its paths"
	if k == KindGraphQL {
		what = "the collections are the types its mutations return"
	}
	msg := fmt.Sprintf("the mock has no collection %q (%s: %s)", name, what, strings.Join(known, ", "))
	if near := Nearest(name, known); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return msg
}

// Nearest is the name of known closest to name, when one is close enough
// to be a misspelling; "" otherwise.
func Nearest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(k))
		if d < bestDist || strings.EqualFold(strings.TrimSuffix(name, "s"), strings.TrimSuffix(k, "s")) && d < bestDist+2 {
			best, bestDist = k, d
		}
	}
	return best
}

// CheckRecords loads the records a declaration names into a bare mock of
// contract c and returns every problem, each with its field (records.NAME,
// records.NAME[i].FIELD) and, for a record, the file and line it was
// written at. Relative record files are read from the working directory:
// ResolveRecords first.
func CheckRecords(c Contract, s Spec) []FieldError {
	if len(s.Records) == 0 || !s.Stateful {
		return nil
	}
	v, err := New(c, Spec{Stateful: true}, Settings{})
	if err != nil {
		return []FieldError{{Field: "records", Message: err.Error()}}
	}
	defer v.Close()
	return v.seed(s.Records, time.Now())
}

// Collections names the collections a stateful mock of c keeps: the
// resources of its paths (OpenAPI), the types its mutations return
// (GraphQL).
func Collections(c Contract) ([]string, error) {
	v, err := New(c, Spec{Stateful: true}, Settings{})
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if v.GraphQL != nil {
		return v.GraphQL.Store().Collections(), nil
	}
	return v.Store.Collections(), nil
}
