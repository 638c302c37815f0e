package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

// TestInstallIntoThrowawayRoot runs install/uninstall the way an installer
// does, against a file-system root in a temp dir (systemctl --root), and
// checks the result with systemd-analyze verify.
func TestInstallIntoThrowawayRoot(t *testing.T) {
	testkit.Need(t, "systemctl", "apt-get install systemd")
	sa := testkit.Need(t, "systemd-analyze", "apt-get install systemd")
	root := t.TempDir()
	cfg := writeConfig(t, "store_id: s1\ndata_dir: "+t.TempDir()+"\n")
	unit := filepath.Join(root, "etc/systemd/system/aura-edge.service")
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/aura-edge.service")

	// A broken config installs nothing.
	bad := writeConfig(t, "store_id: s1\nlog:\n  levle: debug\n")
	if out, code := runBin(t, "install", "--root", root, "--config", bad); code != 2 || !strings.Contains(out, "levle") {
		t.Fatalf("install with a bad config: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Fatalf("a failed install left a unit behind: %v", err)
	}

	// What the old installer left: a 0-byte unit. install replaces it.
	os.MkdirAll(filepath.Dir(unit), 0o755)
	os.WriteFile(unit, nil, 0o644)
	out, code := runBin(t, "install", "--root", root, "--config", cfg)
	if code != 0 || !strings.Contains(out, "aura-edge service: upgraded "+unit) || !strings.Contains(out, "enabled") {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	body, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=" + binPath + " run --config " + cfg, "Type=notify", "User=aura-edge"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("unit lacks %q:\n%s", want, body)
		}
	}
	if target, err := os.Readlink(wants); err != nil || target != "/etc/systemd/system/aura-edge.service" {
		t.Errorf("not enabled: %q %v", target, err)
	}
	if out, err := exec.Command(sa, "verify", unit).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}

	// Re-install is an upgrade, not an error.
	if out, code := runBin(t, "install", "--root", root, "--config", cfg); code != 0 || !strings.Contains(out, "is up to date") {
		t.Fatalf("re-install: exit %d\n%s", code, out)
	}
	if out, code := runBin(t, "install", "--root", root, "--config", cfg, "--user", ""); code != 0 || !strings.Contains(out, "upgraded") {
		t.Fatalf("re-install with another user: exit %d\n%s", code, out)
	}
	ents, _ := os.ReadDir(filepath.Dir(unit))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	if out, code := runBin(t, "uninstall", "--root", root); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	for _, p := range []string{unit, wants} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall", p)
		}
	}
	if out, code := runBin(t, "uninstall", "--root", root); code != 0 || !strings.Contains(out, "not installed") {
		t.Fatalf("uninstall again: exit %d\n%s", code, out)
	}
}
