//go:build unix

package localapi

import (
	"net"
	"sync"
	"syscall"
)

var umaskMu sync.Mutex

// listenPrivate creates a Unix socket that is 0600 from its first moment:
// the umask is narrowed while the socket file is created (a chmod after
// the fact would leave a window in which others could connect).
func listenPrivate(path string) (net.Listener, error) {
	umaskMu.Lock()
	defer umaskMu.Unlock()
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
