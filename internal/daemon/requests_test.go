package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud"
)

// TestRequestsSameBothWays: a print or drawer request with the same
// mistake gets the same code and the same sentence from the local API and
// from the MQTT command, because both decode and validate it with the
// request layer.
func TestRequestsSameBothWays(t *testing.T) {
	pr := printertest.Start(t)
	d, _ := startDaemon(t, printerConfig(pr))
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "same")
	base := "http://" + d.APIAddr().String()
	for _, tc := range []struct {
		route, command, body string
		handler              func(context.Context, cloud.Command) (any, error)
	}{
		{"/v1/print", "print", `{"kind":"receipt"}`, d.Core().handlePrint},
		{"/v1/print", "print", `{"printer":"front","kind":"raw"}`, d.Core().handlePrint},
		{"/v1/print", "print", `{"printer":"front","kind":"kitchen"}`, d.Core().handlePrint},
		{"/v1/print", "print", `{"printer":"front","kind":"receipt","order_id":"ord_nope"}`, d.Core().handlePrint},
		{"/v1/print", "print", `{"printer":"front","kind":"receipt","order_id":"ord_nope","order":{}}`, d.Core().handlePrint},
		{"/v1/print", "print", `{"printer":"back","kind":"test"}`, d.Core().handlePrint},
		{"/v1/drawer/open", "drawer.open", `{"printer":"back","reason":"change"}`, d.Core().handleDrawerOpen},
		{"/v1/drawer/open", "drawer.open", `{"printer":"front","reason":"change"}`, d.Core().handleDrawerOpen},
		{"/v1/drawer/open", "drawer.open", `{"printer":"front"}`, d.Core().handleDrawerOpen},
	} {
		code, body := request(t, "POST", base+tc.route, admin, []byte(tc.body))
		var p struct{ Code, Detail string }
		if err := json.Unmarshal([]byte(body), &p); err != nil || code != 400 {
			t.Fatalf("%s %s: %d %s", tc.route, tc.body, code, body)
		}
		_, err := tc.handler(context.Background(), cloud.Command{ID: "same-1", Type: tc.command, Data: []byte(tc.body)})
		var ce *cloud.CommandError
		if !errors.As(err, &ce) || ce.Code != p.Code || ce.Message != p.Detail {
			t.Errorf("%s: API says %s %q, the command %v", tc.body, p.Code, p.Detail, err)
		}
	}
}
