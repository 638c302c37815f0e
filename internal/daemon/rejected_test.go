package daemon

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/auth"
)

// TestRejectedRecordsThroughTheAPI: a Square order that cannot become an
// Aura order (no line items) is pulled through the real API; it is listed
// by GET /integrations/pos/rejected (admin only), readable with the
// vendor's record, and audited as record_rejected. Every exchange is
// checked against the OpenAPI document.
func TestRejectedRecordsThroughTheAPI(t *testing.T) {
	sq := squaretest.Start(t)
	sq.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{{Name: "Latte", Price: 450}}})
	bad := sq.SeedOrder(squaretest.OrderSpec{})
	d, _ := startDaemon(t, nil)
	db := d.Core().DB
	admin, _, _ := auth.Create(db, auth.Admin, "installer")
	staff, _, _ := auth.Create(db, auth.Staff, "till")
	base := "http://" + d.APIAddr().String()
	body, _ := json.Marshal(map[string]any{"id": "square-main", "vendor": "square",
		"credentials": map[string]string{"access_token": squaretest.DefaultAccessToken},
		"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": sq.URL(), "payments": "off"}})
	if code, b := request(t, "POST", base+"/integrations/pos/connect", admin, body); code != 201 {
		t.Fatalf("connect: %d %s", code, b)
	}
	if code, b := request(t, "POST", base+"/integrations/pos/sync/orders", admin, []byte(`{"integration_id":"square-main"}`)); code != 200 {
		t.Fatalf("sync: %d %s", code, b)
	}
	code, b := request(t, "GET", base+"/integrations/pos/rejected?integration_id=square-main", admin, nil)
	var list struct {
		Rejected []struct {
			Key, VendorID, Reason string
			Raw                   json.RawMessage
		} `json:"rejected"`
	}
	if code != 200 || json.Unmarshal([]byte(b), &list) != nil || len(list.Rejected) != 1 {
		t.Fatalf("list: %d %s", code, b)
	}
	r := list.Rejected[0]
	if r.Key != "order:"+bad.ID || !strings.Contains(r.Reason, "line item") || r.Raw != nil {
		t.Fatalf("listed: %+v", r)
	}
	one := base + "/integrations/pos/square-main/rejected/" + url.PathEscape(r.Key)
	if code, b := request(t, "GET", one, admin, nil); code != 200 || !strings.Contains(b, `"raw":{`) || !strings.Contains(b, bad.ID) {
		t.Fatalf("one: %d %s", code, b)
	}
	if code, b := request(t, "GET", base+"/integrations/pos/square-main/rejected/order:nope", admin, nil); code != 404 || !strings.Contains(b, "aura-edge rejected") {
		t.Fatalf("unknown: %d %s", code, b)
	}
	if code, _ := request(t, "GET", base+"/integrations/pos/rejected", staff, nil); code != 403 {
		t.Fatalf("staff may not read vendor records: %d", code)
	}
	code, b = request(t, "GET", base+"/v1/sync-logs?type=record_rejected", admin, nil)
	if code != 200 || !strings.Contains(b, `"status":"rejected"`) || !strings.Contains(b, bad.ID) {
		t.Fatalf("audit: %d %s", code, b)
	}
}
