package scenarios

import (
	"strings"
	"sync"

	"github.com/firedrill/firedrill/mocks"
)

// contractCache keeps the contracts Validate loaded for the run that
// follows: a run then loads each contract once, where it loaded it to
// validate (twice for `firedrill run`: on reading the file, and again at
// the start of Run) and again to serve it. The run takes what it uses, so
// the next run of the same scenario loads its own. A nil cache keeps
// nothing.
type contractCache struct {
	mu     sync.Mutex
	loaded map[string]mocks.Contract
}

func newContractCache() *contractCache {
	return &contractCache{loaded: map[string]mocks.Contract{}}
}

func contractKey(paths []string) string { return strings.Join(paths, "\x00") }

func (c *contractCache) put(paths []string, ct mocks.Contract) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loaded[contractKey(paths)] = ct
}

// peek returns the contract loaded from paths, and leaves it cached.
func (c *contractCache) peek(paths []string) (mocks.Contract, bool) {
	if c == nil {
		return mocks.Contract{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.loaded[contractKey(paths)]
	return ct, ok
}

// take returns the contract loaded from paths and forgets it.
func (c *contractCache) take(paths []string) (mocks.Contract, bool) {
	if c == nil {
		return mocks.Contract{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := contractKey(paths)
	ct, ok := c.loaded[key]
	delete(c.loaded, key)
	return ct, ok
}
