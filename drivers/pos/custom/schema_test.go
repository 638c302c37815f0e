package custom_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos/custom"
)

var schemaPath = filepath.Join("..", "..", "..", "configs", "adapters", "manifest.schema.json")

// TestSchemaFile keeps configs/adapters/manifest.schema.json equal to
// custom.Schema() (go test ./drivers/pos/custom -run SchemaFile -update).
func TestSchemaFile(t *testing.T) {
	got := custom.Schema()
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./drivers/pos/custom -run SchemaFile -update", schemaPath)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(custom.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(custom.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(custom.SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

func yamlInstance(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestSchemaValidatesManifests(t *testing.T) {
	s := compileSchema(t)
	for _, name := range []string{"loyverse.yaml", "sumup.yaml", "odoo-pos.yaml"} {
		if err := s.Validate(yamlInstance(t, shipped(t, name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := s.Validate(yamlInstance(t, acmeManifest(t))); err != nil {
		t.Errorf("acme.yaml: %v", err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown key", "  records: .receipts", "  recrods: .receipts", "recrods"},
		{"bad enum", "type: bearer", "type: bearer_token", "must be one of"},
		{"missing map", "  map: |", "  mapping: |", "map"},
	} {
		src := shipped(t, "loyverse.yaml")
		if !strings.Contains(src, tc.old) {
			t.Fatalf("%s: no %q", tc.name, tc.old)
		}
		err := s.Validate(yamlInstance(t, strings.Replace(src, tc.old, tc.new, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
