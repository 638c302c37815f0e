package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/auraconnect/aura-edge/internal/model"
)

// recordSeeds are capture bodies, good and bad, at the corners where
// encoding/json is lenient or particular.
func recordSeeds(t testing.TB) [][]byte {
	order, err := os.ReadFile("../localapi/testdata/order.json")
	if err != nil {
		t.Fatal(err)
	}
	payment := []byte(`{"source":{"vendor":"local","external_id":"P-1"},"order_id":"ord_1","method":"card","amount":{"amount":1685,"currency":"USD"},"card_brand":"visa","last4":"4242","status":"completed","created_at":"2026-11-23T09:31:00Z"}`)
	seeds := [][]byte{
		order, payment,
		append(append([]byte("["), order...), ']'),
		append(append(append(append([]byte("[ "), payment...), ','), payment...), ']'),
		[]byte(`[]`), []byte(`{}`), []byte(`null`), []byte(`[null]`), []byte(``), []byte(`  `), []byte(`"x"`), []byte(`1`),
		append(append([]byte{}, order...), ']'),                                  // Decode ignores a trailing ] (json.Decoder.More)
		append(append([]byte{}, order...), " {}"...),                             // and refuses a second value
		[]byte(`{"SOURCE":{"Vendor":"local","EXTERNAL_ID":"a"},"State":"open"}`), // names match without case
		[]byte(`{"source":{"vendor":"a"},"source":{"external_id":"b"}}`),         // duplicate names
		[]byte(`{"sour\u0063e":{"vendor":"local"}}`),                             // escaped name
		[]byte("{\"note\":\"\xff\xfe\",\"source\":{\"vendor\":\"local\"}}"),      // invalid UTF-8
		[]byte(`{"nope":1}`), []byte(`{"source":{"nope":1}}`), // unknown fields
		[]byte(`{"line_items":[{"quantity":"2.5"},{"quantity":1.25},{"quantity":null},{"quantity":"x"}]}`), // Quantity's own decoder
		[]byte(`{"line_items":[{"quantity":1.2345}]}`),
		[]byte(`{"created_at":"2026-11-23T09:30:00+01:00","updated_at":"2026-11-23t09:30:00z"}`),
		[]byte(`{"created_at":"2026-11-23 09:30:00Z"}`), []byte(`{"created_at":null}`), []byte(`{"created_at":1}`),
		[]byte(`{"tip":{"amount":1e3}}`), []byte(`{"tip":{"amount":1.5}}`), []byte(`{"tip":{"amount":99999999999999999999}}`),
		[]byte(`{"tip":{"amount":"5"}}`), []byte(`{"line_items":{}}`), []byte(`{"line_items":null,"taxes":[]}`),
		[]byte(`{"amount":{"amount":-0,"currency":"USD"},"method":"cash"}`), []byte(`{"source":"local"}`),
		[]byte(`{"note":"a\u0000b\ud800"}`), []byte(`{"note":"x"`), []byte(`{"note":"x",}`), []byte(`[{},]`),
	}
	return seeds
}

// FuzzDecodeRecords holds DecodeRecords to Decode: for every body and
// every capture type, both give the same error or the same value (as the
// store would keep it, its JSON), and whatever the fast pass accepts
// Decode accepts too.
//
//	go test -run '^$' -fuzz FuzzDecodeRecords -parallel 1 ./internal/request
func FuzzDecodeRecords(f *testing.F) {
	for _, s := range recordSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameRecords[model.Order](t, body)
		sameRecords[model.Payment](t, body)
		sameRecords[[]model.Order](t, body)
		sameRecords[[]model.Payment](t, body)
	})
}

func TestDecodeRecordsSeeds(t *testing.T) {
	for _, body := range recordSeeds(t) {
		sameRecords[model.Order](t, body)
		sameRecords[model.Payment](t, body)
		sameRecords[[]model.Order](t, body)
		sameRecords[[]model.Payment](t, body)
	}
}

func sameRecords[T Records](t *testing.T, body []byte) {
	t.Helper()
	var fast, slow, pass T
	fastErr := DecodeRecords(body, &fast)
	slowErr := Decode(body, &slow)
	if (fastErr == nil) != (slowErr == nil) {
		t.Fatalf("%T from %q: DecodeRecords says %v, Decode says %v", fast, body, fastErr, slowErr)
	}
	if slowErr != nil {
		var fe, se *Error
		if !errors.As(fastErr, &fe) || !errors.As(slowErr, &se) || *fe != *se {
			t.Fatalf("%T from %q: DecodeRecords says %#v, Decode says %#v", fast, body, fastErr, slowErr)
		}
		return
	}
	if jsonv2.Unmarshal(body, &pass, v1Strict) == nil { // the fast pass alone
		a, _ := json.Marshal(pass)
		b, _ := json.Marshal(slow)
		if !bytes.Equal(a, b) {
			t.Fatalf("%T from %q:\nfast pass %s\nDecode    %s", fast, body, a, b)
		}
	}
	a, _ := json.Marshal(fast)
	b, _ := json.Marshal(slow)
	if !bytes.Equal(a, b) {
		t.Fatalf("%T from %q:\nDecodeRecords %s\nDecode        %s", fast, body, a, b)
	}
}

// BenchmarkDecodeRecords compares the capture decoder with Decode on a
// ~1 KiB order (BenchmarkCapture's body).
//
//	go test -run '^$' -bench DecodeRecords -benchmem ./internal/request
func BenchmarkDecodeRecords(b *testing.B) {
	base, err := os.ReadFile("../localapi/testdata/order.json")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Replace(base, []byte(`"state"`), []byte(`"note": "`+string(bytes.Repeat([]byte("x"), 1024-len(base)-12))+`", "state"`), 1)
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o model.Order
			if err := Decode(data, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeRecords", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o model.Order
			if err := DecodeRecords(data, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
