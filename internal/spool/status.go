package spool

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/store"
)

// PrinterState is what the spool last learned about a printer.
type PrinterState string

// Printer states.
const (
	// StateUnknown: not contacted yet, or it does not answer status
	// queries (it is still printed to).
	StateUnknown PrinterState = "unknown"
	// StateOnline: it answered and is ready.
	StateOnline PrinterState = "online"
	// StatePaperNearEnd: ready, but the roll is nearly empty.
	StatePaperNearEnd PrinterState = "paper_near_end"
	// StateOffline: unreachable (connection refused, device missing) or
	// reporting itself offline.
	StateOffline PrinterState = "offline"
	// StatePaperOut: out of paper; jobs wait.
	StatePaperOut PrinterState = "paper_out"
	// StateCoverOpen: the cover is open; jobs wait.
	StateCoverOpen PrinterState = "cover_open"
	// StateError: a cutter or mechanical error; jobs wait.
	StateError PrinterState = "error"
)

// Ready reports whether jobs are sent to a printer in state s.
func (s PrinterState) Ready() bool {
	return s == StateOnline || s == StatePaperNearEnd || s == StateUnknown
}

// PrinterStatus is a configured printer with its live state, for status
// pages and the API.
type PrinterStatus struct {
	Name       string       `json:"name"`
	Connection string       `json:"connection"`
	Profile    string       `json:"profile"`
	Columns    int          `json:"columns"`
	AutoPrint  string       `json:"auto_print,omitempty"`
	Drawer     string       `json:"drawer,omitempty"`
	Backup     string       `json:"backup,omitempty"`
	State      PrinterState `json:"state"`
	// Since is when the printer entered State.
	Since       time.Time `json:"since,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastPrinted time.Time `json:"last_printed_at,omitzero"`
	// NextRetry is when the worker tries the job at the head of the
	// queue again. Printers sharing a connection URL share one worker
	// and one state.
	NextRetry time.Time `json:"next_retry_at,omitzero"`
	// QueueDepth counts queued jobs.
	QueueDepth int `json:"queue_depth"`
	// FailedOver is set while queued jobs go to the backup printer.
	FailedOver bool `json:"failed_over,omitempty"`
	// DrawerState is the cash drawer sensor ("open" or "closed") on
	// printers with a drawer, from the last status answer; DrawerSince is
	// when it was last seen to change.
	DrawerState string    `json:"drawer_state,omitempty"`
	DrawerSince time.Time `json:"drawer_since,omitzero"`
}

// device is one connection URL: the printers configured on it share its
// worker and its state.
type device struct {
	url      string
	pollIdle bool // the transport may be opened for status while idle (not file:)
	wake     chan struct{}
	direct   chan *directJob // auto-print jobs handed to the idle worker
	printers []*printer

	mu     sync.Mutex
	st     deviceStatus
	drawer drawerState
	// answers is set once the printer has answered a status query (kept in
	// the store, so it survives restarts): from then on silence is a
	// symptom (a hung printer still accepts connections), not a printer
	// without status support.
	answers bool
	// remember stores answers the first time it is set (nil: memory only).
	remember func()
}

// markAnswers records that the printer answers status queries.
func (d *device) markAnswers() {
	d.mu.Lock()
	first := !d.answers
	d.answers = true
	remember := d.remember
	d.mu.Unlock()
	if first && remember != nil {
		remember()
	}
}

// loadAnswers sets answers on the devices that answered in an earlier run
// and makes markAnswers store it for the others. Replacing a printer at
// the same address keeps the flag: its first silent job ends unconfirmed
// (reprint from the status page), never falsely printed.
func (s *Spool) loadAnswers() {
	if s.db == nil {
		return
	}
	_ = s.db.View(func(tx *store.Tx) error {
		b := tx.Bucket(store.PrintJobs, bAnswers)
		for _, d := range s.devices {
			d.answers = b.Get([]byte(d.url)) != nil
		}
		return nil
	})
	for _, d := range s.devices {
		d.remember = func() {
			err := s.db.Update(func(tx *store.Tx) error {
				return tx.Bucket(store.PrintJobs, bAnswers).Put([]byte(d.url), []byte("1"))
			})
			if err != nil {
				s.log.Warn("remembering that the printer answers status failed; after a restart a silent printer may be taken for one without status", "printer", d.names(), "err", err)
			}
		}
	}
}

// answersStatus reports whether the printer has answered status before.
func (d *device) answersStatus() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.answers
}

// deviceStatus is what the worker maintains for status pages.
type deviceStatus struct {
	State       PrinterState
	Since       time.Time
	LastError   string
	LastErrorAt time.Time
	LastPrinted time.Time
	NextRetry   time.Time
	// downSince is when the printer stopped taking jobs; zero while it
	// takes them.
	downSince time.Time
	// lastTry is when the worker last contacted the printer.
	lastTry time.Time
}

// Printers returns every configured printer with its live state, in
// config order.
func (s *Spool) Printers() []PrinterStatus {
	depth := s.queueDepths()
	out := make([]PrinterStatus, 0, len(s.names))
	for _, name := range s.names {
		out = append(out, s.printers[name].status(depth[name]))
	}
	return out
}

// Printer returns one printer's status.
func (s *Spool) Printer(name string) (PrinterStatus, error) {
	p, err := s.printer(name)
	if err != nil {
		return PrinterStatus{}, err
	}
	return p.status(s.queueDepths()[name]), nil
}

func (p *printer) status(depth int) PrinterStatus {
	p.mu.Lock()
	st, failedOver := p.st, p.failedOver
	p.mu.Unlock()
	drawer, drawerSince := "", time.Time{}
	if p.drawer != 0 {
		drawer, drawerSince = p.drawerStatus()
	}
	cols := 0
	if p.profile != nil {
		cols = p.profile.Columns(0)
	}
	return PrinterStatus{
		Name: p.name, Connection: p.url, Profile: p.profileName, Columns: cols,
		AutoPrint: p.autoMode(), Drawer: p.drawerName, Backup: p.backup,
		State: st.State, Since: st.Since, LastError: st.LastError, LastErrorAt: st.LastErrorAt,
		LastPrinted: st.LastPrinted, NextRetry: st.NextRetry, QueueDepth: depth, FailedOver: failedOver,
		DrawerState: drawer, DrawerSince: drawerSince,
	}
}

func (s *Spool) queueDepths() map[string]int {
	depth := make(map[string]int, len(s.names))
	_ = s.db.View(func(tx *store.Tx) error {
		q := tx.Bucket(store.PrintJobs, bQueue)
		for _, name := range s.names {
			n := 0
			_ = q.Sub(name).ForEach(func(k, v []byte) error { n++; return nil })
			depth[name] = n
		}
		return nil
	})
	return depth
}

// setState records what the printer reported. It returns the previous
// state. err is nil for a ready printer.
func (d *device) setState(state PrinterState, err error, now time.Time) PrinterState {
	d.mu.Lock()
	defer d.mu.Unlock()
	prev := d.st.State
	if prev != state {
		d.st.State, d.st.Since = state, now
	}
	if err != nil {
		d.st.LastError, d.st.LastErrorAt = err.Error(), now
	}
	switch {
	case state.Ready():
		d.st.downSince, d.st.NextRetry = time.Time{}, time.Time{}
		for _, p := range d.printers {
			p.failedOver = false
		}
	case d.st.downSince.IsZero():
		d.st.downSince = now
	}
	return prev
}

// noteError records an error that says nothing certain about the
// printer's state (a connection lost mid-job).
func (d *device) noteError(err error, now time.Time) {
	d.mu.Lock()
	d.st.LastError, d.st.LastErrorAt = err.Error(), now
	d.mu.Unlock()
}

func (d *device) printed(now time.Time) {
	d.mu.Lock()
	d.st.LastPrinted = now
	d.mu.Unlock()
}

func (d *device) tried(t time.Time) {
	d.mu.Lock()
	d.st.lastTry = t
	d.mu.Unlock()
}

func (d *device) lastTried() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st.lastTry
}

func (d *device) setNextRetry(t time.Time) {
	d.mu.Lock()
	d.st.NextRetry = t
	d.mu.Unlock()
}

// down reports whether the printer is known not to take jobs, and since
// when.
func (d *device) down() (bool, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.st.downSince.IsZero(), d.st.downSince
}

// stateOf maps a parsed status to a printer state.
func stateOf(st escpos.Status) (PrinterState, error) {
	err := st.Err()
	switch {
	case err == nil && st.PaperNearEnd:
		return StatePaperNearEnd, nil
	case err == nil:
		return StateOnline, nil
	case errors.Is(err, escpos.ErrPaperOut):
		return StatePaperOut, err
	case errors.Is(err, escpos.ErrCoverOpen):
		return StateCoverOpen, err
	case errors.Is(err, escpos.ErrCutter), errors.Is(err, escpos.ErrPrinterError):
		return StateError, err
	}
	return StateOffline, err
}

// notify wakes the device's worker.
func (d *device) notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// names returns the printer names on d, for logs.
func (d *device) names() string {
	if len(d.printers) == 1 {
		return d.printers[0].name
	}
	names := make([]string, len(d.printers))
	for i, p := range d.printers {
		names[i] = p.name
	}
	return strings.Join(names, ",")
}
