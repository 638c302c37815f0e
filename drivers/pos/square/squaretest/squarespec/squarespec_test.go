package squarespec_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
)

func TestLoadAndValidate(t *testing.T) {
	s, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Doc.Components.Schemas["CatalogModifierToggleOverrideType"] == nil {
		t.Error("missing schema not repaired")
	}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/v2/orders/search", nil)
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	reqBody := []byte(`{"location_ids":["L1"]}`)
	if err := s.ValidateRequest(req, reqBody); err != nil {
		t.Errorf("valid request: %v", err)
	}
	req.Header.Del("Authorization")
	if err := s.ValidateRequest(req, reqBody); err == nil {
		t.Error("request without bearer token accepted")
	}
	h := http.Header{"Content-Type": {"application/json"}}
	good := `{"orders":[{"id":"O","location_id":"L1","version":1,"total_money":{"amount":100,"currency":"USD"}}]}`
	if err := s.ValidateResponse(req, reqBody, 200, h, []byte(good)); err != nil {
		t.Errorf("valid response: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(good, `"amount":100`, `"amount":"100"`, 1),
		strings.Replace(good, `"USD"`, `"ZZZ"`, 1),
		strings.Replace(good, `"location_id":"L1",`, ``, 1),
	} {
		if err := s.ValidateResponse(req, reqBody, 200, h, []byte(bad)); err == nil {
			t.Errorf("invalid response accepted: %s", bad)
		}
	}
	if err := s.ValidateResponse(req, reqBody, 429, h, []byte(`{"errors":[{"category":"RATE_LIMIT_ERROR","code":"RATE_LIMITED"}]}`)); err != nil {
		t.Errorf("error body: %v", err)
	}
	if err := s.ValidateResponse(req, reqBody, 500, h, []byte(`{"message":"boom"}`)); err == nil {
		t.Error("off-shape error body accepted")
	}
}
