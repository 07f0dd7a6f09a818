package chaos

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Refused counts the connections a down proxy refused in one second.
type Refused struct {
	At    time.Time `json:"at"` // the second's start, UTC
	Count int       `json:"count"`
}

// MaxRefusedSeconds bounds what a proxy remembers of its refusals: the
// last seconds that had any, an hour of a proxy down throughout.
const MaxRefusedSeconds = 3600

// refusals counts refused connections per second, keeping the last
// MaxRefusedSeconds seconds that had any.
type refusals struct {
	mu   sync.Mutex
	secs []Refused // in order of time
}

// add counts one refusal at t.
func (rf *refusals) add(t time.Time) {
	at := t.UTC().Truncate(time.Second)
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if n := len(rf.secs); n > 0 && !rf.secs[n-1].At.Before(at) {
		// The clock may step back: the count goes to the latest second.
		rf.secs[n-1].Count++
		return
	}
	if len(rf.secs) == MaxRefusedSeconds {
		rf.secs = slices.Delete(rf.secs, 0, 1)
	}
	rf.secs = append(rf.secs, Refused{At: at, Count: 1})
}

// list returns a copy of the counts, never nil.
func (rf *refusals) list() []Refused {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return append([]Refused{}, rf.secs...)
}

// Refusals returns, second by second, the connections the proxy named
// name refused while it was down (disabled through the API: the Down
// fault), each closed by a reset as soon as it was accepted. Seconds
// without refusals are left out; a proxy that was never down has none.
// The counts are firedrill's: a Toxiproxy server that is not (one not
// started by Embedded or `firedrill chaos serve`) answers ErrNotFound.
func (tp *Toxiproxy) Refusals(ctx context.Context, name string) ([]Refused, error) {
	if err := checkName("proxy", name); err != nil {
		return nil, err
	}
	var out []Refused
	if err := tp.do(ctx, http.MethodGet, "/proxies/"+url.PathEscape(name)+"/refused", nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("chaos: refusals of %q: %w", name, err)
	}
	return out, nil
}
