package load

import (
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// queue feeds a later step of a flow to its vegeta attacker. It is both the
// attacker's Targeter (pop the next ready request) and its Pacer: a hit is
// due as soon as a request is queued, so vegeta still does the HTTP, the
// worker pool and the result timestamps, while the pace of later steps
// follows the answers to earlier ones.
type queue struct {
	mu      sync.Mutex
	items   []vegeta.Target
	head    int
	pushed  uint64
	closed  bool // no more pushes: stop once drained
	aborted bool // stop now
	notify  chan struct{}
}

func newQueue() *queue { return &queue{notify: make(chan struct{}, 1)} }

func (q *queue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *queue) push(t vegeta.Target) {
	q.mu.Lock()
	q.items = append(q.items, t)
	q.pushed++
	q.mu.Unlock()
	q.wake()
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

func (q *queue) abort() {
	q.mu.Lock()
	q.closed, q.aborted = true, true
	q.mu.Unlock()
	q.wake()
}

// Pace blocks until a request is queued that no hit has claimed yet.
func (q *queue) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	for {
		q.mu.Lock()
		pushed, closed, aborted := q.pushed, q.closed, q.aborted
		q.mu.Unlock()
		switch {
		case aborted:
			return 0, true
		case pushed > hits:
			return 0, false
		case closed:
			return 0, true
		}
		<-q.notify
	}
}

// Rate is unknown in advance: it follows the earlier steps.
func (q *queue) Rate(time.Duration) float64 { return 0 }

// pop is the Targeter. Pace guarantees an item per hit.
func (q *queue) pop(t *vegeta.Target) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head >= len(q.items) {
		return vegeta.ErrNoTargets
	}
	*t = q.items[q.head]
	q.items[q.head] = vegeta.Target{}
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return nil
}
