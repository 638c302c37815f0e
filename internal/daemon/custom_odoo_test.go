package daemon

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/odootest"
)

// The Odoo stand-in driver of TestCustomVendorsEndToEnd; its cases are in
// testdata/custom/odoo. An order spec is odooOrder, placed a second ago;
// its total is the stand-in's amount_total.
func init() { registerCustomStandIn("odoo", odooCustomStandIn) }

// odooOrder are the lines and payments of odootest.Server.SeedOrder.
type odooOrder struct {
	Lines    []odootest.Line `json:"lines"`
	Payments []odootest.Pay  `json:"payments"`
}

func odooCustomStandIn(t *testing.T) *customStandIn {
	srv := odootest.Start(t)
	return &customStandIn{creds: srv.Credentials(), settings: srv.Settings(),
		seed: func(t *testing.T, spec []byte) (string, int64) {
			var o odooOrder
			decodeSpec(t, spec, &o)
			id := srv.SeedOrder(time.Now().UTC().Add(-time.Second), 0, o.Lines, o.Payments)
			got, _ := srv.Order(id)
			return strconv.Itoa(id), minorOf(t, fmt.Sprint(got["amount_total"]))
		},
		writes: func() int {
			n := 0
			for _, r := range srv.Requests() {
				if len(r.Body) > 0 && (bytes.Contains(r.Body, []byte(`"create"`)) || bytes.Contains(r.Body, []byte(`"write"`))) {
					n++
				}
			}
			return n
		},
	}
}
