package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/logging"
	"github.com/auraconnect/aura-edge/internal/osservice"
)

func newRunCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon in the foreground (also what the OS service runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log, err := logging.New(os.Stderr, cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return usageError{err}
			}
			d, err := daemon.New(cfg, log)
			if err != nil {
				return err
			}
			p := &program{d: d}
			if service.Interactive() {
				// In a terminal (or under a test): run directly with our own
				// signal handling so SIGTERM and SIGINT stop cleanly.
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return d.Run(ctx)
			}
			svc, err := service.New(p, serviceConfig(cfg))
			if err != nil {
				return err
			}
			if err := svc.Run(); err != nil {
				return err
			}
			return p.err
		},
	}
}

// program adapts the daemon to kardianos/service: Start returns at once,
// Stop cancels and waits for a clean shutdown.
type program struct {
	d      *daemon.Daemon
	cancel context.CancelFunc
	wg     sync.WaitGroup
	err    error
}

func (p *program) Start(s service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.d.Run(ctx); err != nil {
			p.err = err
			fmt.Fprintln(os.Stderr, "aura-edge:", err)
			os.Exit(exitRuntime) // the service manager restarts us
		}
	}()
	return nil
}

func (p *program) Stop(s service.Service) error {
	p.cancel()
	p.wg.Wait()
	return nil
}

// serviceConfig describes the OS service for kardianos/service: run, and
// install on Windows (SCM: automatic start, restart 2 s after a failure) and
// launchd (our rendered plist, KeepAlive). On systemd, install writes our
// own unit (service.go, internal/osservice).
func serviceConfig(cfg *config.Config) *service.Config {
	spec, err := serviceSpec(cfg)
	if err != nil {
		spec = osservice.Spec{Exec: os.Args[0], Config: cfg.File}
	}
	opts := service.KeyValue{
		"Restart":                "always",
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "2s",
		"OnFailureResetPeriod":   60,
		"StartType":              "automatic",
		"DelayedAutoStart":       true,
	}
	if plist, err := osservice.LaunchdPlist(spec); err == nil {
		// Rendered in full: kardianos' mini template engine passes text
		// without {{ }} through unchanged.
		opts["LaunchdConfig"] = string(plist)
	}
	return &service.Config{
		Name:        osservice.Name,
		DisplayName: "Aura Edge",
		Description: osservice.Description + ".",
		Arguments:   spec.Args(),
		Option:      opts,
	}
}
