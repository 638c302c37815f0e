//go:build !unix

package localapi

import "net"

// listenPrivate listens on a Unix socket (where the platform has them).
func listenPrivate(path string) (net.Listener, error) { return net.Listen("unix", path) }
