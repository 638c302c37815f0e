package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

func TestDebVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":              "1.2.3",
		"1.2.3":               "1.2.3",
		"v1.2.3-4-gabc1234":   "1.2.3+4.gabc1234",
		"v1.3.0-rc1":          "1.3.0~rc1",
		"b01492e":             "0.0.0~gitb01492e",
		"85d69b9-dirty":       "0.0.0~git85d69b9+dirty",
		"":                    "0.0.0~dev",
		"dev":                 "0.0.0~dev",
		"v2.0.0-1-g1_2/3 x":   "2.0.0+1.g1.2.3.x",
		"release/2026-12-03!": "0.0.0~gitrelease.2026+12.03.",
	} {
		if got := DebVersion(in); got != want {
			t.Errorf("DebVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStarterConfigWaitsForSetup(t *testing.T) {
	got := string(StarterConfig([]byte("# x\nstore_id: store-0042\ndata_dir: /var/lib/aura-edge\n")))
	if !strings.Contains(got, "\nstore_id: \"\"") || strings.Contains(got, "store-0042") || !strings.Contains(got, "aura-edge setup") {
		t.Fatalf("starter config:\n%s", got)
	}
}

// TestPackage builds the .deb from a freshly built binary and checks what
// dpkg sees in it, what lintian says, and what the maintainer scripts do
// to /var/lib/aura-edge on remove and purge.
func TestPackage(t *testing.T) {
	dpkgDeb := testkit.Need(t, "dpkg-deb", "apt-get install dpkg")
	dir := t.TempDir()
	bin := filepath.Join(dir, "aura-edge")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../../cmd/aura-edge") // as make package
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	deb, err := Build(Options{Bin: bin, Arch: "amd64", Version: "v1.2.3", OutDir: dir, Repo: "../..",
		MTime: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(deb) != "aura-edge_1.2.3_amd64.deb" {
		t.Errorf("file name %s", deb)
	}
	if _, err := Build(Options{Bin: bin, Arch: "arm64", Version: "v1.2.3", OutDir: dir, Repo: "../.."}); err == nil || !strings.Contains(err.Error(), "not linux/arm64") {
		t.Errorf("an amd64 binary packaged as arm64: %v", err)
	}

	dpkg := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(dpkgDeb, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	list := dpkg("-c", deb)
	for _, want := range []string{
		"-rwxr-xr-x root/root", "./usr/bin/aura-edge",
		"./lib/systemd/system/aura-edge.service", "./etc/aura-edge/aura-edge.yaml",
		"./lib/udev/rules.d/60-aura-edge-printers.rules", "./usr/share/doc/aura-edge/copyright",
		"./usr/share/doc/aura-edge/README.md.gz", "./usr/share/doc/aura-edge/changelog.gz",
		"./usr/share/doc/aura-edge/examples/aura-edge.example.yaml",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("package lacks %s:\n%s", want, list)
		}
	}
	for field, want := range map[string]string{
		"Package": "aura-edge", "Version": "1.2.3", "Architecture": "amd64", "Depends": "adduser, init-system-helpers (>= 1.52)",
	} {
		if got := strings.TrimSpace(dpkg("-f", deb, field)); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	ctrl := filepath.Join(dir, "control")
	dpkg("-e", deb, ctrl)
	if b, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/aura-edge/aura-edge.yaml" {
		t.Errorf("conffiles: %q", b)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		if out, err := exec.Command("sh", "-n", filepath.Join(ctrl, s)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", s, err, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ctrl, "postinst")); !strings.Contains(string(b), "adduser --system --group") || !strings.Contains(string(b), `for g in dialout lp`) {
		t.Errorf("postinst does not create the user with its groups")
	}

	root := filepath.Join(dir, "root")
	dpkg("-x", deb, root)
	unit, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/aura-edge.service"))
	want, _ := os.ReadFile("../systemd/aura-edge.service")
	if len(unit) == 0 || !bytes.Equal(unit, want) {
		t.Errorf("packaged unit differs from packaging/systemd/aura-edge.service")
	}
	// The starter config keeps the daemon waiting for setup.
	out, err := exec.Command(filepath.Join(root, "usr/bin/aura-edge"), "config", "check", "--config", filepath.Join(root, "etc/aura-edge/aura-edge.yaml")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "store_id") {
		t.Errorf("the starter config should fail the check on store_id until setup runs: %v\n%s", err, out)
	}

	if testkit.Available("lintian") {
		lintian := testkit.Need(t, "lintian", "apt-get install lintian")
		if out, err := exec.Command(lintian, "--fail-on", "error,warning", deb).CombinedOutput(); err != nil {
			t.Errorf("lintian: %v\n%s", err, out)
		}
	}

	t.Run("remove keeps the data, purge deletes it", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root for a private mount namespace")
		}
		unshare := testkit.Need(t, "unshare", "apt-get install util-linux")
		// In a private mount namespace, /var/lib is a fresh tmpfs: the
		// host's is never touched.
		script := `set -e
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/aura-edge && echo order > /var/lib/aura-edge/aura-edge.db
sh "$1" remove
test -f /var/lib/aura-edge/aura-edge.db && echo KEPT
sh "$1" purge
test ! -e /var/lib/aura-edge && echo GONE
`
		out, err := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", filepath.Join(ctrl, "postrm")).CombinedOutput()
		if err != nil {
			t.Fatalf("postrm: %v\n%s", err, out)
		}
		s := string(out)
		for _, want := range []string{"kept /var/lib/aura-edge", "KEPT", "purging: deleting /var/lib/aura-edge", "GONE"} {
			if !strings.Contains(s, want) {
				t.Errorf("postrm output lacks %q:\n%s", want, s)
			}
		}
	})
}
