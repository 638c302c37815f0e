package main

import (
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// TestPrintersDiscover runs `aura-edge printers discover` as an installer
// would, against the printer stand-in, and checks the table, the config
// block and the refusal of a subnet too large to probe.
func TestPrintersDiscover(t *testing.T) {
	p := printertest.Start(t)
	p.SetMode(printertest.PaperNearEnd)
	port := p.Addr()[strings.LastIndex(p.Addr(), ":")+1:]

	out, code := runBin(t, "printers", "discover", "--subnet", "127.0.0.1", "--port", port, "--timeout", "20s")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"network  tcp://127.0.0.1:" + port + "  yes      online, paper low",
		"Add to the config",
		"  - name: printer-1\n    # status: online, paper low\n    connection: tcp://127.0.0.1:" + port + "\n    profile: default\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, code = runBin(t, "printers", "discover", "--subnet", "10.0.0.0/8")
	if code != 2 || !strings.Contains(out, "name a smaller subnet") {
		t.Errorf("a /8: exit %d, want 2 with advice:\n%s", code, out)
	}
	out, code = runBin(t, "printers", "discover", "--subnet", "shop-lan")
	if code != 2 || !strings.Contains(out, "want a subnet such as 192.168.1.0/24") {
		t.Errorf("a bad subnet: exit %d, want 2 with an example:\n%s", code, out)
	}
}
