package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/doctor"
)

// TestSetupThenDoctor is the installer's path from the README: `aura-edge
// setup --non-interactive ...` against a local mosquitto (mutual TLS) and a
// printer stand-in, then `aura-edge doctor --json` passes.
func TestSetupThenDoctor(t *testing.T) {
	pki := cloudtest.NewPKI(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{TLS: &cloudtest.TLSListener{
		CAFile: pki.CAFile, CertFile: pki.ServerCert, KeyFile: pki.ServerKey, RequireClientCert: true}})
	printer := printertest.Start(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc", "aura-edge.yaml")
	data := filepath.Join(dir, "var", "aura-edge")

	out, code := runBin(t, "setup", "--non-interactive", "--config", cfg,
		"--store-id", "store-0042", "--data-dir", data, "--listen", freeAddr(t),
		"--broker", mq.TLSURL(), "--ca-file", pki.CAFile, "--cert-file", pki.ClientCert, "--key-file", pki.ClientKey,
		"--printer", printer.URL())
	if code != 0 {
		t.Fatalf("setup: exit %d\n%s", code, out)
	}
	for _, want := range []string{"Serial ports and USB printers on this PC:", "ok   tls", "ok   authentication",
		"config: wrote " + cfg, "admin token (shown only now", "test receipt: printed on receipt", "Next: aura-edge doctor"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	if _, err := printer.WaitJobs(1, 10*time.Second); err != nil {
		t.Fatalf("no test receipt at the printer: %v", err)
	}
	body, _ := os.ReadFile(cfg)
	if !strings.Contains(string(body), "# This store's id in the Aura cloud.\nstore_id: \"store-0042\"") {
		t.Errorf("config lacks the commented store id:\n%s", body)
	}
	if st, err := os.Stat(filepath.Join(data, "aura-edge.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("credential key: %v %v", st, err)
	}
	// The token works: it was stored (hashed) in the store.
	tokLine := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "admin token") {
			tokLine = l
		}
	}
	if !strings.Contains(tokLine, "ae_") {
		t.Errorf("token line %q", tokLine)
	}
	if list, code := runBin(t, "token", "list", "--config", cfg); code != 0 || !strings.Contains(list, "setup-admin-") {
		t.Errorf("token list: exit %d\n%s", code, list)
	}

	out, code = runBin(t, "doctor", "--json", "--config", cfg)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if code != 0 || rep.Failed() {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
	want := map[string]doctor.Status{"config": doctor.OK, "data dir": doctor.OK, "key file": doctor.OK, "broker": doctor.OK,
		"tls": doctor.OK, "authentication": doctor.OK, "clock": doctor.OK,
		"printer receipt": doctor.OK, "outbox": doctor.OK, "daemon": doctor.Warn}
	got := map[string]doctor.Status{}
	for _, c := range rep.Checks {
		got[c.Name] = c.Status
	}
	if got["client certificate"] == "" || got["client certificate"] == doctor.Fail {
		t.Errorf("client certificate: %q (the test PKI's certificate is short-lived: ok or warn)", got["client certificate"])
	}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("doctor %s: %q, want %q\n%s", name, got[name], st, out)
		}
	}

	// Non-interactive setup with a dead broker writes nothing.
	other := filepath.Join(dir, "other.yaml")
	out, code = runBin(t, "setup", "--non-interactive", "--config", other, "--store-id", "s2", "--data-dir", t.TempDir(),
		"--broker", "tcp://"+freeAddr(t))
	if code == 0 || !strings.Contains(out, "cannot reach") || !strings.Contains(out, "fix: check the network and cloud.broker") {
		t.Errorf("setup with a dead broker: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("setup wrote a config after a failed broker check")
	}
	// doctor in text form names the fix and exits 1.
	bad := writeConfig(t, "store_id: s3\ndata_dir: "+t.TempDir()+"\ncloud:\n  broker: tcp://"+freeAddr(t)+"\n")
	out, code = runBin(t, "doctor", "--config", bad, "--timeout", "2s")
	if code != 1 || !strings.Contains(out, "fail  broker") || !strings.Contains(out, "fix: check the network") {
		t.Errorf("doctor with a dead broker: exit %d\n%s", code, out)
	}
}

// TestSetupInteractive answers the prompts as an installer at a terminal
// would: the store id, no broker (offline), the printer stand-in's URL.
func TestSetupInteractive(t *testing.T) {
	printer := printertest.Start(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "aura-edge.yaml")
	cmd := exec.Command(binPath, "setup", "--config", cfg, "--data-dir", filepath.Join(dir, "data"), "--listen", freeAddr(t))
	cmd.Stdin = strings.NewReader("store-7\n\n" + printer.URL() + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	for _, want := range []string{"Store id (from the Aura console): ", "Cloud broker (tls://HOST:8883; empty to run offline): ",
		"cloud: none: aura-edge runs offline", "Receipt printer: a number above, or a URL", "test receipt: printed on receipt"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	if _, err := printer.WaitJobs(1, 10*time.Second); err != nil {
		t.Fatalf("no test receipt: %v", err)
	}
	if out, code := runBin(t, "config", "check", "--config", cfg); code != 0 || !strings.Contains(out, "store store-7, 1 printers") {
		t.Errorf("config check: exit %d\n%s", code, out)
	}
}
