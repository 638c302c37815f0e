package doctor

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/auraconnect/aura-edge/drivers/pos/lightspeed" // register the vendors
	_ "github.com/auraconnect/aura-edge/drivers/pos/toast"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

func baseConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Defaults()
	cfg.File = "/etc/aura-edge/aura-edge.yaml"
	cfg.StoreID = "s1"
	cfg.DataDir = t.TempDir()
	cfg.Outbox.MinFreeBytes = "1MiB"
	return &cfg
}

func find(t *testing.T, r *Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", name, r.Checks)
	return Check{}
}

func run(t *testing.T, cfg *config.Config) *Report {
	t.Helper()
	return Run(context.Background(), cfg, nil, Options{Timeout: 2 * time.Second})
}

// deadAddr is a loopback port nobody listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDoctorNamesTheFix(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(t *testing.T, cfg *config.Config)
		check  string
		detail string
		fix    string
	}{
		{"dead broker", func(t *testing.T, cfg *config.Config) { cfg.Cloud.Broker = "tcp://" + deadAddr(t) },
			"broker", "cannot reach 127.0.0.1:", "check the network and cloud.broker in /etc/aura-edge/aura-edge.yaml"},
		{"missing serial port", func(t *testing.T, cfg *config.Config) {
			cfg.Printers = []config.Printer{{Name: "front", Connection: "serial:///dev/ttyUSB-aura-missing?baud=19200"}}
		}, "port front", "/dev/ttyUSB-aura-missing is not present", "`aura-edge printers` lists the ports this PC has"},
		{"key file readable by others", func(t *testing.T, cfg *config.Config) {
			p := filepath.Join(cfg.DataDir, secrets.DefaultFileName)
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "key file", "has mode 0644", "sudo chmod 600 "},
		{"disk below the outbox floor", func(t *testing.T, cfg *config.Config) { cfg.Outbox.MinFreeBytes = "900000GiB" },
			"disk", "free, below", "free space on the disk holding"},
		{"clock in the past", nil, "clock", "the clock says 2001", "timedatectl set-ntp true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			o := Options{Timeout: 2 * time.Second}
			if tt.edit != nil {
				tt.edit(t, cfg)
			} else {
				o.Now = func() time.Time { return time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) }
			}
			r := Run(context.Background(), cfg, nil, o)
			c := find(t, r, tt.check)
			if c.Status != Fail || !strings.Contains(c.Detail, tt.detail) || !strings.Contains(c.Fix, tt.fix) {
				t.Fatalf("got %+v\nwant fail with detail %q and fix %q", c, tt.detail, tt.fix)
			}
			if !r.Failed() {
				t.Fatal("report not failed")
			}
		})
	}
}

func TestDoctorHealthyOffline(t *testing.T) {
	cfg := baseConfig(t)
	r := run(t, cfg)
	if r.Failed() {
		t.Fatalf("fresh offline config failed: %+v", r.Checks)
	}
	if c := find(t, r, "broker"); c.Status != Warn || !strings.Contains(c.Fix, "aura-edge setup --broker") {
		t.Errorf("broker: %+v", c)
	}
	if c := find(t, r, "daemon"); c.Status != Warn || c.Fix != "sudo systemctl start aura-edge" {
		t.Errorf("daemon: %+v", c)
	}
}

func TestDoctorWithLiveDaemon(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Printers = []config.Printer{{Name: "front", Connection: "tcp://127.0.0.1:9100"}}
	live := &Daemon{
		Printers: map[string]PrinterState{"front": {State: "paper_out"}},
		Sync:     []SyncState{{Key: "sq-1/orders", Failures: 3, LastError: "square: 401 UNAUTHORIZED"}},
		Integrations: []IntegrationSettings{
			{ID: "ls-1", Vendor: "lightspeed", Settings: map[string]string{"domain_prefix": "cafe", "inject_tax_id": "tax-0"}},
			{ID: "ls-2", Vendor: "lightspeed", Settings: map[string]string{"domain_prefix": "cafe"}}, // not taking orders: fine
			{ID: "toast-1", Vendor: "toast", Settings: map[string]string{"dining_option_guid": "g"}},
		},
	}
	r := Run(context.Background(), cfg, live, Options{Timeout: time.Second})
	if c := find(t, r, "integration ls-1 order injection"); c.Status != Warn || !strings.Contains(c.Detail, "inject_user_id, inject_payment_type_id") ||
		strings.Contains(c.Detail, "inject_tax_id,") || !strings.Contains(c.Fix, "connect ls-1 again") {
		t.Errorf("partial injection settings: %+v", c)
	}
	for _, c := range r.Checks {
		if c.Name == "integration ls-2 order injection" || c.Name == "integration toast-1 order injection" {
			t.Errorf("reported: %+v", c)
		}
	}
	if c := find(t, r, "printer front"); c.Status != Fail || c.Fix != "load a paper roll" {
		t.Errorf("printer: %+v", c)
	}
	if c := find(t, r, "integration sq-1/orders"); c.Status != Fail || !strings.Contains(c.Detail, "401") || !strings.Contains(c.Fix, "credentials") {
		t.Errorf("integration: %+v", c)
	}
	if c := find(t, r, "daemon"); c.Status != OK {
		t.Errorf("daemon: %+v", c)
	}
}

// A process that holds the bbolt lock without answering on the control
// socket (a hung daemon) is a failure with its fix.
func TestDoctorStoreLockedByAnother(t *testing.T) {
	cfg := baseConfig(t)
	db, err := store.Open(cfg.DataDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := run(t, cfg)
	c := find(t, r, "daemon")
	if c.Status != Fail || !strings.Contains(c.Detail, "holds the store lock") || !strings.Contains(c.Fix, "systemctl restart aura-edge") {
		t.Fatalf("daemon: %+v", c)
	}
}
