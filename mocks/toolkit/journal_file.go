package toolkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// maxJournalLine bounds one line of a journal file: an entry holds two
// bodies of at most MaxJournalBody bytes, which JSON may escape to six
// bytes each, and its headers.
const maxJournalLine = 16 << 20

// WriteJournal writes entries in the journal file format, the one a run
// folder's journal-SYSTEM.jsonl holds: JSON Lines, one Entry a line, in the
// order given (Journal.Entries gives the oldest first). A body is its text
// when it is UTF-8, else {"base64": "..."} (see Body). ReadJournal reads it
// back.
func WriteJournal(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return fmt.Errorf("mocks: journal entry %d: %w", entries[i].Seq, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mocks: write journal: %w", err)
	}
	return nil
}

// ReadJournal reads a journal written by WriteJournal, every entry in the
// order written. Blank lines are skipped; a line that is not an entry is an
// error naming it.
func ReadJournal(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxJournalLine)
	var out []Entry
	for line := 1; sc.Scan(); line++ {
		data := sc.Bytes()
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(data, &e); err != nil {
			return out, fmt.Errorf("mocks: journal line %d: not a journal entry: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("mocks: read journal: %w", err)
	}
	return out, nil
}
