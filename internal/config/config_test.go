package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigIsValid(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "aura-edge.example.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skip("example config not written yet")
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("example config: %v", err)
	}
}

func TestMinimal(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte("store_id: s1\ndata_dir: /tmp/x\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.Listen != "127.0.0.1:8787" || cfg.Cloud.InFlight != 64 || cfg.Log.Level != "info" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

// TestMistakes checks that each kind of mistake is reported with file,
// line, column and field, and that all problems come at once.
func TestMistakes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings, each must appear as a problem line
	}{
		{"unknown key with hint", "store_id: s1\nstroe_name: x\n",
			[]string{`c.yaml:2:1: stroe_name: unknown field "stroe_name"`}},
		{"unknown nested key", "store_id: s1\ncloud:\n  brokr: tcp://a:1\n",
			[]string{`c.yaml:3:3: cloud.brokr: unknown field "brokr" (did you mean "broker"?)`}},
		{"wrong type int", "store_id: s1\ncloud:\n  broker: tcp://a:1883\n  inflight: lots\n",
			[]string{`c.yaml:4:13: cloud.inflight: expected an integer, got "lots"`}},
		{"wrong type list", "store_id: s1\nprinters: front\n",
			[]string{`c.yaml:2:11: printers: expected a list, got "front"`}},
		{"wrong type bool", "store_id: s1\nreceipt:\n  kitchen_copy: maybe\n",
			[]string{`c.yaml:3:17: receipt.kitchen_copy: expected true or false, got "maybe"`}},
		{"bad duration", "store_id: s1\nintegrations:\n  - id: sq\n    poll_interval: 5 minutes\n",
			[]string{`c.yaml:4:20: integrations[0].poll_interval: expected a duration`}},
		{"missing required", "data_dir: /tmp/x\n",
			[]string{`c.yaml:1:1: store_id: is required`}},
		{"invalid value", "store_id: s1\nlog:\n  level: loud\n",
			[]string{`c.yaml:3:10: log.level: must be debug, info, warn or error (got "loud")`}},
		{"invalid broker", "store_id: s1\ncloud:\n  broker: http://x\n",
			[]string{`c.yaml:3:11: cloud.broker: scheme must be tcp, ssl, tls or mqtts`}},
		{"printer missing connection", "store_id: s1\nprinters:\n  - name: front\n",
			[]string{`c.yaml:3:5: printers[0].connection: is required`}},
		{"duplicate printer and bad backup", "store_id: s1\nprinters:\n  - name: a\n    connection: tcp://h:9100\n  - name: a\n    connection: tcp://h:9100\n    backup: zzz\n",
			[]string{`c.yaml:5:11: printers[1].name: duplicate printer name "a"`, `c.yaml:7:13: printers[1].backup: names no other printer`}},
		{"bad command key", "store_id: s1\ncloud:\n  command_keys: [\"YWJj\"]\n",
			[]string{`c.yaml:3:18: cloud.command_keys[0]: an Ed25519 public key is 32 bytes`}},
		{"syntax error", "store_id: s1\n  bad: [\n",
			[]string{`c.yaml:2:`}},
		{"LAN without TLS", "store_id: s1\napi:\n  listen: 0.0.0.0:8787\n",
			[]string{`c.yaml:3:11: api.listen: serves the LAN (0.0.0.0) without TLS`}},
		{"receipt locale and QR template", "store_id: s1\nreceipt:\n  locale: xx-YY\n  qr_url_template: https://x/{nope}\n",
			[]string{`c.yaml:3:11: receipt.locale: locale "xx-YY" (known: `, `c.yaml:4:20: receipt.qr_url_template: invalid qr url template "https://x/{nope}": unknown placeholder {nope}`}},
		{"outbox", "store_id: s1\noutbox:\n  max_orders: -1\n  min_free_disk: lots\n",
			[]string{`c.yaml:3:15: outbox.max_orders: must not be negative`, `c.yaml:4:18: outbox.min_free_disk: expected a size such as 256MiB (got "lots")`}},
		{"drain beyond systemd's stop timeout", "store_id: s1\nshutdown:\n  drain_timeout: 2m\n",
			[]string{`c.yaml:3:18: shutdown.drain_timeout: must be between 0s and 1m0s`}},
		{"all at once", "stor_id: s1\napi:\n  listen: nope\nlog:\n  format: xml\n",
			[]string{`c.yaml:1:1: stor_id: unknown field`, `store_id: is required`, `c.yaml:3:11: api.listen: must be host:port`, `c.yaml:5:11: log.format: must be text or json`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), nil)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *Error, got %v", err)
			}
			text := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			if len(ce.Problems) < len(tt.want) {
				t.Errorf("want >= %d problems, got %d:\n%s", len(tt.want), len(ce.Problems), text)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("store_id: s1\napi:\n  allow_plaintext: true\n"), []string{
		"AURA_EDGE_STORE_ID=store-9", "AURA_EDGE_API_LISTEN=0.0.0.0:9000", "PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StoreID != "store-9" || cfg.API.Listen != "0.0.0.0:9000" {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	_, err = Parse("c.yaml", []byte("store_id: s1\n"), []string{"AURA_EDGE_STOR_ID=x"})
	if err == nil || !strings.Contains(err.Error(), "AURA_EDGE_STOR_ID: unknown override") {
		t.Fatalf("unknown override not reported: %v", err)
	}
}

func TestAliasBomb(t *testing.T) {
	y := "store_id: s1\nreceipt:\n  header: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 6; i++ {
		name := string(rune('b' + i))
		y += "  x" + name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	_, err := Parse("c.yaml", []byte(y), nil)
	if err == nil {
		t.Fatal("want error")
	}
}

func TestDurationsDecode(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("store_id: s1\ncloud:\n  broker: tcp://127.0.0.1:1883\n  keepalive: 45s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cloud.KeepAlive != 45*time.Second {
		t.Fatal(cfg.Cloud.KeepAlive)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("store_id: s1\nprinters:\n  - name: a\n    connection: tcp://h:9100\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("cloud: {broker: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("f.yaml", data, nil) // must not panic
	})
}

// TestExampleDocumentsEveryKey keeps configs/aura-edge.example.yaml in step
// with the config structs: every yaml key appears in it.
func TestExampleDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "configs", "aura-edge.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !regexp.MustCompile(`(?m)^[ #-]*` + name + `:`).Match(raw) {
				t.Errorf("the example config does not mention %s.%s (yaml %q)", typ.Name(), f.Name, name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Config]())
}
