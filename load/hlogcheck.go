package load

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxHlogLine bounds a line of histograms.hlog: a second's compressed
// histogram is a few KiB.
const maxHlogLine = 1 << 20

// maxPayload is the longest uncompressed histogram of our settings: its
// 40-byte header and every count as a 9-byte LEB128.
var maxPayload = 40 + 9*len(newHist().Export().Counts)

// checkedLog hands histograms.hlog to the library's reader line by line,
// each interval's histogram checked first: the library decodes what the
// file says, and a mangled header (a lowest value near 2^60, a huge range)
// makes it loop forever or allocate without bound. A last line without
// its newline is a file cut short.
type checkedLog struct {
	r       *bufio.Reader
	pending []byte
	line    int
}

func newCheckedLog(r io.Reader) *checkedLog {
	return &checkedLog{r: bufio.NewReaderSize(r, maxHlogLine)}
}

func (c *checkedLog) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		line, err := c.r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return 0, fmt.Errorf("line %d is longer than %d bytes", c.line+1, maxHlogLine)
		case len(line) == 0 && err != nil:
			return 0, err
		case err != nil:
			return 0, fmt.Errorf("line %d is cut short (no newline at the end)", c.line+1)
		}
		c.line++
		if err := checkHlogLine(line); err != nil {
			return 0, fmt.Errorf("line %d: %w", c.line, err)
		}
		c.pending = append(c.pending[:0], line...)
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// checkHlogLine accepts comments, the legend, and interval lines whose
// histogram has our settings and a bounded size.
func checkHlogLine(line []byte) error {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || line[0] == '#' || line[0] == '"' {
		return nil
	}
	if bytes.HasPrefix(line, []byte("Tag=")) {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			return errors.New("a tag without an interval")
		}
		line = line[i+1:]
	}
	f := bytes.SplitN(line, []byte(","), 4)
	if len(f) != 4 {
		return errors.New("not an interval line (start,length,max,histogram)")
	}
	return checkPayload(f[3])
}

func checkPayload(b64 []byte) error {
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(raw, b64)
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	raw = raw[:n]
	if len(raw) < 8 || int32(binary.BigEndian.Uint32(raw))&^0xf0 != hdrhistogram.V2CompressedEncodingCookieBase {
		return errors.New("histogram: not in the V2 compressed encoding")
	}
	clen := int(binary.BigEndian.Uint32(raw[4:]))
	if clen < 0 || clen > len(raw)-8 {
		return errors.New("histogram: cut short")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8 : 8+clen]))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(z, int64(maxPayload)+1))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if len(body) < 40 || len(body) > maxPayload {
		return fmt.Errorf("histogram: %d bytes uncompressed, want 40 to %d", len(body), maxPayload)
	}
	be := binary.BigEndian
	plen, digits := int(int32(be.Uint32(body[4:]))), int64(int32(be.Uint32(body[12:])))
	lowest, highest := int64(be.Uint64(body[16:])), int64(be.Uint64(body[24:]))
	if lowest != HistLowest || highest != HistHighest || digits != HistDigits {
		return fmt.Errorf("histogram of %d..%d with %d digits, want %d..%d with %d", lowest, highest, digits, HistLowest, HistHighest, HistDigits)
	}
	if plen != len(body)-40 {
		return errors.New("histogram: its length does not match its counts")
	}
	return nil
}
