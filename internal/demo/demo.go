package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
)

// Options tune a demo run.
type Options struct {
	Duration time.Duration // how long to run after start (0: until ctx is done)
	DataDir  string        // "" makes a temporary one, removed afterwards
	Verbose  bool          // daemon logs to out as well
}

// Run starts the daemon on a temporary data dir and narrates to out.
func Run(ctx context.Context, out io.Writer, opts Options) error {
	dir := opts.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "aura-edge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cfg := config.Defaults()
	cfg.StoreID = "demo-store"
	cfg.DataDir = dir
	cfg.API.Listen = "127.0.0.1:0"
	logw := io.Discard
	if opts.Verbose {
		logw = out
	}
	log, err := daemon.NewLogger(logw, "info", "text")
	if err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, "demo: "+format+"\n", args...) }
	d, err := daemon.New(&cfg, log)
	if err != nil {
		return err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.Ready():
		say("daemon ready: store %s, data dir %s, local API on %s", cfg.StoreID, dir, d.APIAddr())
	case err := <-errc:
		return err
	}
	err = <-errc
	say("daemon stopped cleanly")
	return err
}
