package bridge

import (
	"context"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/scheduler"
)

// SyncSummary is the last attempt of one flow.
type SyncSummary struct {
	Time    time.Time    `json:"time"`
	Status  audit.Status `json:"status"`
	Message string       `json:"message"`
}

// Connection is a live connection test result.
type Connection struct {
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	LatencyMS int64     `json:"latency_ms"`
}

// IntegrationStatus is one integration as GET /integrations/pos/status
// shows it. It never contains credentials.
type IntegrationStatus struct {
	ID             string            `json:"id"`
	Vendor         string            `json:"vendor"`
	Name           string            `json:"name,omitempty"`
	ConnectedOn    time.Time         `json:"connected_on"`
	Settings       map[string]string `json:"settings,omitempty"`
	Credentials    []string          `json:"credentials"` // field names only
	LastMenuSync   *SyncSummary      `json:"last_menu_sync"`
	LastOrderSync  *SyncSummary      `json:"last_order_sync"`
	LastError      *SyncSummary      `json:"last_error"`
	AppliedMenu    *Applied          `json:"applied_menu"`
	PendingRetries int               `json:"pending_retries"`
	DeadLetters    int               `json:"dead_letters"`
	Schedule       []scheduler.State `json:"schedule,omitempty"`
	// MenuDrift is the last comparison of the POS catalog with the menu
	// pushed (nil before the first one).
	MenuDrift *Drift `json:"menu_drift,omitempty"`
	// Unavailable lists the objects 86ed and when they come back.
	Unavailable []Unavailable `json:"unavailable,omitempty"`
	Connection  *Connection   `json:"connection,omitempty"`
}

func summary(r *audit.Record) *SyncSummary {
	if r == nil {
		return nil
	}
	return &SyncSummary{Time: r.SyncedAt, Status: r.Status, Message: r.Message}
}

// Status reports every integration; with live it also tests each
// connection (in parallel, 10 s each at most).
func (b *Bridge) Status(ctx context.Context, live bool) ([]IntegrationStatus, error) {
	all, err := b.d.Integrations.List()
	if err != nil {
		return nil, err
	}
	retries, dead := b.Queue()
	var states []scheduler.State
	if b.d.Scheduler != nil {
		states = b.d.Scheduler.States()
	}
	out := make([]IntegrationStatus, len(all))
	var wg sync.WaitGroup
	for i, in := range all {
		s := IntegrationStatus{ID: in.ID, Vendor: in.Vendor, Name: in.Name, ConnectedOn: in.ConnectedOn,
			Settings: in.Settings, Credentials: in.CredentialFields, AppliedMenu: b.AppliedMenu(in.ID),
			PendingRetries: retries[in.ID], DeadLetters: dead[in.ID]}
		s.MenuDrift, _ = b.LastDrift(in.ID)
		s.Unavailable, _ = b.Unavailables(in.ID)
		if r, _ := b.d.Audit.Last(in.ID, "menu_push"); r != nil {
			s.LastMenuSync = summary(r)
		}
		if r, _ := b.d.Audit.Last(in.ID, "order_pull"); r != nil {
			s.LastOrderSync = summary(r)
		}
		if rs, _ := b.d.Audit.Query(audit.Filter{Integration: in.ID, Status: audit.Failed, Limit: 1}); len(rs) > 0 {
			s.LastError = summary(&rs[0])
		}
		for _, st := range states {
			if len(st.Key) > len(in.ID) && st.Key[:len(in.ID)+1] == in.ID+"/" {
				s.Schedule = append(s.Schedule, st)
			}
		}
		out[i] = s
		if live {
			wg.Add(1)
			go func(i int, in integrations.Integration) {
				defer wg.Done()
				out[i].Connection = b.TestConnection(ctx, in.ID)
			}(i, in)
		}
	}
	wg.Wait()
	return out, nil
}

// TestConnection makes one cheap authenticated vendor call.
func (b *Bridge) TestConnection(ctx context.Context, id string) *Connection {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := b.d.Now()
	c := &Connection{CheckedAt: start.UTC()}
	a, _, err := b.Adapter(id)
	if err == nil {
		err = a.TestConnection(ctx)
	}
	c.LatencyMS = b.d.Now().Sub(start).Milliseconds()
	c.OK = err == nil
	if err != nil {
		c.Error = err.Error()
	}
	return c
}
