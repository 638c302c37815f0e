package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartupErrorsDoNotPanic runs `aura-edge run` into each start-up
// failure: it must print the plain reason and exit 1, never a Go panic.
func TestStartupErrorsDoNotPanic(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dataDir string) string // returns extra config
		want  string
		code  int
	}{
		{"key file readable by others", func(t *testing.T, dataDir string) string {
			key := filepath.Join(dataDir, "credentials.key")
			if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(key, 0o644); err != nil {
				t.Fatal(err)
			}
			return "secrets:\n  key_file: " + key + "\n"
		}, "chmod 600", exitRuntime},
		{"missing logo", func(t *testing.T, dataDir string) string {
			return "printers:\n  - name: front\n    connection: file://" + t.TempDir() + "\n    logo: " + filepath.Join(dataDir, "nologo.png") + "\n"
		}, "nologo.png", exitUsage},
		{"key file under a plain file", func(t *testing.T, dataDir string) string {
			f := filepath.Join(dataDir, "plain")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return "secrets:\n  key_file: " + filepath.Join(f, "k") + "\n"
		}, "credential key", exitRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			extra := tt.setup(t, dataDir)
			cfg := writeConfig(t, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\n%s", dataDir, freeAddr(t), extra))
			out, code := runBin(t, "run", "--config", cfg)
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Fatalf("start-up panicked:\n%s", out)
			}
			if code != tt.code || !strings.Contains(out, tt.want) || !strings.Contains(out, "aura-edge: ") {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant %q", code, tt.code, out, tt.want)
			}
		})
	}
}

// TestConfigCheckReportsMissingLogo: config check finds what run would.
func TestConfigCheckReportsMissingLogo(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.png")
	cfg := writeConfig(t, "store_id: s1\ndata_dir: "+t.TempDir()+"\nprinters:\n  - name: front\n    connection: file://"+t.TempDir()+"\n    logo: "+logo+"\n")
	out, code := runBin(t, "config", "check", "--config", cfg)
	if code != exitUsage || !strings.Contains(out, "printers[0].logo") || !strings.Contains(out, logo) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}
