package bridge

import (
	"reflect"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	_ "github.com/auraconnect/aura-edge/drivers/pos/all"
)

func TestIntegrationProblems(t *testing.T) {
	_, unknown := pos.Lookup("sqaure")
	ins := []Integration{
		{ID: "a", Vendor: "square", PollInterval: time.Minute, DriftInterval: "off"},
		{ID: "a", Vendor: "sqaure", PollInterval: time.Second, MaxAttempts: -1, DriftInterval: "30s"},
		{Vendor: "square"},
	}
	want := []Problem{
		{"[1].id", `duplicate integration id "a"`},
		{"[1].vendor", unknown.Error()},
		{"[1].poll_interval", "must be at least 5s (got 1s)"},
		{"[1].max_attempts", "must not be negative"},
		{"[1].drift_interval", `must be a duration of at least 1m such as 15m, or off (got "30s")`},
		{"[2].id", "is required"},
	}
	if got := IntegrationProblems(ins); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := IntegrationProblems(ins[:1]); got != nil {
		t.Errorf("a good entry: %q", got)
	}
}

func TestDriftEvery(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "off": -1, "15m": 15 * time.Minute} {
		if got, err := (Integration{DriftInterval: in}).DriftEvery(); err != nil || got != want {
			t.Errorf("%q = %s, %v", in, got, err)
		}
	}
	if _, err := (Integration{DriftInterval: "59s"}).DriftEvery(); err == nil {
		t.Error("59s accepted")
	}
}
