package daemon

import (
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/config"
)

// TestConfigChecks checks that the owners' validators are reported at
// FILE:LINE:COL, and that the config's printer URL check is
// transport.ParseURL itself (one validator), with the drivers the daemon
// registers.
func TestConfigChecks(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"printer URL without a port", "store_id: s1\nprinters:\n  - name: front\n    connection: tcp://10.0.0.9\n",
			"c.yaml:4:17: printers[0].connection: "},
		{"unknown transport", "store_id: s1\nprinters:\n  - name: front\n    connection: lpt://x\n",
			"c.yaml:4:17: printers[0].connection: "},
		{"unknown profile", "store_id: s1\nprinters:\n  - name: front\n    connection: tcp://10.0.0.9:9100\n    profile: nosuch\n",
			"c.yaml:5:14: printers[0].profile: "},
		{"unknown vendor", "store_id: s1\nintegrations:\n  - id: a\n    vendor: nosuch\n",
			"c.yaml:4:13: integrations[0].vendor: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a problem starting %q", err, tt.want)
			}
		})
	}
	// The printers section's owner checks the URL with transport.ParseURL
	// itself (one validator): config.Parse without checks refuses what
	// the transport refuses.
	for _, u := range []string{"tcp://10.0.0.9", "tcp://10.0.0.9:9100", "file:///tmp/x", "lpt://x", "usb:///dev/usb/lp0", "serial:///dev/ttyS0?baud=7"} {
		_, tErr := transport.ParseURL(u)
		_, cErr := config.Parse("c.yaml", []byte("store_id: s1\nprinters:\n  - name: front\n    connection: "+u+"\n"), nil)
		if (tErr == nil) != (cErr == nil) {
			t.Errorf("%s: transport says %v, config says %v", u, tErr, cErr)
		}
	}
}
