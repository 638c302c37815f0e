// Command aura-edge is the Aura store daemon: it bridges the store's POS
// systems and printers with the Aura cloud and keeps working offline.
//
// Run "aura-edge --help" for the commands.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/auraconnect/aura-edge/internal/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks errors that exit with code 2 (bad flags, bad config).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "aura-edge:", err)
	var ue usageError
	var ce *config.Error
	if errors.As(err, &ue) || errors.As(err, &ce) || strings.HasPrefix(err.Error(), "unknown command") ||
		strings.HasPrefix(err.Error(), "unknown flag") || strings.HasPrefix(err.Error(), "required flag") {
		return exitUsage
	}
	return exitRuntime
}
