package daemon

import (
	"github.com/auraconnect/aura-edge/drivers/pos"
	_ "github.com/auraconnect/aura-edge/drivers/pos/all" // register vendors
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// ConfigChecks are the drivers' checks of config values (vendor names,
// printer URLs, profiles, logos, terminal listen URLs), handed to
// config.Checks.Load so that config stays free of driver imports.
func ConfigChecks() config.Checks {
	return config.Checks{
		TerminalListen: func(u string) error {
			_, err := terminal.ParseListen(u)
			return err
		},
		Vendor: func(v string) error {
			_, err := pos.Lookup(v)
			return err
		},
	}
}
