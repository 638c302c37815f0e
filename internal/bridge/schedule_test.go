package bridge

import (
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/scheduler"
)

// TestSetSchedule: config.set's poll interval, jitter and attempts apply
// to an integration whose pulls are scheduled (the flow is replaced, not
// doubled) and to one connected later; drift keeps its own interval.
func TestSetSchedule(t *testing.T) {
	b := testBridge(t, time.Now(), MenuOptions{})
	b.d.Scheduler = scheduler.New(slog.New(slog.DiscardHandler))
	b.d.Schedules = map[string]Schedule{"sq": {PollInterval: time.Hour, DriftInterval: 20 * time.Minute}}
	b.Add("sq")
	flows := func() (orders int) {
		for _, st := range b.d.Scheduler.States() {
			if st.Key == "sq/orders" {
				orders++
			}
		}
		return orders
	}
	b.SetSchedule("sq", 2*time.Minute, time.Second, 3)
	if got := b.schedule("sq"); got.PollInterval != 2*time.Minute || got.Jitter != time.Second || got.MaxAttempts != 3 || got.DriftInterval != 20*time.Minute {
		t.Errorf("schedule: %+v", got)
	}
	if n := flows(); n != 1 {
		t.Errorf("%d order flows", n)
	}
	b.SetSchedule("later", 90*time.Second, 0, 0)
	if got := b.schedule("later"); got.PollInterval != 90*time.Second || got.Jitter != 9*time.Second || got.MaxAttempts != 8 {
		t.Errorf("unscheduled integration: %+v", got)
	}
	for _, st := range b.d.Scheduler.States() {
		if st.Key == "later/orders" {
			t.Error("SetSchedule scheduled an integration that is not connected")
		}
	}
}
