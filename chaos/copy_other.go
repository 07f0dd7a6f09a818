//go:build !unix

package chaos

import (
	"errors"
	"io"
	"net"
)

// copyDirect copies src to dst until src ends (nil), fails, or g closes
// (errGateClosed). Where the socket cannot be read without blocking from
// a callback (Windows), the gate is checked before each read: a read that
// began before the gate closed can still let its bytes past a toxic just
// switched on, which the deadline then stops at the next read.
func copyDirect(dst, src *net.TCPConn, g *gate) error {
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	for {
		if g.isClosed() {
			return errGateClosed
		}
		n, err := src.Read(buf[:])
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}
