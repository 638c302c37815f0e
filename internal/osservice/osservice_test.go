package osservice

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite packaging/systemd/aura-edge.service from the template")

// The packaged unit file is the template's rendering, not a second copy.
func TestPackagedUnitIsTheTemplate(t *testing.T) {
	want, err := SystemdUnit(PackageSpec())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "packaging", "systemd", "aura-edge.service")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from internal/osservice/aura-edge.service.tmpl; regenerate it with:\n  go test ./internal/osservice -run PackagedUnit -update", path)
	}
}

func TestSystemdUnitContent(t *testing.T) {
	unit, err := SystemdUnit(Spec{Exec: "/opt/aura edge/aura-edge", Config: "/etc/aura-edge/100%.yaml", User: "aura-edge"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(unit)
	for _, want := range []string{
		`ExecStart="/opt/aura edge/aura-edge" run --config /etc/aura-edge/100%%.yaml`,
		"Type=notify\n", "WatchdogSec=", "Restart=always\n", "User=aura-edge\n", "Group=aura-edge\n",
		"StateDirectory=aura-edge\n", "ConfigurationDirectory=aura-edge\n", "ProtectSystem=strict\n",
		"NoNewPrivileges=yes\n", "PrivateTmp=yes\n", "ProtectHome=yes\n", "RestrictAddressFamilies=",
		"SystemCallFilter=@system-service\n", "SupplementaryGroups=dialout lp\n",
		"DeviceAllow=char-ttyUSB rw\n", "DeviceAllow=char-ttyS rw\n", "DeviceAllow=char-ttyACM rw\n", "DeviceAllow=char-usb rw\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
		t.Errorf("unit has template leftovers:\n%s", s)
	}
	root, err := SystemdUnit(Spec{Exec: "/usr/bin/aura-edge", Config: "/etc/aura-edge/aura-edge.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(root), "User=") {
		t.Errorf("a unit without a user must not name one")
	}
	if _, err := SystemdUnit(Spec{Exec: "aura-edge", Config: "x.yaml"}); err == nil {
		t.Error("relative paths accepted")
	}
}

// systemd-analyze verify accepts the unit, and its security exposure is in
// the "OK" band or better.
func TestSystemdAnalyze(t *testing.T) {
	sa := testkit.Need(t, "systemd-analyze", "apt-get install systemd")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit, err := SystemdUnit(Spec{Exec: exe, Config: "/etc/aura-edge/aura-edge.yaml", User: "aura-edge"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), Name+".service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	level, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: %s %s", m[1], m[2])
	if level > 4.9 {
		t.Errorf("exposure %s %s, want the OK band (<= 4.9) or better", m[1], m[2])
	}
}

func TestLaunchdPlist(t *testing.T) {
	b, err := LaunchdPlist(Spec{Exec: "/usr/local/bin/aura-edge", Config: "/Library/Application Support/Aura & Co/aura-edge.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("{{")) {
		t.Fatal("the plist must not contain {{: kardianos/service renders it as a template")
	}
	var doc struct {
		Dict struct {
			Keys    []string `xml:"key"`
			Strings []string `xml:"string"`
			Array   struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("plist is not XML: %v\n%s", err, b)
	}
	want := []string{"/usr/local/bin/aura-edge", "run", "--config", "/Library/Application Support/Aura & Co/aura-edge.yaml"}
	if strings.Join(doc.Dict.Array.Strings, "|") != strings.Join(want, "|") {
		t.Errorf("ProgramArguments %q, want %q", doc.Dict.Array.Strings, want)
	}
	if doc.Dict.Strings[0] != Name {
		t.Errorf("Label %q", doc.Dict.Strings[0])
	}
	for _, k := range []string{"Label", "ProgramArguments", "RunAtLoad", "KeepAlive"} {
		if !strings.Contains(strings.Join(doc.Dict.Keys, ","), k) {
			t.Errorf("plist lacks %s", k)
		}
	}
}

func TestWindowsCommandLine(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Exec: `C:\Program Files\Aura\aura-edge.exe`, Config: `C:\ProgramData\aura-edge\aura-edge.yaml`},
			`"C:\Program Files\Aura\aura-edge.exe" run --config C:\ProgramData\aura-edge\aura-edge.yaml`},
		{Spec{Exec: `C:\aura\aura-edge.exe`, Config: `C:\My Configs\"x"\`},
			`C:\aura\aura-edge.exe run --config "C:\My Configs\\\"x\"\\"`},
	}
	for _, tt := range tests {
		if got := WindowsCommandLine(tt.spec); got != tt.want {
			t.Errorf("WindowsCommandLine(%+v)\n got %s\nwant %s", tt.spec, got, tt.want)
		}
	}
}

func TestInstallUnitReplacesAtomically(t *testing.T) {
	root := t.TempDir()
	path := UnitPath(root)
	// What the old installer left behind: a 0-byte unit.
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, nil, 0o644)

	v1 := []byte("[Unit]\nDescription=one\n")
	res, err := InstallUnit(root, v1)
	if err != nil || !res.Existed || !res.Changed {
		t.Fatalf("over an empty unit: %+v %v", res, err)
	}
	if res, err = InstallUnit(root, v1); err != nil || res.Changed {
		t.Fatalf("same unit again: %+v %v", res, err)
	}
	v2 := []byte("[Unit]\nDescription=two\n")
	if res, err = InstallUnit(root, v2); err != nil || !res.Changed || string(res.Previous) != string(v1) {
		t.Fatalf("upgrade: %+v %v", res, err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != string(v2) {
		t.Fatalf("unit is %q", got)
	}
	if _, err := InstallUnit(root, nil); err == nil {
		t.Fatal("empty unit accepted")
	}
	got, _ = os.ReadFile(path)
	if string(got) != string(v2) {
		t.Fatalf("a refused install changed the unit to %q", got)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if removed, err := RemoveUnit(root); !removed || err != nil {
		t.Fatalf("remove: %v %v", removed, err)
	}
	if removed, err := RemoveUnit(root); removed || err != nil {
		t.Fatalf("remove again: %v %v", removed, err)
	}
}
