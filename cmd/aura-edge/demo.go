//go:build demo

// The demo links the vendor stand-ins, an embedded MQTT broker and the
// printer stand-in, so it is only in binaries built with -tags demo
// (`make demo`); the release binary ships the product alone.

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/demo"
)

func init() { newDemoCmd = newDemoRunCmd }

func newDemoRunCmd() *cobra.Command {
	var opts demo.Options
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the main job end to end on embedded defaults, with local stand-ins for the cloud, POS and printer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return demo.Run(ctx, cmd.OutOrStdout(), opts)
		},
	}
	c.Flags().DurationVar(&opts.Duration, "duration", 15*time.Second, "how long the simulated till takes orders (the broker is down for its middle third)")
	c.Flags().StringVar(&opts.DataDir, "data-dir", "", "data dir to use (default: a temporary one, removed afterwards)")
	c.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "also show the daemon's logs")
	return c
}
