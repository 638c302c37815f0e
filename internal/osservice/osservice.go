// Package osservice renders aura-edge's OS service definitions (the systemd
// unit, the launchd plist, the Windows service command line) from one Spec,
// and installs the systemd unit atomically.
//
// The systemd unit has one source: aura-edge.service.tmpl in this package.
// `aura-edge install` renders it for the running binary; the Debian package
// (packaging/mkdeb) renders it with PackageSpec, and
// packaging/systemd/aura-edge.service is that rendering, checked by a test.
package osservice

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Name is the service's name on every platform.
const Name = "aura-edge"

// Description is the one-line description every service manager shows.
const Description = "Aura store daemon: POS sync, receipt printing and an offline buffer for the Aura cloud"

//go:embed aura-edge.service.tmpl
var unitSource string

var unitTemplate = template.Must(template.New("unit").Option("missingkey=error").Parse(unitSource))

// Spec is what varies between installs.
type Spec struct {
	Exec   string // absolute path of the aura-edge binary
	Config string // absolute path of the config file
	User   string // systemd User= (and Group=); "" runs as root
	// UnitDir is where the unit file lives (for the header comment only).
	UnitDir string
}

// PackageSpec is the Debian package's layout.
func PackageSpec() Spec {
	return Spec{Exec: "/usr/bin/aura-edge", Config: "/etc/aura-edge/aura-edge.yaml", User: "aura-edge", UnitDir: "/lib/systemd/system"}
}

// Args are the arguments the service manager passes to the binary.
func (s Spec) Args() []string { return []string{"run", "--config", s.Config} }

func (s Spec) check() error {
	if !filepath.IsAbs(s.Exec) || !filepath.IsAbs(s.Config) {
		return fmt.Errorf("service definition needs absolute paths for the program (%q) and the config file (%q)", s.Exec, s.Config)
	}
	return nil
}

// SystemdUnit renders the unit file.
func SystemdUnit(s Spec) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.UnitDir == "" {
		s.UnitDir = "/etc/systemd/system"
	}
	words := []string{systemdQuote(s.Exec)}
	for _, a := range s.Args() {
		words = append(words, systemdQuote(a))
	}
	var b bytes.Buffer
	err := unitTemplate.Execute(&b, map[string]string{
		"Description": Description,
		"ExecStart":   strings.Join(words, " "),
		"User":        s.User,
		"Group":       s.User,
		"UnitDir":     s.UnitDir,
	})
	if err != nil {
		return nil, fmt.Errorf("render systemd unit: %w", err)
	}
	return b.Bytes(), nil
}

// systemdQuote quotes one ExecStart= word: specifiers (%), variable
// expansion ($) and backslashes are escaped, and words with spaces or
// quotes are double-quoted.
func systemdQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `%%`, `$`, `$$`, `"`, `\"`).Replace(s)
	if r == "" || strings.ContainsAny(s, " \t\"'") {
		return `"` + r + `"`
	}
	return r
}

// LaunchdPlist renders the macOS launchd job (/Library/LaunchDaemons).
func LaunchdPlist(s Spec) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	esc := func(v string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Name + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range append([]string{s.Exec}, s.Args()...) {
		b.WriteString("\t\t<string>" + esc(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>2</integer>
	<key>StandardErrorPath</key>
	<string>/var/log/aura-edge.err.log</string>
</dict>
</plist>
`)
	return []byte(b.String()), nil
}

// WindowsCommandLine is the service's command line as the Windows service
// control manager stores it (quoted by the CommandLineToArgvW rules).
func WindowsCommandLine(s Spec) string {
	words := []string{windowsQuote(s.Exec)}
	for _, a := range s.Args() {
		words = append(words, windowsQuote(a))
	}
	return strings.Join(words, " ")
}

// windowsQuote quotes one argument as syscall.EscapeArg does on Windows.
func windowsQuote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// UnitPath is where `aura-edge install` puts the unit under root ("" or
// "/" for the running system).
func UnitPath(root string) string {
	return filepath.Join(root, "/etc/systemd/system", Name+".service")
}

// InstallResult says what InstallUnit did.
type InstallResult struct {
	Path     string
	Existed  bool // a unit was there before (this install is an upgrade)
	Changed  bool // the unit's content changed
	Previous []byte
}

// InstallUnit writes unit to UnitPath(root) through a temporary file in the
// same directory, fsynced and renamed into place, so the unit is either the
// old one or the new one, never partial or empty. An existing unit is
// replaced (a re-install is an upgrade).
func InstallUnit(root string, unit []byte) (InstallResult, error) {
	res := InstallResult{Path: UnitPath(root)}
	if len(unit) == 0 {
		return res, fmt.Errorf("refusing to install an empty unit at %s", res.Path)
	}
	if old, err := os.ReadFile(res.Path); err == nil {
		res.Existed, res.Previous = true, old
		res.Changed = !bytes.Equal(old, unit)
	} else {
		res.Changed = true
	}
	if err := os.MkdirAll(filepath.Dir(res.Path), 0o755); err != nil {
		return res, fmt.Errorf("create %s: %w", filepath.Dir(res.Path), err)
	}
	if err := WriteFileAtomic(res.Path, unit, 0o644); err != nil {
		return res, err
	}
	return res, nil
}

// WriteFileAtomic replaces path with data: a temporary file in the same
// directory is written, fsynced, given mode and renamed over path, then the
// directory is fsynced. On error path is untouched and the temporary file
// removed.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// RemoveUnit deletes the unit under root; a missing unit is not an error.
func RemoveUnit(root string) (removed bool, err error) {
	err = os.Remove(UnitPath(root))
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove %s: %w", UnitPath(root), err)
	}
	return true, nil
}
