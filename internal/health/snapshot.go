package health

import (
	"context"
	"slices"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// Link is the cloud link's state.
type Link struct {
	// State is connected, connecting, waiting (to reconnect), stopped or
	// not_configured (no broker in the config).
	State      string    `json:"state"`
	Connected  bool      `json:"connected"`
	Broker     string    `json:"broker,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	Reconnects uint64    `json:"reconnects"`
	Delivered  uint64    `json:"delivered"`
	Commands   uint64    `json:"commands"`
	// DeadLetters counts events this process set aside because the broker
	// would not take them; AwaitingReceipt and Unconfirmed are the cloud
	// receipts mode's events not yet confirmed and resends after a missed
	// receipt (zero without receipts).
	DeadLetters     uint64 `json:"dead_letters"`
	AwaitingReceipt int    `json:"awaiting_receipt"`
	Unconfirmed     uint64 `json:"unconfirmed"`
}

// Stream is one outbox stream's backlog.
type Stream struct {
	Stream     string  `json:"stream"`
	Depth      int     `json:"depth"`
	Bytes      int64   `json:"bytes"`
	OldestAgeS float64 `json:"oldest_age_s"`
	Capacity   int     `json:"capacity"`
	Full       bool    `json:"full"`
	// DeadLetters are the stream's events set aside (aura-edge queue dead).
	DeadLetters int    `json:"dead_letters"`
	Dropped     uint64 `json:"dropped"`
	Refused     uint64 `json:"refused"`
}

// Printer is a printer with its live state and the jobs staff may act on.
type Printer struct {
	spool.PrinterStatus
	// Queued are the jobs waiting, oldest first (at most 20).
	Queued []spool.Job `json:"queued"`
	// Unconfirmed are the latest jobs that may or may not have printed
	// (at most 20, newest first): reprint or cancel them.
	Unconfirmed []spool.Job `json:"unconfirmed"`
}

// Sync is one sync attempt's outcome.
type Sync struct {
	Time    time.Time    `json:"time"`
	Status  audit.Status `json:"status"`
	Message string       `json:"message,omitempty"`
}

// Integration is a POS integration's recent activity.
type Integration struct {
	ID             string `json:"id"`
	Vendor         string `json:"vendor"`
	Name           string `json:"name,omitempty"`
	LastPull       *Sync  `json:"last_pull"`
	LastPush       *Sync  `json:"last_push"`
	LastError      *Sync  `json:"last_error"`
	PendingRetries int    `json:"pending_retries"`
	DeadLetters    int    `json:"dead_letters"`
}

// Terminal is a till whose printer output is captured (terminal capture).
type Terminal struct {
	Name        string    `json:"name"`
	State       string    `json:"state"`
	LastCapture time.Time `json:"last_capture,omitzero"`
	Unparsed    int       `json:"unparsed"`
	LastError   string    `json:"last_error,omitempty"`

	Listen           string `json:"listen,omitempty"`
	Mode             string `json:"mode,omitempty"`
	Printer          string `json:"printer,omitempty"`
	PrinterReachable bool   `json:"printer_reachable"`
	// Sessions are the till connections open now.
	Sessions    int `json:"sessions"`
	PendingJobs int `json:"pending_jobs"`
	// Counters since start (metrics).
	BytesIn       uint64 `json:"bytes_in"`
	Receipts      uint64 `json:"receipts"`
	Sales         uint64 `json:"sales"`
	Duplicates    uint64 `json:"duplicates"`
	Queued        uint64 `json:"queued_segments"`
	StatusReplies uint64 `json:"status_replies"`
	CopyDropped   uint64 `json:"copy_dropped_bytes"`
	DeliverErrors uint64 `json:"deliver_errors"`
	Interrupted   uint64 `json:"interrupted"`
}

// Snapshot is aura-edge's state at one moment.
type Snapshot struct {
	StoreID   string    `json:"store_id"`
	Version   string    `json:"version"`
	Time      time.Time `json:"time"`
	StartedAt time.Time `json:"started_at"`
	UptimeS   int64     `json:"uptime_s"`
	Cloud     Link      `json:"cloud"`
	Outbox    []Stream  `json:"outbox"`
	Printers  []Printer `json:"printers"`
	// Integrations is nil when they could not be read.
	Integrations []Integration `json:"integrations"`
	// Terminals is nil until terminal capture reports into health
	// (TerminalsEnabled false).
	Terminals        []Terminal     `json:"terminals"`
	TerminalsEnabled bool           `json:"terminals_enabled"`
	Audit            []audit.Record `json:"audit"`
}

// Sources are the functions a Snapshot is read from. Nil functions leave
// their part empty.
type Sources struct {
	StoreID   string
	Version   string
	StartedAt time.Time
	Now       func() time.Time

	Link   func() Link
	Outbox func() []outbox.StreamStats
	// OutboxDead counts dead letters per stream.
	OutboxDead func() map[outbox.Stream]int
	Printers   func() []spool.PrinterStatus
	// Jobs lists print jobs (spool.Spool.Jobs).
	Jobs         func(spool.Filter) ([]spool.Job, error)
	Integrations func(ctx context.Context) ([]Integration, error)
	// Terminals is the extension point for terminal capture.
	Terminals func() []Terminal
	// Audit returns the latest n audit records, newest first.
	Audit func(n int) ([]audit.Record, error)
	// MenuQueue returns pending menu-push retries and dead letters per
	// integration (metrics only).
	MenuQueue func() (retries, dead map[string]int)
	// StoreBytes is the size of the bbolt file (metrics only).
	StoreBytes func() int64

	// The status facts (Facts): the last catalog comparison's differences
	// and the objects 86ed per integration, the scheduled flows, each
	// till listener as `aura-edge terminals` shows it, and the public key
	// credentials are sealed to.
	MenuSummary     func() (drift, unavailable map[string]int)
	Sync            func() []scheduler.State
	TerminalStatus  func() []terminal.Status
	ProvisioningKey func() string
}

func (s *Sources) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// LinkState returns the cloud link's state ("not_configured" without one).
func (s *Sources) LinkState() Link {
	if s.Link == nil {
		return Link{State: "not_configured"}
	}
	return s.Link()
}

// Streams returns the outbox backlog per stream.
func (s *Sources) Streams() []Stream {
	if s.Outbox == nil {
		return nil
	}
	var dead map[outbox.Stream]int
	if s.OutboxDead != nil {
		dead = s.OutboxDead()
	}
	return StreamsOf(s.Outbox(), dead)
}

// StreamsOf is the one view of the outbox backlog that every surface shows
// (/v1/health, /v1/status, /v1/queue, the CLI): stats per stream with the
// stream's dead letters.
func StreamsOf(stats []outbox.StreamStats, dead map[outbox.Stream]int) []Stream {
	out := make([]Stream, 0, len(stats))
	for _, st := range stats {
		out = append(out, Stream{
			Stream: string(st.Stream), Depth: st.Depth, Bytes: st.Bytes,
			OldestAgeS: st.OldestAge.Round(time.Millisecond).Seconds(), Capacity: st.Capacity,
			Full: st.Full, Dropped: st.Dropped, Refused: st.Refused, DeadLetters: dead[st.Stream],
		})
	}
	return out
}

// Snapshot reads every source. Parts that fail to read are left empty;
// the snapshot is always usable.
func (s *Sources) Snapshot(ctx context.Context) Snapshot {
	now := s.now()
	snap := Snapshot{
		StoreID: s.StoreID, Version: s.Version, Time: now.UTC(), StartedAt: s.StartedAt.UTC(),
		Cloud: s.LinkState(), Outbox: s.Streams(), Printers: []Printer{}, Audit: []audit.Record{},
	}
	if !s.StartedAt.IsZero() {
		snap.UptimeS = int64(now.Sub(s.StartedAt).Seconds())
	}
	if s.Printers != nil {
		for _, ps := range s.Printers() {
			p := Printer{PrinterStatus: ps, Queued: []spool.Job{}, Unconfirmed: []spool.Job{}}
			if s.Jobs != nil {
				if js, err := s.Jobs(spool.Filter{Printer: ps.Name, State: spool.Unconfirmed, Limit: 20}); err == nil {
					p.Unconfirmed = js
				}
				if js, err := s.Jobs(spool.Filter{Printer: ps.Name, State: spool.Queued, Limit: 20}); err == nil {
					slices.Reverse(js) // oldest first
					p.Queued = js
				}
			}
			snap.Printers = append(snap.Printers, p)
		}
	}
	if s.Integrations != nil {
		if ins, err := s.Integrations(ctx); err == nil {
			snap.Integrations = ins
		}
	}
	if snap.Integrations == nil {
		snap.Integrations = []Integration{}
	}
	if s.Terminals != nil {
		snap.TerminalsEnabled = true
		snap.Terminals = s.Terminals()
	}
	if snap.Terminals == nil {
		snap.Terminals = []Terminal{}
	}
	if s.Audit != nil {
		if rs, err := s.Audit(15); err == nil && rs != nil {
			snap.Audit = rs
		}
	}
	return snap
}
