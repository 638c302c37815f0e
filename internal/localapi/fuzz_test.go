package localapi

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/request"
)

// FuzzDecodeOrder feeds arbitrary bodies through the capture decoder and
// validation: never a panic, and every failure is a decodeError (a 4xx),
// never something that would become a 500.
func FuzzDecodeOrder(f *testing.F) {
	if b, err := os.ReadFile("testdata/order.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`[{"source":{"vendor":"x","external_id":"1"}}]`))
	f.Add([]byte(`{"line_items":[{"quantity":"1e400","unit_price":{"amount":9223372036854775807,"currency":"USD"}}]}`))
	f.Add([]byte(`{"totals":{"total":{"amount":-1}}} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var orders []model.Order
		err := decodeRecordList(data, &orders)
		if err != nil {
			var one model.Order
			err = decodeRecord(data, &one)
			orders = []model.Order{one}
		}
		if err != nil {
			var de *decodeError
			if !errors.As(err, &de) || de.status != 400 {
				t.Fatalf("decode error not a 400: %T %v", err, err)
			}
			if request.Plain(de.msg) != de.msg || strings.Contains(de.msg, "json:") {
				t.Fatalf("error message speaks Go: %q", de.msg)
			}
			return
		}
		for i := range orders {
			_ = orders[i].Validate()
		}
	})
}

// FuzzDecodeConnect fuzzes the strict decoder on the connect request.
func FuzzDecodeConnect(f *testing.F) {
	f.Add([]byte(`{"vendor":"square","credentials":{"access_token":"x"},"settings":{"location_id":"L"}}`))
	f.Add([]byte(`{"vendor":"square","credentials":{"a":1}}`))
	f.Add([]byte(`{"id":"` + string(make([]byte, 300)) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req ConnectRequest
		if err := decodeBytes(data, &req); err != nil {
			var de *decodeError
			if !errors.As(err, &de) {
				t.Fatalf("decode error of type %T: %v", err, err)
			}
		}
	})
}
