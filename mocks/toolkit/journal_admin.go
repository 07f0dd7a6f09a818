package toolkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
)

// NextHeader carries the cursor of the next page of a journal read: the
// value to pass as after.
const NextHeader = "Firedrill-Next-After"

// ServeEntries answers GET /__firedrill/requests for every mock kind: the
// journal's entries that match the query, oldest first, as one JSON array.
//
//	GET /__firedrill/requests?operation=&method=&status=&since=&until=&after=&limit=
//
// operation, method, status, since and until (RFC 3339) filter; after=SEQ
// keeps the entries recorded after the one of sequence number SEQ, and
// limit=N at most N of them: a page. When more entries match past the
// page, the answer says where the next one starts, in NextHeader and in a
// Link header (rel="next") that repeats the query with after set:
//
//	Firedrill-Next-After: 4200
//	Link: </__firedrill/requests?after=4200&limit=100>; rel="next"
//
// Without limit every matching entry is sent. Either way the answer is
// streamed, one entry encoded at a time, so a read costs the memory of a
// few entries however large the journal. A bad parameter is a 400 naming
// it.
func ServeEntries(w http.ResponseWriter, r *http.Request, j *Journal) {
	f, vs := ParseFilter(r.URL.Query())
	if len(vs) > 0 {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Bad journal filter", Violations: vs})
		return
	}
	page := j.Page(f)
	w.Header().Set("Content-Type", "application/json")
	if page.More {
		next := strconv.FormatUint(page.Last, 10)
		q := r.URL.Query()
		q.Set("after", next)
		w.Header().Set(NextHeader, next)
		w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if err := writeEntries(w, j, f, page.Last); err != nil {
		// The status is sent: all that is left is to say so and cut the
		// answer short, which the client sees as a broken array.
		slog.Warn("mocks: journal read cut short", "err", err)
	}
}

// writeEntries writes the entries of f up to seq last as a JSON array.
func writeEntries(w http.ResponseWriter, j *Journal, f Filter, last uint64) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	sep := []byte("[")
	err := j.Each(f, last, func(e *Entry) error {
		if _, err := bw.Write(sep); err != nil {
			return err
		}
		sep = []byte(",")
		return enc.Encode(e)
	})
	if err != nil {
		return fmt.Errorf("mocks: journal entry: %w", err)
	}
	if sep[0] == '[' {
		bw.WriteString("[")
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mocks: journal read: %w", err)
	}
	return nil
}
