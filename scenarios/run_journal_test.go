package scenarios

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// A journal that dropped requests to stay within its bounds makes the
// gates that read it say they judged its latest requests only; one that
// kept them all adds nothing.
func TestJournalsDroppedAreSaid(t *testing.T) {
	t.Parallel()
	full, small := toolkit.NewJournal(100), toolkit.NewJournal(100)
	small.SetMaxBytes(4 << 10)
	for range 50 {
		e := toolkit.Entry{System: "x", Direction: "inbound", Method: "POST", Path: "/orders", Body: []byte(strings.Repeat("a", 400))}
		full.Record(e)
		small.Record(e)
	}
	r := &run{log: slog.New(slog.DiscardHandler), secrets: &Secrets{}, systems: []*system{{name: "shop", journal: localJournal{full}}}}
	if note := r.journalsDropped(); note != "" {
		t.Errorf("a journal that kept everything: %q", note)
	}
	r.systems = append(r.systems, &system{name: "accounting", journal: localJournal{small}})
	note := r.journalsDropped()
	if !strings.Contains(note, "accounting dropped its") || strings.Contains(note, "shop") {
		t.Errorf("a journal that dropped requests: %q", note)
	}
}
