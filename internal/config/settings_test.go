package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/request"
)

func TestSettings(t *testing.T) {
	cfg := Defaults()
	cfg.StoreID = "s1"
	cfg.Printers = []Printer{{Name: "front.bar", Connection: "tcp://127.0.0.1:9100", AutoPrint: "customer"}}
	cfg.Integrations = []Integration{{ID: "sq-1", PollInterval: time.Minute}}
	for _, tc := range []struct {
		key, value, old, now, err string
	}{
		{key: "printers.front.bar.auto_print", value: "kitchen", old: "customer", now: "kitchen"},
		{key: "integrations.sq-1.poll_interval", value: "90s", old: "1m0s", now: "1m30s"},
		{key: "integrations.sq-1.poll_interval", value: "", old: "1m30s", now: ""},
		{key: "integrations.new-one.max_attempts", value: "3", old: "", now: "3"},
		{key: "integrations.sq-1.jitter", value: "soon", err: "is not a duration"},
		{key: "integrations.sq-1.max_attempts", value: "many", err: "is not a whole number"},
		{key: "printers.back.auto_print", value: "both", err: `no printer named "back"`},
		{key: "printers.front.bar.connection", value: "x", err: "not a setting"},
		{key: "store_id", value: "x", err: "not a setting"},
	} {
		c := cfg.Clone()
		old, err := c.Set(tc.key, tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s=%s: %v, want %q", tc.key, tc.value, err, tc.err)
			}
			continue
		}
		now, _ := c.Get(tc.key)
		if err != nil || old != tc.old || now != tc.now {
			t.Errorf("%s=%s: old %q now %q (%v), want %q %q", tc.key, tc.value, old, now, err, tc.old, tc.now)
		}
		cfg = *c
	}
	if cfg.Integrations[0].PollInterval != 0 || len(cfg.Integrations) != 2 {
		t.Errorf("integrations: %+v", cfg.Integrations)
	}
	if _, err := request.ParseSettingKey("printers.x.connection"); !errors.Is(err, request.ErrNotSettable) {
		t.Errorf("connection settable: %v", err)
	}
}

// TestCheckSettings: a set value is checked by the file's own rules and
// the problem is named the way settings are.
func TestCheckSettings(t *testing.T) {
	cfg := Defaults()
	cfg.StoreID = "s1"
	cfg.Printers = []Printer{{Name: "front", Connection: "tcp://127.0.0.1:9100"}}
	if err := Check(&cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Set("printers.front.auto_print", "sometimes"); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Set("integrations.sq.poll_interval", "1s"); err != nil {
		t.Fatal(err)
	}
	err := Check(&cfg)
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("check: %v", err)
	}
	got := cfg.SettingPath(ce.Problems[0].Field) + " | " + cfg.SettingPath(ce.Problems[1].Field)
	if got != "printers.front.auto_print | integrations.sq.poll_interval" {
		t.Errorf("paths: %s", got)
	}
}
