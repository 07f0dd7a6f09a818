package toolkit

// readChunk is how many entries a streamed read copies out of the journal
// at a time: the lock is held for one chunk, never while a reader writes.
const readChunk = 256

// Entries returns the kept entries that match f, oldest first, at most
// f.Limit of them when it is set.
func (j *Journal) Entries(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	for k := j.first(f.After); k < j.n; k++ {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		e := &j.entries[(j.start+k)%len(j.entries)]
		if f.match(e) {
			out = append(out, *e)
		}
	}
	return out
}

// first is the ring offset of the first kept entry recorded after seq
// after: the kept entries are those of seq-n+1 to seq, in order.
// The caller holds j.mu.
func (j *Journal) first(after uint64) int {
	oldest := j.seq - uint64(j.n) + 1
	if after < oldest {
		return 0
	}
	return int(min(after-oldest+1, uint64(j.n)))
}

// Page is where a paged read of the journal ends.
type Page struct {
	// Last is the sequence number of the last entry of the page (0 when
	// the page is empty).
	Last uint64
	// More says whether entries after Last matched f when the page was
	// cut: the next page is read with f.After = Last.
	More bool
}

// Page says which entries a read of f returns: those that match f up to
// p.Last. Reading them (Each) keeps to that bound, so entries recorded
// meanwhile are left to the next page.
func (j *Journal) Page(f Filter) Page {
	j.mu.Lock()
	defer j.mu.Unlock()
	var p Page
	count := 0
	for k := j.first(f.After); k < j.n; k++ {
		e := &j.entries[(j.start+k)%len(j.entries)]
		if !f.match(e) {
			continue
		}
		if f.Limit > 0 && count == f.Limit {
			p.More = true
			break
		}
		count++
		p.Last = e.Seq
	}
	return p
}

// Each calls fn with each kept entry that matches f and whose sequence
// number is at most last, oldest first, at most f.Limit of them when it is
// set, and stops at fn's first error, which it returns. The entries are
// copied out a chunk at a time, so memory stays small however many there
// are and fn never runs under the journal's lock: a slow reader does not
// hold up the mock. An entry dropped by the ring before its chunk is read
// is skipped.
func (j *Journal) Each(f Filter, last uint64, fn func(*Entry) error) error {
	buf := make([]Entry, 0, readChunk)
	sent := 0
	for {
		buf = j.chunk(f, last, buf[:0])
		for i := range buf {
			if f.Limit > 0 && sent == f.Limit {
				return nil
			}
			if err := fn(&buf[i]); err != nil {
				return err
			}
			sent++
			f.After = buf[i].Seq
		}
		if len(buf) < readChunk {
			return nil
		}
		clear(buf) // let the bodies go while the next chunk is read
	}
}

// chunk appends to buf up to cap(buf) entries that match f, up to seq last.
func (j *Journal) chunk(f Filter, last uint64, buf []Entry) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	for k := j.first(f.After); k < j.n && len(buf) < cap(buf); k++ {
		e := &j.entries[(j.start+k)%len(j.entries)]
		if e.Seq > last {
			break
		}
		if f.match(e) {
			buf = append(buf, *e)
		}
	}
	return buf
}
