package mocks

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestExpandTimes: ${now...} references become instants from the clock,
// RFC 3339 in UTC to the second, in nested values too; anything else in
// ${...} is an error naming the field.
func TestExpandTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 987654321, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		in, want string
	}{
		{"${now}", "2026-03-01T09:00:00Z"},
		{"${now-5m}", "2026-03-01T08:55:00Z"},
		{"${now+90s}", "2026-03-01T09:01:30Z"},
		{"${now-30d}", "2026-01-30T09:00:00Z"},
		{"${now-1d12h}", "2026-02-27T21:00:00Z"},
		{"${now+1h30m}", "2026-03-01T10:30:00Z"},
		{"plain", "plain"},
		{"costs $5", "costs $5"},
		{"$${now}", "${now}"},
		{"a $${x} b", "a ${x} b"},
	} {
		got, err := ExpandTimes(map[string]any{"v": tc.in}, now)
		if err != nil || got["v"] != tc.want {
			t.Errorf("%q: got %v, %v; want %q", tc.in, got["v"], err, tc.want)
		}
	}
	nested := map[string]any{"meta": map[string]any{"seen": []any{"${now-1m}", 3.0, true}}, "n": nil}
	got, err := ExpandTimes(nested, now)
	want := map[string]any{"meta": map[string]any{"seen": []any{"2026-03-01T08:59:00Z", 3.0, true}}, "n": nil}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("nested: got %v, %v", got, err)
	}
	if nested["meta"].(map[string]any)["seen"].([]any)[0] != "${now-1m}" {
		t.Error("ExpandTimes changed the record it was given")
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]any{"at": "opened ${now}"}, `at: "opened ${now}": a record's string may only be a whole ${now}`},
		{map[string]any{"at": "${nwo-5m}"}, `at: "${nwo-5m}": a record's string may only be a whole`},
		{map[string]any{"at": "${now-5}"}, `at: "${now-5}": "5" is not a duration`},
		{map[string]any{"at": "${now*5m}"}, `at: "${now*5m}": want ${now}, ${now-DURATION} or ${now+DURATION}`},
		{map[string]any{"at": "${now-1.5d}"}, `"1.5d" is not a duration`},
		{map[string]any{"a": map[string]any{"b": []any{"x", "${env:X}"}}}, `a.b[1]: "${env:X}": a record's string may only be`},
	} {
		_, err := ExpandTimes(tc.in.(map[string]any), now)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestSeedTimesFromTheClock: seeded records' ${now-5m} read the clock the
// mock is given, once, when it loads them; a bad reference is named with
// its record, field, file and line, by New and CheckRecords alike.
func TestSeedTimesFromTheClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := helpdesk(t, dir)
	start := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	file := writeFile(t, dir, "t.yaml", "- {id: t-1, subject: \"${now-5m}\"}\n- {id: t-2, subject: \"${now+1d}\"}\n")
	v, err := New(c, Spec{Stateful: true, Records: map[string]Records{"tickets": {File: file}}}, Settings{Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := v.Store.Snapshot("tickets")
	v.Close()
	if len(recs) != 2 || recs[0]["subject"] != "2026-05-04T11:55:00Z" || recs[1]["subject"] != "2026-05-05T12:00:00Z" {
		t.Errorf("the mock holds %v", recs)
	}
	bad := writeFile(t, dir, "b.ndjson", "{\"subject\": \"a\"}\n{\"subject\": \"${now-5x}\"}\n")
	want := `records.tickets[1].subject (` + bad + `:2): "${now-5x}": "5x" is not a duration`
	got := CheckRecords(c, Spec{Stateful: true, Records: map[string]Records{"tickets": {File: bad}}})
	if len(got) != 1 || !strings.Contains(got[0].Error(), want) {
		t.Errorf("CheckRecords: %v, want %q", got, want)
	}
	if _, err := New(c, Spec{Stateful: true, Records: map[string]Records{"tickets": {File: bad}}}, Settings{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("New: %v, want %q", err, want)
	}
}

// FuzzExpandTimes: any string resolves or is refused, never panics, and a
// resolved ${now...} is an RFC 3339 instant.
func FuzzExpandTimes(f *testing.F) {
	for _, s := range []string{"${now}", "${now-5m}", "${now+90s}", "${now-30d}", "${now-1d12h}", "${now-99999999d}", "$${x}", "${now-}", "${now+1e9h}", "a${now}"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExpandTimes(map[string]any{"v": s}, now)
		if err != nil {
			return
		}
		if nowRef.MatchString(s) {
			if _, perr := time.Parse(RecordTimeLayout, got["v"].(string)); perr != nil {
				t.Fatalf("%q resolved to %q: %v", s, got["v"], perr)
			}
		}
	})
}
