//go:build unix

package chaos

import (
	"net"
	"os"
	"syscall"
)

// copyDirect copies src to dst until src ends (nil), fails, or g closes
// (errGateClosed). It waits for src to be readable without a buffer and
// takes one from a pool only to move the bytes at hand, so an idle
// connection holds no buffer. Every byte it has read is written before it
// returns.
//
// It does not splice: splice(2) from socket to pipe to socket measured
// slower than read(2) and write(2) with a large buffer on loopback
// (BenchmarkProxyThroughput), and each splicing copy holds a pipe, two
// more file descriptors per direction, for as long as it runs.
func copyDirect(dst, src *net.TCPConn, g *gate) error {
	raw, err := src.SyscallConn()
	if err != nil {
		return err
	}
	for {
		var (
			buf  *[copyBufSize]byte
			n    int
			rerr error
		)
		closed := false
		err := raw.Read(func(fd uintptr) bool {
			if buf == nil {
				buf = copyBufs.Get().(*[copyBufSize]byte)
			}
			if !g.read(func() { n, rerr = syscall.Read(int(fd), buf[:]) }) {
				closed = true
				return true
			}
			if rerr == syscall.EAGAIN {
				copyBufs.Put(buf)
				buf = nil
				return false
			}
			return rerr != syscall.EINTR
		})
		if n > 0 {
			_, werr := dst.Write(buf[:n])
			copyBufs.Put(buf)
			if werr != nil {
				return werr
			}
			continue
		}
		if buf != nil {
			copyBufs.Put(buf)
		}
		switch {
		case closed:
			return errGateClosed
		case err != nil:
			return err
		case rerr != nil:
			return os.NewSyscallError("read", rerr)
		default:
			return nil // the end of the stream
		}
	}
}
