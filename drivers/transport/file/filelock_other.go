//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package file

// lockDir is a no-op where flock is missing: O_EXCL still keeps two jobs
// out of one file, but two processes may then pick the same number.
func lockDir(string) (func(), error) { return func() {}, nil }

// syncDir is a no-op: directories cannot be fsynced here.
func syncDir(string) error { return nil }
