package testkit

import (
	"fmt"
	"os/exec"
	"testing"
)

// MountTmpfs mounts a tmpfs of size bytes on a new temp dir and unmounts
// it when the test ends: a small disk that really fills up (ENOSPC), for
// full-disk tests. It needs root: when the mount fails the test fails if
// CI=true (CI runs as root) and is skipped otherwise.
func MountTmpfs(tb testing.TB, size int64) string {
	tb.Helper()
	dir := tb.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		Unavailable(tb, "cannot mount a %d byte tmpfs (needs root): %v %s", size, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			tb.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}
