package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/store"
)

// errOverridesRefused makes `config check` exit non-zero when a stored
// setting change would be skipped at the next start.
var errOverridesRefused = errors.New("the file is valid, but the next start would skip the runtime settings above")

// checkOverrides checks the settings changed at runtime (config.set, POST
// /v1/config) against the file just read, as the next start applies
// them: from the running daemon when one answers, else from the store.
func checkOverrides(cmd *cobra.Command, cfg *config.Config) error {
	out := cmd.OutOrStdout()
	stored, from, err := storedOverrides(cmd, cfg)
	if errors.Is(err, store.ErrInUse) {
		fmt.Fprintf(out, "runtime settings not checked: %v\n", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the runtime settings: %w", err)
	}
	if len(stored) == 0 {
		return nil
	}
	refused := daemon.CheckOverrides(cfg, stored)
	fmt.Fprintf(out, "%d runtime settings stored (%s), %d would be skipped at the next start\n", len(stored), from, len(refused))
	for _, r := range refused {
		fmt.Fprintf(out, "  %s = %q would be refused: %s\n    fix the file, or drop the setting: POST /v1/config {\"set\":{%q:null}} (or config.set from the cloud)\n",
			r.Key, r.Value, r.Reason, r.Key)
	}
	if len(refused) > 0 {
		return errOverridesRefused
	}
	return nil
}

// storedOverrides returns the stored setting changes and where they were
// read: the running daemon lists them for its printers and integrations;
// without a daemon the store is read.
func storedOverrides(cmd *cobra.Command, cfg *config.Config) (map[string]string, string, error) {
	if conn, err := net.DialTimeout("unix", daemon.ControlSocket(cfg), time.Second); err == nil {
		conn.Close()
		var s requests.Settings
		if err := ctlCall(cmd, "GET", "/v1/config", nil, &s); err != nil {
			return nil, "", err
		}
		out := map[string]string{}
		for _, v := range s.Settings {
			if v.Override != nil {
				out[v.Key] = v.Override.Value
			}
		}
		return out, "as the running daemon reports them", nil
	}
	ov, err := daemon.StoredOverrides(cfg.DataDir)
	return ov, "in " + cfg.DataDir, err
}
