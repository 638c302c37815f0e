package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/cloud"
)

// TestBrokerOneValidator checks that config validation, the link's own
// Validate and the URL the link dials agree on every broker URL: a URL the
// config accepts is one the daemon can connect to, and the reverse (issue
// 15: a tls:// broker without a port was refused here and accepted by the
// link).
func TestBrokerOneValidator(t *testing.T) {
	tests := []struct {
		url    string
		ok     bool
		dials  string // the address the link dials, when ok
		useTLS bool
	}{
		{"tls://mqtt.example.com", true, "ssl://mqtt.example.com:8883", true},
		{"tls://mqtt.example.com:8883", true, "ssl://mqtt.example.com:8883", true},
		{"mqtts://mqtt.example.com:443", true, "ssl://mqtt.example.com:443", true},
		{"ssl://10.0.0.5", true, "ssl://10.0.0.5:8883", true},
		{"tcp://127.0.0.1", true, "tcp://127.0.0.1:1883", false},
		{"mqtt://127.0.0.1:1884", true, "tcp://127.0.0.1:1884", false},
		{"tcp://[::1]", true, "tcp://[::1]:1883", false},
		{"http://mqtt.example.com:80", false, "", false},
		{"tcp://:1883", false, "", false},
		{"tls://user:pw@mqtt.example.com:8883", false, "", false},
		{"tls://mqtt.example.com:8883/path", false, "", false},
		{"tls://mqtt.example.com:8883?x=1", false, "", false},
		{"mqtt.example.com:8883", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			yaml := fmt.Sprintf("store_id: s1\ndata_dir: /tmp/x\ncloud:\n  broker: %q\n", tt.url)
			_, cfgErr := Parse("c.yaml", []byte(yaml), nil)
			u, useTLS, linkErr := cloud.ParseBroker(tt.url)
			cc := cloud.Defaults()
			cc.Broker = tt.url
			validateErr := cc.Validate()
			if got := cfgErr == nil; got != tt.ok {
				t.Errorf("config accepts it: %v, want %v (%v)", got, tt.ok, cfgErr)
			}
			if got := linkErr == nil; got != tt.ok {
				t.Errorf("cloud.ParseBroker accepts it: %v, want %v (%v)", got, tt.ok, linkErr)
			}
			if got := validateErr == nil; got != tt.ok {
				t.Errorf("cloud.Config.Validate accepts it: %v, want %v (%v)", got, tt.ok, validateErr)
			}
			if tt.ok && linkErr == nil {
				if u.String() != tt.dials || useTLS != tt.useTLS {
					t.Errorf("link dials %s (tls %v), want %s (tls %v)", u, useTLS, tt.dials, tt.useTLS)
				}
			}
		})
	}
}

// TestCloudSectionOwner checks that the cloud section is validated by the
// cloud package (cloud.Config.Problems) and reported here at FILE:LINE:COL
// under cloud.: mistakes the link used to find only at start-up now fail
// `aura-edge config check`.
func TestCloudSectionOwner(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"topic prefix", "store_id: s1\ncloud:\n  broker: tls://h\n  topic_prefix: a/+/b\n",
			`c.yaml:4:17: cloud.topic_prefix: must be a plain topic path`},
		{"tls on a plain broker", "store_id: s1\ncloud:\n  broker: tcp://h:1883\n  tls:\n    ca_file: /dev/null\n",
			`c.yaml:5:5: cloud.tls: is set but broker "tcp://h:1883" is not a TLS URL`},
		{"inflight", "store_id: s1\ncloud:\n  broker: tls://h\n  inflight: 5000\n",
			`c.yaml:4:13: cloud.inflight: must be between 1 and 1024 (got 5000)`},
		{"command key offline", "store_id: s1\ncloud:\n  command_keys: [\"YWJj\"]\n",
			`c.yaml:3:18: cloud.command_keys[0]: an Ed25519 public key is 32 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	// Offline, the link's settings are unused and not checked (as before).
	if _, err := Parse("c.yaml", []byte("store_id: s1\ndata_dir: /tmp/x\ncloud:\n  topic_prefix: a/+/b\n"), nil); err != nil {
		t.Errorf("offline config refused: %v", err)
	}
}
