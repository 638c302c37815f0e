package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
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
			log, err := daemon.NewLogger(os.Stderr, cfg.Log.Level, cfg.Log.Format)
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

// serviceConfig describes the OS service; on systemd it installs our own
// unit (Restart=always, RestartSec=2, dialout/lp groups) rather than the
// library's default.
func serviceConfig(cfg *config.Config) *service.Config {
	path := cfg.File
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &service.Config{
		Name:        "aura-edge",
		DisplayName: "Aura Edge",
		Description: "Aura store daemon: POS sync, receipt printing and an offline buffer for the Aura cloud.",
		Arguments:   []string{"run", "--config", path},
		Option: service.KeyValue{
			"SystemdScript": systemdUnit,
			"Restart":       "always",
			"OnFailure":     "restart",
		},
	}
}
