package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/auraconnect/aura-edge/internal/spool"
)

// PrinterEventType is the CloudEvents type of printer state events (on the
// telemetry stream, subject = printer name).
const PrinterEventType = "com.auraconnect.edge.printer.state"

// DefaultEventGap is the least time between two state events of one
// printer.
const DefaultEventGap = time.Second

// PrinterEvent is the data of a printer state event.
type PrinterEvent struct {
	Printer    string             `json:"printer"`
	State      spool.PrinterState `json:"state"`
	Previous   spool.PrinterState `json:"previous,omitempty"`
	Since      time.Time          `json:"since,omitzero"`
	LastError  string             `json:"last_error,omitempty"`
	QueueDepth int                `json:"queue_depth"`
	Time       time.Time          `json:"time"`
}

// PrinterEvents turns printer state changes into events for the cloud,
// debounced per printer: a change is sent at once when the printer's last
// event is at least Gap old, otherwise when Gap has passed, as the state
// the printer is in then; a printer that flaps back to the state last sent
// sends nothing. So every printer sends at most one event per Gap, and a
// change is sent within Gap plus the time to write it.
type PrinterEvents struct {
	// Gap is the least time between two events of one printer (zero:
	// DefaultEventGap).
	Gap time.Duration
	// Send writes one event (durably, to the outbox); errors are logged.
	Send func(ctx context.Context, ev PrinterEvent) error
	Log  *slog.Logger

	in chan spool.PrinterStatus
}

// NewPrinterEvents returns a debouncer that calls send.
func NewPrinterEvents(send func(context.Context, PrinterEvent) error, log *slog.Logger) *PrinterEvents {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &PrinterEvents{Send: send, Log: log, in: make(chan spool.PrinterStatus, 256)}
}

// Changed takes a state change (spool.Options.OnState); it never blocks.
func (e *PrinterEvents) Changed(p spool.PrinterStatus) {
	select {
	case e.in <- p:
	default:
		e.Log.Warn("printer state event dropped: too many changes at once", "printer", p.Name, "state", p.State)
	}
}

type printerTrack struct {
	sent     spool.PrinterState
	sentAt   time.Time
	pending  *spool.PrinterStatus
	everSent bool
}

// Run sends events until ctx is done.
func (e *PrinterEvents) Run(ctx context.Context) error {
	gap := e.Gap
	if gap <= 0 {
		gap = DefaultEventGap
	}
	tracks := map[string]*printerTrack{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-e.in:
			t := tracks[p.Name]
			if t == nil {
				t = &printerTrack{}
				tracks[p.Name] = t
			}
			t.pending = &p
		case <-timer.C:
		}
		now := time.Now()
		var next time.Time
		for _, t := range tracks {
			if t.pending == nil {
				continue
			}
			if due := t.sentAt.Add(gap); now.Before(due) {
				if next.IsZero() || due.Before(next) {
					next = due
				}
				continue
			}
			p := *t.pending
			t.pending = nil
			if t.everSent && p.State == t.sent {
				continue // flapped back
			}
			ev := PrinterEvent{Printer: p.Name, State: p.State, Since: p.Since, LastError: p.LastError,
				QueueDepth: p.QueueDepth, Time: now.UTC()}
			if t.everSent {
				ev.Previous = t.sent
			}
			if err := e.Send(ctx, ev); err != nil {
				e.Log.Warn("printer state event not queued", "printer", p.Name, "state", p.State, "err", err)
			}
			t.sent, t.sentAt, t.everSent = p.State, now, true
		}
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

// Marshal encodes ev as event data.
func (ev PrinterEvent) Marshal() []byte {
	b, _ := json.Marshal(ev)
	return b
}
