package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/doctor"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// errChecksFailed makes doctor exit 1 after printing its report.
var errChecksFailed = errors.New("some checks failed; each failure above names its fix")

func newDoctorCmd() *cobra.Command {
	var asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check this store PC: config, data dir, key, daemon, cloud link, clock, disk, printers, outbox",
		Long: `Check this store PC and name the fix for every problem: one line per check, ok / warn / fail.
Exit status 1 when any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			cfg, err := loadConfig(cmd)
			var rep *doctor.Report
			if err != nil {
				path, _ := cmd.Flags().GetString("config")
				rep = &doctor.Report{Checks: []doctor.Check{{Name: "config", Status: doctor.Fail,
					Detail: err.Error(), Fix: "aura-edge config check --config " + path + " (or: sudo aura-edge setup)"}}}
			} else {
				rep = doctor.Run(cmd.Context(), cfg, liveDaemon(cmd, cfg), doctor.Options{Timeout: timeout})
			}
			if asJSON {
				if err := printJSON(out, rep); err != nil {
					return err
				}
			} else {
				for _, c := range rep.Checks {
					fmt.Fprintf(out, "%-4s  %-20s %s\n", c.Status, c.Name, c.Detail)
					if c.Fix != "" && c.Status != doctor.OK {
						fmt.Fprintf(out, "      %-20s fix: %s\n", "", c.Fix)
					}
				}
			}
			if rep.Failed() {
				return errChecksFailed
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "time allowed for each network check")
	return c
}

// liveDaemon asks a running daemon for its state; nil when none answers
// (doctor then never opens the store through the control client).
func liveDaemon(cmd *cobra.Command, cfg *config.Config) *doctor.Daemon {
	conn, err := net.DialTimeout("unix", daemon.ControlSocket(cfg), time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	var st struct {
		Outbox   []localapi.StreamView `json:"outbox"`
		Printers []spool.PrinterStatus `json:"printers"`
		Sync     []scheduler.State     `json:"sync"`
	}
	if err := ctlCall(cmd, "GET", "/v1/status", nil, &st); err != nil {
		fmt.Fprintln(os.Stderr, "aura-edge doctor: the daemon's status:", err)
		return nil
	}
	d := &doctor.Daemon{Printers: map[string]doctor.PrinterState{}}
	for _, s := range st.Outbox {
		d.Outbox = append(d.Outbox, outbox.StreamStats{Stream: outbox.Stream(s.Stream), Depth: s.Depth,
			OldestAge: time.Duration(s.OldestAgeS * float64(time.Second)), Full: s.Full})
	}
	for _, s := range st.Sync {
		d.Sync = append(d.Sync, doctor.SyncState{Key: s.Key, LastRun: s.LastRun, LastError: s.LastError, Failures: s.Failures})
	}
	for _, p := range st.Printers {
		d.Printers[p.Name] = doctor.PrinterState{State: string(p.State), LastError: p.LastError}
	}
	var ins struct {
		Integrations []struct {
			ID       string            `json:"id"`
			Vendor   string            `json:"vendor"`
			Settings map[string]string `json:"settings"`
		} `json:"integrations"`
	}
	if err := ctlCall(cmd, "GET", "/integrations/pos/status?live=false", nil, &ins); err != nil {
		fmt.Fprintln(os.Stderr, "aura-edge doctor: the daemon's integrations:", err)
	}
	for _, in := range ins.Integrations {
		d.Integrations = append(d.Integrations, doctor.IntegrationSettings{ID: in.ID, Vendor: in.Vendor, Settings: in.Settings})
	}
	return d
}
