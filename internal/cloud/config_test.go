package cloud

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func TestConfigYAML(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.KeepAlive != 30*time.Second || c.CommandTTL != 7*24*time.Hour || c.TLS.KeyFile != "/etc/aura-edge/store.key" || len(c.AllowUnsigned) != 2 {
		t.Errorf("decoded %+v", c)
	}
	if d := Defaults(); d.InFlight != 64 || d.TopicPrefix != DefaultTopicPrefix || d.ReconnectMax != 30*time.Second || len(d.AllowUnsigned) != 2 {
		t.Errorf("defaults %+v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Broker: "tcp://127.0.0.1:1883"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" means valid
	}{
		{"minimal", func(c *Config) {}, ""},
		{"mqtts", func(c *Config) { c.Broker = "mqtts://broker.example"; c.TLS.CAFile = "/ca.pem" }, ""},
		{"tls scheme", func(c *Config) { c.Broker = "tls://broker.example:8884" }, ""},
		{"no broker", func(c *Config) { c.Broker = "" }, "broker: is required"},
		{"http broker", func(c *Config) { c.Broker = "http://x" }, "broker: scheme must be tcp, ssl, tls or mqtts"},
		{"websocket", func(c *Config) { c.Broker = "wss://x" }, "scheme must be"},
		{"no host", func(c *Config) { c.Broker = "tcp://:1883" }, "no host"},
		{"user in url", func(c *Config) { c.Broker = "tcp://u:p@host" }, "credentials do not belong in the URL"},
		{"path", func(c *Config) { c.Broker = "tcp://host/x" }, "unexpected path"},
		{"tls files on tcp", func(c *Config) { c.TLS.CAFile = "/ca.pem" }, "tls: is set but broker"},
		{"cert without key", func(c *Config) { c.Broker = "ssl://h"; c.TLS.CertFile = "/c.pem" }, "cert_file and key_file go together"},
		{"wildcard prefix", func(c *Config) { c.TopicPrefix = "aura/+/x" }, "topic_prefix"},
		{"trailing slash prefix", func(c *Config) { c.TopicPrefix = "aura/" }, "topic_prefix"},
		{"sys prefix", func(c *Config) { c.TopicPrefix = "$SYS/x" }, "topic_prefix"},
		{"password without user", func(c *Config) { c.PasswordFile = "/pw" }, "password_file: needs username"},
		{"keepalive", func(c *Config) { c.KeepAlive = time.Millisecond }, "keepalive"},
		{"inflight", func(c *Config) { c.InFlight = 5000 }, "inflight: must be between 1 and 1024"},
		{"backoff order", func(c *Config) { c.ReconnectMin = time.Minute; c.ReconnectMax = time.Second }, "reconnect_min"},
		{"backoff cap", func(c *Config) { c.ReconnectMax = time.Hour }, "reconnect_max: must be at most"},
		{"bad key", func(c *Config) { c.CommandKeys = []string{"YWJj"} }, "command_keys[0]: an Ed25519 public key is 32 bytes"},
		{"bad unsigned name", func(c *Config) { c.AllowUnsigned = []string{"a/b"} }, "allow_unsigned[0]"},
		{"ttl", func(c *Config) { c.CommandTTL = time.Second }, "command_ttl"},
		{"many problems", func(c *Config) { c.Broker = ""; c.InFlight = -1 }, "broker: is required\ninflight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseBroker(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://h":            "tcp://h:1883",
		"mqtt://h:1884":      "tcp://h:1884",
		"ssl://h":            "ssl://h:8883",
		"tls://h":            "ssl://h:8883",
		"mqtts://h:9000":     "ssl://h:9000",
		"mqtts://[::1]":      "ssl://[::1]:8883",
		"tcp://127.0.0.1:1/": "tcp://127.0.0.1:1",
	} {
		u, _, err := parseBroker(in)
		if err != nil || u.String() != want {
			t.Errorf("%s -> %v, %v; want %s", in, u, err, want)
		}
	}
}

func TestNewChecksDeps(t *testing.T) {
	if _, err := New(Config{Broker: "tcp://h"}, Deps{StoreID: "s1"}); err == nil {
		t.Error("New without DB and Queue")
	}
	e := newEnv(t, Config{Broker: "tcp://h"}, nil)
	for _, id := range []string{"", "a/b", "a+b", "a\nb"} {
		if _, err := New(Config{Broker: "tcp://h"}, Deps{StoreID: id, DB: e.db, Queue: e.ob}); err == nil {
			t.Errorf("store id %q accepted", id)
		}
	}
	if _, err := New(Config{}, Deps{StoreID: "s1", DB: e.db, Queue: e.ob}); err == nil {
		t.Error("invalid config accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate handler accepted")
		}
	}()
	e.c.Handle("ping", func(context.Context, Command) (any, error) { return nil, nil })
}
