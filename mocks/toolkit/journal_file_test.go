package toolkit

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestJournalFileRoundTrip: what WriteJournal writes, ReadJournal reads
// back entry for entry, bodies byte for byte (text, binary, cut inside a
// character), one line per entry.
func TestJournalFileRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	j := NewJournal(10)
	j.Record(Entry{
		System: "accounting", Time: at, Duration: 1500 * time.Microsecond, Direction: "inbound", Client: "127.0.0.1:5000",
		Method: http.MethodPost, Path: "/invoices", Query: "dry_run=1", Operation: "createInvoice", Template: "/invoices",
		Header: http.Header{"Authorization": {"Bearer " + Masked}, "Idempotency-Key": {"k1"}}, Body: Body(`{"reference":"o-1","amount_cents":1000}`),
		Status: 201, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: Body(`{"id":"in-1"}`),
		Valid: true, IdempotencyKey: "k1",
	})
	j.Record(Entry{
		System: "accounting", Time: at.Add(time.Second), Direction: "inbound", Method: http.MethodPut, Path: "/invoices/in-1/pdf",
		Body: Body{0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0xfe}, Status: 415, Valid: false,
		Violations: []Violation{{In: "header", Name: "Content-Type", Message: `"application/pdf" is not declared`}},
		Fault:      "status 503", Throttled: true, Replayed: true,
	})
	j.Record(Entry{
		System: "accounting", Time: at.Add(2 * time.Second), Direction: "webhook", Method: http.MethodPost, Path: "/hooks",
		Body: Body("caf\xc3"), Error: "receiver answered 500 (attempt 1 of 8)", Valid: true,
	})
	entries := j.Entries(Filter{})
	var b bytes.Buffer
	if err := WriteJournal(&b, entries); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != len(entries) {
		t.Fatalf("%d lines for %d entries:\n%s", n, len(entries), b.String())
	}
	if !strings.Contains(b.String(), `"body":"{\"reference\":\"o-1\",\"amount_cents\":1000}"`) || !strings.Contains(b.String(), `"body":{"base64":`) {
		t.Errorf("bodies are neither text nor base64 where they should be:\n%s", b.String())
	}
	got, err := ReadJournal(&b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(entries, got); d != "" {
		t.Fatalf("the journal changed on its way through the file (-written +read):\n%s", d)
	}
	var empty bytes.Buffer
	if err := WriteJournal(&empty, nil); err != nil || empty.Len() != 0 {
		t.Fatalf("an empty journal: %q, %v", empty.String(), err)
	}
	if got, err := ReadJournal(&empty); err != nil || len(got) != 0 {
		t.Fatalf("reading an empty journal: %v, %v", got, err)
	}
}

// TestReadJournalNamesTheBadLine: blank lines are skipped, and a line that
// is not an entry is refused with its number.
func TestReadJournalNamesTheBadLine(t *testing.T) {
	t.Parallel()
	in := `{"seq":1,"system":"shop","method":"GET","path":"/orders","status":200,"valid":true}` + "\n\n" +
		`{"seq":2,"system":"shop","method":"GET","path":"/orders/1","status":404,"valid":true}` + "\n"
	got, err := ReadJournal(strings.NewReader(in))
	if err != nil || len(got) != 2 || got[1].Status != 404 {
		t.Fatalf("%+v, %v", got, err)
	}
	for bad, line := range map[string]string{
		in + "not json\n":                 "line 4",
		`{"seq":1}` + "\n" + `{"body":1}`: "line 2",
		`[]`:                              "line 1",
	} {
		if _, err := ReadJournal(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), line) || !strings.HasPrefix(err.Error(), "mocks: journal") {
			t.Errorf("%q: %v, want an error naming %s", bad, err, line)
		}
	}
}
