package toolkit

import "testing"

// scanAll follows stream in the pieces given and returns where the first
// ambiguous head ends in the stream (-1 none), its request number, and
// whether the framing was lost.
func scanAll(pieces ...[]byte) (int, int, bool) {
	f := framing{first: true}
	off := 0
	for _, p := range pieces {
		if f.lost {
			break
		}
		if cut, bad := f.scan(p); bad != 0 {
			return off + cut, bad, f.lost
		}
		off += len(p)
	}
	return -1, 0, f.lost
}

// FuzzFraming: whatever a client sends, following its framing never
// panics, and reads cut anywhere see what one read of the whole sees.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"), 10)
	f.Add([]byte("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\n\r\n"), 40)
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nabcd\r\n0\r\nT: t\r\n\r\nPOST / HTTP/1.1\r\ncontent-length:1\r\ntransfer-encoding: x\r\n\r\n"), 55)
	f.Add([]byte("\r\nOPTIONS * HTTP/1.1\r\n\r\nGET / HTTP/1.0\n\n"), 3)
	f.Fuzz(func(t *testing.T, stream []byte, at int) {
		cut, bad, lost := scanAll(stream)
		if cut > len(stream) || (cut >= 0) != (bad > 0) {
			t.Fatalf("cut %d, request %d of a %d-byte stream", cut, bad, len(stream))
		}
		if at < 0 || at > len(stream) {
			return
		}
		cut2, bad2, lost2 := scanAll(stream[:at], stream[at:])
		if cut2 != cut || bad2 != bad || lost2 != lost {
			t.Fatalf("in two reads cut at %d: (%d, %d, lost %v); in one: (%d, %d, lost %v)", at, cut2, bad2, lost2, cut, bad, lost)
		}
	})
}
