package daemon

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// caseDirs is a cases-as-data driver's layout: case directories
// testdata/<kind>/<vendor>/<case>/, each run against its vendor's stand-in
// driver, registered by the function register from <kind>_<vendor>_test.go
// and called driver in messages ("custom stand-in driver").
type caseDirs struct {
	kind, driver, register string
}

// runCaseDirs runs every case directory of cd as subtest <vendor>/<case>,
// handing run the vendor's stand-in start function from standIns. No case
// directory at all, a stand-in driver without a case directory or a vendor
// directory without a stand-in driver fail the test.
func runCaseDirs[S any](t *testing.T, cd caseDirs, standIns map[string]S, run func(t *testing.T, vendor, dir string, start S)) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", cd.kind, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no case directories under testdata/" + cd.kind)
	}
	byVendor := map[string][]string{}
	for _, d := range dirs {
		v := filepath.Base(filepath.Dir(d))
		byVendor[v] = append(byVendor[v], d)
	}
	for v := range standIns {
		if len(byVendor[v]) == 0 {
			t.Errorf("%s %s has no case directory under testdata/%s/%s", cd.driver, v, cd.kind, v)
		}
	}
	var vendors []string
	for v := range byVendor {
		vendors = append(vendors, v)
	}
	sort.Strings(vendors)
	for _, v := range vendors {
		t.Run(v, func(t *testing.T) {
			start, ok := standIns[v]
			if !ok {
				t.Fatalf("testdata/%s/%s has cases but no stand-in driver (%s(%q, ...) in %s_%s_test.go)",
					cd.kind, v, cd.register, v, cd.kind, v)
			}
			for _, dir := range byVendor[v] {
				t.Run(filepath.Base(dir), func(t *testing.T) { run(t, v, dir, start) })
			}
		})
	}
}

// readCaseFile decodes the JSON file at path into v, refusing fields v
// does not have; numbers decoded into an any are json.Number.
func readCaseFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
