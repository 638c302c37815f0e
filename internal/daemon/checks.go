package daemon

import (
	"github.com/auraconnect/aura-edge/drivers/pos"
	_ "github.com/auraconnect/aura-edge/drivers/pos/all" // register vendors
	"github.com/auraconnect/aura-edge/internal/config"
)

// ConfigChecks are the checks of config values that need the registered
// drivers (vendor names: the vendors register with pos/all), handed to
// config.Checks.Load. Every other value is checked by its section's owner.
func ConfigChecks() config.Checks {
	return config.Checks{
		Vendor: func(v string) error {
			_, err := pos.Lookup(v)
			return err
		},
	}
}
