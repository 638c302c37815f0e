package testkit

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// CrashChild is a crash test's child: the test binary run again for one
// test, with environment variables that make that test play the child. The
// child prints a line "ACK ..." for each write it has acknowledged, each
// line in one write(2).
type CrashChild struct {
	Test string   // the test the child runs (-test.run=^Test$)
	Env  []string // added to the child's environment
	// Least and Spread: the child is killed Least plus a random part of
	// Spread (whole milliseconds) after its first ACK line.
	Least, Spread time.Duration
	// Fields is how many fields an ACK line has; a last line with another
	// count is dropped rather than trusted.
	Fields int
}

// RunAndKill starts the child, lets it run for a random moment after its
// first acknowledgement, kills it with SIGKILL and returns its ACK lines.
// A child that acknowledges nothing in 60 s fails the test.
func (c CrashChild) RunAndKill(tb testing.TB) []string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+c.Test+"$")
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	first := make(chan struct{})
	done := make(chan []string)
	go func() {
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "ACK ") {
				if len(lines) == 0 {
					close(first)
				}
				lines = append(lines, l)
			}
		}
		done <- lines
	}()
	select {
	case <-first:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		tb.Fatal("child acknowledged nothing in 60s")
	}
	pause := c.Least
	if ms := int(c.Spread / time.Millisecond); ms > 0 {
		pause += time.Duration(rand.IntN(ms)) * time.Millisecond
	}
	// A random moment to kill at, not a wait for a condition.
	time.Sleep(pause)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on unix
		tb.Fatal(err)
	}
	lines := <-done
	cmd.Wait()
	// The scanner returns a final line even without its newline; the child
	// writes each line in one write(2), so a partial line cannot occur, but
	// drop a malformed last line rather than trust it.
	if n := len(lines); n > 0 && len(strings.Fields(lines[n-1])) != c.Fields {
		lines = lines[:n-1]
	}
	return lines
}
