package health

import (
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal"
)

// Facts are the store's facts beside the link's own in the retained MQTT
// status, and part of GET /v1/status. One definition serves both.
type Facts struct {
	// MenuRetries and DeadLetters are menu pushes waiting to be retried
	// and given up on, per integration.
	MenuRetries map[string]int `json:"menu_retries"`
	DeadLetters map[string]int `json:"dead_letters"`
	// OutboxDeadLetters are events the broker would not take, per stream.
	OutboxDeadLetters map[outbox.Stream]int `json:"outbox_dead_letters"`
	// MenuDrift counts the differences the last catalog comparison found
	// and MenuUnavailable the objects 86ed, per integration.
	MenuDrift       map[string]int `json:"menu_drift"`
	MenuUnavailable map[string]int `json:"menu_unavailable"`
	// Sync is each scheduled flow (order pulls, menu pushes).
	Sync     []scheduler.State     `json:"sync"`
	Printers []spool.PrinterStatus `json:"printers"`
	// Terminals are the tills listened to (absent without any).
	Terminals []terminal.Status `json:"terminals,omitempty"`
	// ProvisioningKey seals credentials the cloud sends to this store.
	ProvisioningKey string `json:"provisioning_key"`
}

// DaemonStatus is GET /v1/status: the snapshot's identity, link and outbox
// with the Facts.
type DaemonStatus struct {
	StoreID string   `json:"store_id"`
	Version string   `json:"version"`
	UptimeS int64    `json:"uptime_s"`
	Cloud   Link     `json:"cloud"`
	Outbox  []Stream `json:"outbox"`
	Facts
}

// StatusFacts reads the facts from the sources; nil sources leave their
// part empty. cloud.Deps.Status takes it.
func (s *Sources) StatusFacts() any { return s.Facts() }

// Facts reads the facts from the sources.
func (s *Sources) Facts() Facts {
	var f Facts
	if s.MenuQueue != nil {
		f.MenuRetries, f.DeadLetters = s.MenuQueue()
	}
	if s.OutboxDead != nil {
		f.OutboxDeadLetters = s.OutboxDead()
	}
	if s.MenuSummary != nil {
		f.MenuDrift, f.MenuUnavailable = s.MenuSummary()
	}
	if s.Sync != nil {
		f.Sync = s.Sync()
	}
	if s.Printers != nil {
		f.Printers = s.Printers()
	}
	if s.TerminalStatus != nil {
		f.Terminals = s.TerminalStatus()
	}
	if s.ProvisioningKey != nil {
		f.ProvisioningKey = s.ProvisioningKey()
	}
	return f
}

// Status reads GET /v1/status from the sources.
func (s *Sources) Status() DaemonStatus {
	st := DaemonStatus{StoreID: s.StoreID, Version: s.Version, Cloud: s.LinkState(), Outbox: s.Streams(), Facts: s.Facts()}
	if !s.StartedAt.IsZero() {
		st.UptimeS = int64(s.now().Sub(s.StartedAt).Seconds())
	}
	if st.Outbox == nil {
		st.Outbox = []Stream{}
	}
	return st
}
