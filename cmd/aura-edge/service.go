package main

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
)

// systemdUnit is the unit template `install` writes on systemd hosts
// (kardianos/service template syntax).
//
//go:embed aura-edge.service.tmpl
var systemdUnit string

// newServiceCmds returns install, uninstall, start, stop, restart, status.
func newServiceCmds() []*cobra.Command {
	verbs := []struct{ name, short string }{
		{"install", "Install aura-edge as an OS service (systemd, Windows SCM, launchd)"},
		{"uninstall", "Remove the OS service"},
		{"start", "Start the OS service"},
		{"stop", "Stop the OS service"},
		{"restart", "Restart the OS service"},
	}
	var cmds []*cobra.Command
	for _, v := range verbs {
		cmds = append(cmds, &cobra.Command{
			Use:   v.name,
			Short: v.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				svc, err := newService(cmd, v.name == "install")
				if err != nil {
					return err
				}
				if err := service.Control(svc, v.name); err != nil {
					return fmt.Errorf("%s service: %w", v.name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "aura-edge service: %s done (%s)\n", v.name, service.Platform())
				return nil
			},
		})
	}
	cmds = append(cmds, &cobra.Command{
		Use:   "status",
		Short: "Show whether the OS service is installed and running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := newService(cmd, false)
			if err != nil {
				return err
			}
			st, err := svc.Status()
			switch {
			case errors.Is(err, service.ErrNotInstalled):
				fmt.Fprintln(cmd.OutOrStdout(), "aura-edge service: not installed")
				return nil
			case err != nil:
				return fmt.Errorf("service status: %w", err)
			}
			names := map[service.Status]string{service.StatusRunning: "running", service.StatusStopped: "stopped"}
			s := names[st]
			if s == "" {
				s = "unknown"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "aura-edge service: %s (%s)\n", s, service.Platform())
			return nil
		},
	})
	return cmds
}

// newService builds the service handle. install validates the config first,
// so a broken file is caught before the service manager loops on it.
func newService(cmd *cobra.Command, validate bool) (service.Service, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg := &config.Config{File: path}
	if validate {
		var err error
		if cfg, err = loadConfig(cmd); err != nil {
			return nil, err
		}
	}
	return service.New(&program{d: &daemon.Daemon{}}, serviceConfig(cfg))
}
