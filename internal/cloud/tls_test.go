package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// TestMutualTLS connects to a mosquitto TLS listener that requires client
// certificates. Only the right certificate connects; every wrong setup is
// explained in one clear log line and retried with backoff.
func TestMutualTLS(t *testing.T) {
	pki := cloudtest.NewPKI(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{TLS: &cloudtest.TLSListener{
		CAFile: pki.CAFile, CertFile: pki.ServerCert, KeyFile: pki.ServerKey, RequireClientCert: true,
	}})
	sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/events/#", cloudtest.SubscriberOptions{})
	tests := []struct {
		name string
		tls  TLSConfig
		want []string // parts of the expected log line; nil means it connects
	}{
		{"right cert", TLSConfig{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}, nil},
		{"wrong CA", TLSConfig{CAFile: pki.OtherCAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey},
			[]string{"ERROR cloud TLS failure", "reason=broker certificate signed by unknown authority", "tls.ca_file"}},
		{"missing client cert", TLSConfig{CAFile: pki.CAFile},
			[]string{"ERROR cloud TLS failure", "client certificate", "tls.cert_file"}},
		{"expired client cert", TLSConfig{CAFile: pki.CAFile, CertFile: pki.ExpiredCert, KeyFile: pki.ExpiredKey},
			[]string{"ERROR cloud TLS failure", "expired"}},
		{"client cert of another CA", TLSConfig{CAFile: pki.CAFile, CertFile: pki.OtherClientCert, KeyFile: pki.OtherKey},
			[]string{"ERROR cloud TLS failure", "client certificate", "tls.cert_file"}},
		{"unreadable key", TLSConfig{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.Dir + "/missing.key"},
			[]string{"ERROR cloud connect failed", "reason=local setup", "tls.key_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(mq.TLSURL())
			cfg.TLS = tt.tls
			e := newEnv(t, cfg, nil)
			e.start()
			if tt.want == nil {
				waitUntil(t, 10*time.Second, "connected", e.c.Connected)
				ids := e.appendN(outbox.Orders, 3, "tls")
				sub.Wait(t, 10*time.Second, "delivery over TLS", func() bool {
					got, _ := sub.UniqueIDs(testPrefix + "/events/orders")
					return len(got) >= len(ids) && got[len(got)-1] == ids[len(ids)-1]
				})
				return
			}
			waitUntil(t, 10*time.Second, "a retried failure", func() bool { return e.logs.count(tt.want[0]) >= 3 })
			if !e.logs.has(tt.want...) {
				t.Errorf("no log line with %q in:\n%s", tt.want, e.logs)
			}
			if e.c.Connected() {
				t.Error("connected with a wrong TLS setup")
			}
			if s := e.c.State(); s.State == StateConnected || s.LastError == "" {
				t.Errorf("state %+v", s)
			}
		})
	}
}

// TestCredentials logs in with the password from password_file, and
// explains a refused password without ever logging it.
func TestCredentials(t *testing.T) {
	const secret = "s3cret-pass"
	m := cloudtest.StartMochiWith(t, cloudtest.MochiOptions{Users: map[string]string{"store-1": secret}})
	dir := t.TempDir()
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{{"right", secret + "\n", true}, {"wrong", "guess\n", false}} {
		t.Run(tc.name, func(t *testing.T) {
			pw := filepath.Join(dir, tc.name)
			if err := os.WriteFile(pw, []byte(tc.password), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(m.URL())
			cfg.Username, cfg.PasswordFile = "store-1", pw
			e := newEnv(t, cfg, nil)
			e.start()
			if tc.ok {
				waitUntil(t, 10*time.Second, "connected", e.c.Connected)
			} else {
				waitUntil(t, 10*time.Second, "refusals", func() bool {
					return e.logs.count("ERROR cloud connect failed", "reason=broker refused the credentials") >= 2
				})
			}
			e.stop()
			if strings.Contains(e.logs.String(), strings.TrimSpace(tc.password)) {
				t.Error("the password was logged")
			}
		})
	}
}
