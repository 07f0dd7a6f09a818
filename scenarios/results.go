package scenarios

import (
	"errors"
	"fmt"
	"io"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// resultsRedactor sits between the load and results.bin: it decodes the
// vegeta results the load streams (gob, as load.WithResults writes them),
// redacts the URL, error, body and headers of each, and encodes them to
// the file. The file is what CI templates publish: a secret the flow
// placed in a URL must not reach it, not even for a moment.
type resultsRedactor struct {
	pw   *io.PipeWriter
	done chan error
}

// redactResults returns the writer to hand load.WithResults; Close waits
// until every result is in w.
func (s *Secrets) redactResults(w io.Writer) *resultsRedactor {
	pr, pw := io.Pipe()
	rr := &resultsRedactor{pw: pw, done: make(chan error, 1)}
	go func() {
		dec, enc := vegeta.NewDecoder(pr), vegeta.NewEncoder(w)
		for {
			var res vegeta.Result
			err := dec.Decode(&res)
			if errors.Is(err, io.EOF) {
				rr.done <- nil
				return
			}
			if err == nil {
				res = redacted(s, res)
				err = enc.Encode(&res)
			}
			if err != nil {
				pr.CloseWithError(err) // the load sees the error on its next write
				rr.done <- fmt.Errorf("scenarios: results: %w", err)
				return
			}
		}
	}()
	return rr
}

func (rr *resultsRedactor) Write(p []byte) (int, error) { return rr.pw.Write(p) }

// Close ends the stream and waits for the last result to be written.
func (rr *resultsRedactor) Close() error {
	rr.pw.Close()
	return <-rr.done
}
