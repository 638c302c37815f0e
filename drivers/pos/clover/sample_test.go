package clover_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover"
)

func TestSampleConfig(t *testing.T) {
	var s struct {
		Vendor      string            `yaml:"vendor"`
		Credentials map[string]string `yaml:"credentials"`
		Settings    map[string]string `yaml:"settings"`
	}
	if err := yaml.Unmarshal([]byte(clover.SampleConfig()), &s); err != nil {
		t.Fatal(err)
	}
	d, err := pos.Lookup(s.Vendor)
	if err != nil {
		t.Fatal(err)
	}
	if missing := d.CheckConfig(s.Credentials, s.Settings); len(missing) > 0 {
		t.Errorf("sample misses %v", missing)
	}
	if _, err := clover.New(pos.Config{Credentials: s.Credentials, Settings: s.Settings}); err != nil {
		t.Errorf("sample does not build an adapter: %v", err)
	}
}
