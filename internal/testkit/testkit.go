package testkit

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// Need returns the path of an external tool that a test needs. When it is
// missing the test fails if CI=true (CI must have it) and is skipped
// otherwise; install says how to get it ("apt-get install socat").
func Need(tb testing.TB, tool, install string) string {
	tb.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is required in CI (%s): %v", tool, install, err)
		}
		tb.Skipf("%s not installed (%s): %v", tool, install, err)
	}
	return path
}

// WaitFor polls cond every 10 ms until it holds, and fails the test when
// it still does not after timeout.
func WaitFor(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	if err := Wait(timeout, cond); err != nil {
		tb.Fatalf("waiting for %s: %v", what, err)
	}
}

// Wait polls cond every 10 ms until it holds; it returns an error when it
// still does not after timeout (for use outside the test's goroutine).
func Wait(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return &timeoutError{timeout}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return "not true after " + e.d.String() }
