package daemon

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestConnectStatusDelete is the seed's integration life cycle through the
// real API: connect (credentials stored encrypted), status (never the
// credentials), delete (credentials destroyed). The access token must not
// appear in the bbolt file, in any API answer, or in the logs.
func TestConnectStatusDelete(t *testing.T) {
	sq := squaretest.Start(t)
	d, logs := startDaemon(t, nil)
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "installer")
	base := "http://" + d.APIAddr().String()
	secret := squaretest.DefaultAccessToken

	connect := func(body map[string]any) (int, string) {
		b, _ := json.Marshal(body)
		return request(t, "POST", base+"/integrations/pos/connect", admin, b)
	}
	good := map[string]any{"id": "square-main", "vendor": "square",
		"credentials": map[string]string{"access_token": secret},
		"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": sq.URL()}}

	// Bad requests first: each a 400 naming the field, nothing stored.
	for _, tt := range []struct {
		name  string
		body  map[string]any
		code  int
		field string
	}{
		{"unknown vendor", map[string]any{"vendor": "fakepos", "credentials": map[string]string{}}, 400, `"field":"vendor"`},
		{"missing credential", map[string]any{"vendor": "square", "credentials": map[string]string{},
			"settings": map[string]string{"location_id": "L"}}, 400, `"field":"credentials.access_token"`},
		{"unknown field", map[string]any{"vendor": "square", "password": "x"}, 400, `"field":"password"`},
		{"bad token rejected by the vendor", map[string]any{"id": "sq-bad", "vendor": "square",
			"credentials": map[string]string{"access_token": "wrong"},
			"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": sq.URL()}}, 422, `"code":"connection_failed"`},
	} {
		code, body := connect(tt.body)
		if code != tt.code || !strings.Contains(body, tt.field) {
			t.Errorf("%s: %d %s", tt.name, code, body)
		}
	}

	code, body := connect(good)
	if code != 201 || !strings.Contains(body, `"id":"square-main"`) || !strings.Contains(body, `"connected_on"`) {
		t.Fatalf("connect: %d %s", code, body)
	}
	if code, body := connect(good); code != 409 {
		t.Fatalf("second connect: %d %s", code, body)
	}
	code, body = request(t, "GET", base+"/integrations/pos/status", admin, nil)
	if code != 200 || !strings.Contains(body, `"ok":true`) || !strings.Contains(body, `"access_token"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if strings.Contains(body, secret) {
		t.Fatal("status returned the credential")
	}
	// The connect and status calls are in the audit log, with the actor.
	code, body = request(t, "GET", base+"/v1/sync-logs?type=integration_connect", admin, nil)
	if code != 200 || !strings.Contains(body, `"actor":"token:installer"`) || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("sync logs: %d %s", code, body)
	}

	code, body = request(t, "DELETE", base+"/integrations/pos/square-main", admin, nil)
	if code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := request(t, "DELETE", base+"/integrations/pos/square-main", admin, nil); code != 404 {
		t.Fatalf("second delete: %d", code)
	}
	d.Core().DB.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Integrations, "square-main").Exists() || tx.Bucket(store.Vendor, "square-main").Exists() {
			t.Error("credentials or vendor state survived the delete")
		}
		return nil
	})
	raw, err := os.ReadFile(filepath.Join(d.cfg.DataDir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the access token is in the bbolt file in plain text")
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), admin) {
		t.Fatal("a secret is in the logs")
	}
}

// A custom manifest named through the API is confined to the manifests
// directory: no path the daemon would otherwise open.
func TestConnectManifestConfined(t *testing.T) {
	d, _ := startDaemon(t, nil)
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "installer")
	for _, m := range []string{"/etc/passwd", "../aura-edge.key", "sub/acme.yaml", ".hidden"} {
		b, _ := json.Marshal(map[string]any{"vendor": "custom", "credentials": map[string]string{},
			"settings": map[string]string{"manifest": m}})
		code, body := request(t, "POST", "http://"+d.APIAddr().String()+"/integrations/pos/connect", admin, b)
		if code != 400 || !strings.Contains(body, `"code":"bad_manifest"`) || strings.Contains(body, "root:") {
			t.Errorf("manifest %q: %d %s", m, code, body)
		}
	}
}
