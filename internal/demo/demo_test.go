package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the whole demo, short: it is what `make demo` shows a
// newcomer, so it must keep working.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), &out, Options{Duration: 4 * time.Second}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"201", "11 created", "11 unchanged", "1 updated", "3 orders, 4 payments",
		"broker DOWN", "broker BACK", "0 missing", "stopped cleanly", "[QR: https://r.example.com/demo-store/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
