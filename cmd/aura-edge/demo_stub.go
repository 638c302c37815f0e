package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDemoCmd builds the demo command. Release builds get this stand-in, which
// explains where the demo lives; binaries built with -tags demo replace it
// (demo.go) with the real one.
var newDemoCmd = func() *cobra.Command {
	return &cobra.Command{
		Use:    "demo",
		Short:  "Run the end-to-end demo (only in development builds: make demo)",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("this aura-edge build has no demo, so that store PCs run the product alone; " +
				"run `make demo` in the source tree (it builds with -tags demo)")
		},
	}
}
