// Command mkdeb builds aura-edge's Debian package with nfpm's deb packager.
//
//	go run ./packaging/mkdeb -bin bin/aura-edge-linux-amd64 -arch amd64 -version 1.2.3 -out dist
//
// The package holds the binary, the systemd unit rendered from
// internal/osservice (the same template `aura-edge install` uses), a starter
// /etc/aura-edge/aura-edge.yaml as a conffile, the udev rule, the maintainer
// scripts of packaging/debian, the README, the example config, a changelog
// and a copyright file that carries the licences of every Go module linked
// into the binary.
package main

import (
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/auraconnect/aura-edge/internal/osservice"
)

const (
	maintainer = "AuraConnect <edge@auraconnect.example>"
	homepage   = "https://github.com/auraconnect/aura-edge"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "", "the linux aura-edge binary to package (required)")
	arch := flag.String("arch", "amd64", "Debian architecture: amd64 or arm64")
	ver := flag.String("version", "", "package version (git describe output is fine; default: the binary's)")
	out := flag.String("out", "dist", "output directory")
	repo := flag.String("repo", ".", "repository root (README, configs, packaging)")
	flag.Parse()
	if *bin == "" {
		return errors.New("-bin is required")
	}
	path, err := Build(Options{Bin: *bin, Arch: *arch, Version: *ver, OutDir: *out, Repo: *repo})
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}

// Options are one package build.
type Options struct {
	Bin, Arch, Version, OutDir, Repo string
	MTime                            time.Time // zero: the binary's commit time or now
}

// Build writes aura-edge_<version>_<arch>.deb into OutDir and returns its path.
func Build(o Options) (string, error) {
	if o.Arch != "amd64" && o.Arch != "arm64" {
		return "", fmt.Errorf("architecture %q: want amd64 or arm64", o.Arch)
	}
	bi, err := buildinfo.ReadFile(o.Bin)
	if err != nil {
		return "", fmt.Errorf("%s is not a Go binary: %w", o.Bin, err)
	}
	if goarch := setting(bi, "GOARCH"); goarch != o.Arch || setting(bi, "GOOS") != "linux" {
		return "", fmt.Errorf("%s is built for %s/%s, not linux/%s", o.Bin, setting(bi, "GOOS"), goarch, o.Arch)
	}
	version := DebVersion(o.Version)
	mtime := o.MTime
	if mtime.IsZero() {
		mtime = time.Now().UTC().Truncate(time.Second)
		if t, err := time.Parse(time.RFC3339, setting(bi, "vcs.time")); err == nil {
			mtime = t
		}
	}
	work, err := os.MkdirTemp("", "mkdeb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)

	gen := map[string][]byte{}
	unit, err := osservice.SystemdUnit(osservice.PackageSpec())
	if err != nil {
		return "", err
	}
	gen["aura-edge.service"] = unit
	example, err := os.ReadFile(filepath.Join(o.Repo, "configs", "aura-edge.example.yaml"))
	if err != nil {
		return "", err
	}
	gen["aura-edge.yaml"] = StarterConfig(example)
	gen["aura-edge.example.yaml"] = example
	copyright, err := Copyright(bi)
	if err != nil {
		return "", err
	}
	gen["copyright"] = copyright
	gen["changelog.gz"], err = gzipped([]byte(fmt.Sprintf(
		"aura-edge (%s) stable; urgency=medium\n\n  * Release %s; see the README for changes.\n\n -- %s  %s\n",
		version, version, maintainer, mtime.Format(time.RFC1123Z))), mtime)
	if err != nil {
		return "", err
	}
	gen["README.md.gz"], err = gzippedFile(filepath.Join(o.Repo, "README.md"), mtime)
	if err != nil {
		return "", err
	}
	for name, b := range gen {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return "", err
		}
	}
	pkg := func(p string) string { return filepath.Join(o.Repo, "packaging", p) }
	w := func(name string) string { return filepath.Join(work, name) }
	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode, MTime: mtime}}
	}
	contents := files.Contents{
		file(o.Bin, "/usr/bin/aura-edge", 0o755),
		file(w("aura-edge.service"), "/lib/systemd/system/aura-edge.service", 0o644),
		file(pkg("udev/60-aura-edge-printers.rules"), "/lib/udev/rules.d/60-aura-edge-printers.rules", 0o644),
		file(w("copyright"), "/usr/share/doc/aura-edge/copyright", 0o644),
		file(w("changelog.gz"), "/usr/share/doc/aura-edge/changelog.gz", 0o644),
		file(w("README.md.gz"), "/usr/share/doc/aura-edge/README.md.gz", 0o644),
		file(w("aura-edge.example.yaml"), "/usr/share/doc/aura-edge/examples/aura-edge.example.yaml", 0o644),
		file(pkg("debian/lintian-overrides"), "/usr/share/lintian/overrides/aura-edge", 0o644),
	}
	conf := file(w("aura-edge.yaml"), "/etc/aura-edge/aura-edge.yaml", 0o644)
	conf.Type = files.TypeConfigNoReplace
	contents = append(contents, conf)

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "aura-edge",
		Arch:          o.Arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Section:       "net",
		Priority:      "optional",
		Maintainer:    maintainer,
		Homepage:      homepage,
		Description: "Aura store daemon: POS sync, receipt printing, offline buffer\n" +
			"aura-edge runs on a restaurant's back-office PC. It captures orders and\n" +
			"payments from the store's POS systems and terminals, buffers them durably\n" +
			"while the internet is down, syncs with the Aura cloud over MQTT and prints\n" +
			"receipts and kitchen tickets on ESC/POS printers (LAN, serial, USB).",
		MTime: mtime,
		Overridables: nfpm.Overridables{
			Depends:  []string{"adduser", "init-system-helpers (>= 1.52)"},
			Contents: contents,
			Scripts: nfpm.Scripts{
				PostInstall: pkg("debian/postinst"),
				PreRemove:   pkg("debian/prerm"),
				PostRemove:  pkg("debian/postrm"),
			},
			Deb: nfpm.Deb{Compression: "xz"},
		},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(o.OutDir, fmt.Sprintf("aura-edge_%s_%s.deb", version, o.Arch))
	tmp := target + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("build %s: %w", target, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return target, os.Rename(tmp, target)
}

func setting(bi *buildinfo.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

var releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+`)

var debVersionRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

// DebVersion turns a release tag or `git describe` output into a Debian
// version of a native package: v1.2.3 → 1.2.3, v1.2.3-4-gabc → 1.2.3+4.gabc,
// v1.3.0-rc1 → 1.3.0~rc1, abc1234-dirty → 0.0.0~gitabc1234+dirty.
func DebVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if v == "" || v == "dev" {
		return "0.0.0~dev"
	}
	release := releaseRE.MatchString(v)
	if !release {
		v = "0.0.0~git" + v
	}
	// A pre-release sorts before its release (1.3.0~rc1 < 1.3.0), commits
	// after a tag after it (1.2.3+4.gabc > 1.2.3).
	if i := strings.IndexByte(v, '-'); i >= 0 && i+1 < len(v) && (v[i+1] < '0' || v[i+1] > '9') && release {
		v = v[:i] + "~" + v[i+1:]
	}
	v = strings.Replace(v, "-", "+", 1)
	v = strings.ReplaceAll(v, "-", ".")
	v = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune(".+~", r) {
			return r
		}
		return '.'
	}, v)
	if !debVersionRE.MatchString(v) {
		return "0.0.0~dev"
	}
	return v
}

// StarterConfig is the packaged /etc/aura-edge/aura-edge.yaml: the example
// with its sample store id blanked, so the daemon waits for `aura-edge
// setup` instead of syncing as somebody else's store.
func StarterConfig(example []byte) []byte {
	re := regexp.MustCompile(`(?m)^store_id: .*$`)
	body := re.ReplaceAll(example, []byte(`store_id: ""   # set by: sudo aura-edge setup`))
	head := "# Installed by the aura-edge package. Run `sudo aura-edge setup` to fill it in,\n" +
		"# then `aura-edge doctor` to check the store PC. Your edits survive upgrades.\n"
	return append([]byte(head), body...)
}

// Copyright is the package's copyright file: aura-edge itself, then the
// licence of every Go module statically linked into the binary, read from
// the module cache.
func Copyright(bi *buildinfo.BuildInfo) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("aura-edge, the Aura store daemon.\n\n" +
		"Copyright: AuraConnect. All rights reserved.\n" +
		"Source: " + homepage + "\n\n" +
		"The binary /usr/bin/aura-edge is statically linked with the Go standard\n" +
		"library and with the Go modules below, each under the licence quoted\n" +
		"after its name.\n")
	env, err := exec.Command("go", "env", "GOMODCACHE", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	dirs := strings.Fields(string(env))
	if len(dirs) != 2 {
		return nil, fmt.Errorf("go env GOMODCACHE GOROOT: %q", env)
	}
	modcache, goroot := dirs[0], dirs[1]
	type mod struct{ path, version, dir string }
	mods := []mod{{"Go standard library", bi.GoVersion, goroot}}
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		mods = append(mods, mod{m.Path, m.Version, filepath.Join(modcache, escapeModPath(m.Path)+"@"+m.Version)})
	}
	for _, m := range mods {
		text, err := licenceText(m.dir)
		if err != nil {
			return nil, fmt.Errorf("licence of %s %s: %w", m.path, m.version, err)
		}
		text = commonLicence(text)
		fmt.Fprintf(&b, "\n%s %s\n\n", m.path, m.version)
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			line = strings.TrimRight(line, " \t\r")
			if line == "" {
				b.WriteString(" .\n")
				continue
			}
			b.WriteString(" " + line + "\n")
		}
	}
	return b.Bytes(), nil
}

// commonLicence replaces the full text of a licence Debian ships in
// /usr/share/common-licenses with a reference to it (Debian Policy 12.5).
func commonLicence(text string) string {
	switch {
	case strings.Contains(text, "Apache License") && strings.Contains(text, "Version 2.0, January 2004"):
		return "Apache-2.0: see /usr/share/common-licenses/Apache-2.0\n" + noticeAfterApache(text)
	case strings.Contains(text, "Mozilla Public License Version 2.0") || strings.Contains(text, "Mozilla Public License, version 2.0"):
		return "MPL-2.0: see /usr/share/common-licenses/MPL-2.0\n"
	}
	return text
}

// noticeAfterApache keeps a copyright notice that follows the Apache text.
func noticeAfterApache(text string) string {
	const end = "END OF TERMS AND CONDITIONS"
	i := strings.Index(text, end)
	if i < 0 {
		return ""
	}
	rest := text[i+len(end):]
	if j := strings.Index(rest, "APPENDIX"); j >= 0 {
		return ""
	}
	if c := strings.Index(rest, "Copyright"); c >= 0 {
		return strings.TrimSpace(rest[c:]) + "\n"
	}
	return ""
}

// licenceText reads a module's licence file.
func licenceText(dir string) (string, error) {
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING", "license", "License", "LICENSE-MIT"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("no licence file in %s (is the module downloaded? go mod download)", dir)
}

// escapeModPath is the module cache's case encoding (!x for X).
func escapeModPath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func gzipped(data []byte, mtime time.Time) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.ModTime = mtime
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func gzippedFile(path string, mtime time.Time) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return gzipped(data, mtime)
}
