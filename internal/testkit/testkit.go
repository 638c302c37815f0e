package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI (CI=true), where every tool
// and privilege a test needs must be there.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable ends a test that cannot run here: it fails when CI=true (CI
// must provide what is missing) and is skipped otherwise. The message says
// what is missing and how to get it.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (required in CI)", msg)
	}
	tb.Skip(msg)
}

// Need returns the path of an external tool that a test needs. When it is
// missing the test fails if CI=true (CI must have it) and is skipped
// otherwise; install says how to get it ("apt-get install socat").
func Need(tb testing.TB, tool, install string) string {
	tb.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		Unavailable(tb, "%s not installed (%s): %v", tool, install, err)
	}
	return path
}

// Available reports whether a test should run its part that needs tool:
// it is installed, or CI=true (where Need then fails the test if it is
// not). For a check that is optional on a developer's machine but not in
// CI, unlike Need, which skips the whole test.
func Available(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil || InCI()
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
