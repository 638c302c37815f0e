package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzAvailabilityInput feeds arbitrary menu.availability data through the
// decoder, the time parsing and the request checks: never a panic, and
// every refusal of decoded input is an ErrBadAvailability (a clear 400 or
// bad_data), never an internal error.
func FuzzAvailabilityInput(f *testing.F) {
	f.Add([]byte(`{"objects":[{"kind":"item","id":"latte"}],"until":"close"}`))
	f.Add([]byte(`{"objects":[{"kind":"variation","id":"v"}],"for":"2h","reason":"cups"}`))
	f.Add([]byte(`{"objects":[{"kind":"modifier","id":"m"}],"available":true}`))
	f.Add([]byte(`{"objects":[{"kind":"tax","id":"t"}],"until":"2026-12-03T23:00:00Z"}`))
	f.Add([]byte(`{"objects":[],"for":"-9999999999h"}`))
	f.Add([]byte(`{"objects":[{"kind":"item"}],"until":"close","for":"1h"}`))
	b := testBridge(f, time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), MenuOptions{ClosingTime: "23:00", Location: time.UTC})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in AvailabilityInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		req, err := b.Request(in)
		if err == nil {
			// No integrations: the request is checked first, then targets.
			_, err = b.SetAvailability(context.Background(), req, "fuzz")
		}
		if err != nil && !errors.Is(err, ErrBadAvailability) && !errors.Is(err, ErrNoIntegrations) {
			t.Fatalf("error not about the input: %v", err)
		}
	})
}
