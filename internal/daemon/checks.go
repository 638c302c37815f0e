package daemon

import (
	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/pos"
	_ "github.com/auraconnect/aura-edge/drivers/pos/all" // register vendors
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// InstallConfigChecks lets config validate driver-specific values (vendor
// names, printer URLs and profiles) without importing the drivers itself.
func InstallConfigChecks() {
	config.CheckPrinterURL = func(u string) error {
		_, err := transport.ParseURL(u)
		return err
	}
	config.CheckProfile = func(name string) error {
		_, err := escpos.LookupProfile(name)
		return err
	}
	config.CheckLogo = spool.CheckLogo
	config.CheckTerminalListen = func(u string) error {
		_, err := terminal.ParseListen(u)
		return err
	}
	config.CheckVendor = func(v string) error {
		_, err := pos.Lookup(v)
		return err
	}
}
