package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/provision"
	"github.com/auraconnect/aura-edge/internal/testkit"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// startInjectDaemon is a daemon on a real mosquitto without any integration:
// the test connects one with integration.connect.
//
// The integrations named in manual have their scheduled order pulls a day
// apart: the test pulls them itself (orders.sync) at known points. Left
// to the default schedule (every minute, the first within 6 s of
// connecting) a pull could land anywhere in the test, say between an
// injection and its refund, and read a revision the test does not expect
// (TestInjectToastEndToEnd saw two order_echo audits that way).
func startInjectDaemon(t *testing.T, manual ...string) *twoWay {
	t.Helper()
	w := &twoWay{store: "inject-store"}
	w.prefix = "aura/v1/stores/" + w.store
	w.mqDir = t.TempDir()
	w.mq = cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true, Dir: w.mqDir})
	w.peer = cloudpeer.New(t, w.mq.URL(), w.store)
	w.sub = w.peer.Sub
	w.d, w.logs = startDaemon(t, func(c *config.Config) {
		c.StoreID = w.store
		c.Cloud.Broker = w.mq.URL()
		c.Cloud.CommandKeys = []string{w.peer.CommandKey()}
		for _, id := range manual {
			c.Integrations = append(c.Integrations, config.Integration{ID: id, PollInterval: 24 * time.Hour,
				Jitter: time.Nanosecond, MaxAttempts: 3, DriftInterval: "off"})
		}
		w.dir = c.DataDir
	})
	tok, _, err := auth.Create(w.d.Core().DB, auth.Admin, "inject-admin")
	if err != nil {
		t.Fatal(err)
	}
	w.admin, w.base = tok, "http://"+w.d.APIAddr().String()
	w.sub.Wait(t, 20*time.Second, "daemon online", func() bool { return w.provisioningKey() != "" })
	return w
}

// waitFirstPull waits for the first order pull of integration id, which
// the scheduler runs as it is connected: after it, with polls a day apart
// (startInjectDaemon's manual), only the test's own pulls read the POS.
func (w *twoWay) waitFirstPull(t *testing.T, id string) {
	t.Helper()
	testkit.WaitFor(t, "the first order pull of "+id, 20*time.Second, func() bool {
		sts, err := w.d.Core().Bridge.Status(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sts {
			if s.ID == id && s.LastOrderSync != nil {
				return true
			}
		}
		return false
	})
}

// connectAndPush connects integration id (credentials sealed to the store)
// and pushes the café menu to it, which records the id mappings.
func (w *twoWay) connectAndPush(t *testing.T, id, vendor string, creds, settings map[string]string) {
	t.Helper()
	sealed, err := provision.Seal(w.provisioningKey(), w.store, creds)
	if err != nil {
		t.Fatal(err)
	}
	if r := w.command(t, "c-connect-"+id, "integration.connect", map[string]any{"id": id, "vendor": vendor, "name": id,
		"settings": settings, "sealed_credentials": sealed}, 1); r.Status != "ok" {
		t.Fatalf("integration.connect %s: %+v", id, r)
	}
	if r := w.command(t, "c-menu-"+id, "menu.push", menuPush{Menu: cafeMenu("v1", nil), IntegrationID: id}, 1); r.Status != "ok" {
		t.Fatalf("menu.push %s: %+v %s", id, r, r.Details)
	}
}

func injectFor(integration, orderID string) map[string]any {
	d := injectData(orderID)
	d["integration_id"] = integration
	return d
}
