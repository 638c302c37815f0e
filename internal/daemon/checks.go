package daemon

import (
	"github.com/auraconnect/aura-edge/drivers/pos"
	_ "github.com/auraconnect/aura-edge/drivers/pos/all" // register vendors
	"github.com/auraconnect/aura-edge/internal/config"
)

// InstallConfigChecks lets config validate driver-specific values (vendor
// names, printer URLs and profiles) without importing the drivers itself.
func InstallConfigChecks() {
	config.CheckVendor = func(v string) error {
		_, err := pos.Lookup(v)
		return err
	}
}
