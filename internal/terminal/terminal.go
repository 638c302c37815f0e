package terminal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

// Defaults for zero Options fields and config values.
const (
	DefaultIdleCut       = 2 * time.Second
	DefaultDialTimeout   = 1500 * time.Millisecond
	DefaultCloseTimeout  = 5 * time.Second
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultCurrency      = "EUR"
	DefaultCopyQueue     = 1024 // chunks between a session and its capture
	MaxSegmentBytes      = 1 << 20
	maxReceiptBytes      = spool.MaxRawBytes
	readBufferSize       = 32 << 10
	sourcePrefix         = "terminal:"
	spoolIDPrefix        = "term:"
	deliverRetryMax      = 30 * time.Second
	deliverRetryMin      = 500 * time.Millisecond
	maxKeptRawFileBytes  = 1 << 20
	statusReplyLogWindow = time.Minute
	captureWait          = 10 * time.Second
)

// Spooler is the print queue as terminals use it: offline bytes become raw
// jobs. *spool.Spool is one.
type Spooler interface {
	Submit(ctx context.Context, r spool.Request) (spool.Job, bool, error)
	Job(id string) (spool.Job, error)
	Jobs(f spool.Filter) ([]spool.Job, error)
}

// Sink takes captured receipts durably. *OutboxSink is one.
type Sink interface {
	// Deliver stores c (and its order, for a sale) durably; dup is true
	// when a receipt with the same identity was delivered before, and
	// then nothing is written.
	Deliver(ctx context.Context, c *Capture) (dup bool, err error)
}

// Deps are what the terminals need from the rest of the daemon.
type Deps struct {
	// Printers are the configured printers (the passthrough targets).
	Printers []spool.Printer
	Spool    Spooler
	Sink     Sink
	Log      *slog.Logger
	// RawDir keeps the last keep_raw raw captures, one directory per
	// terminal. Empty disables keep_raw.
	RawDir string
	// Location is the store's time zone for printed dates; nil = Local.
	Location *time.Location
}

// Options tune timings; the zero value is ready to use.
type Options struct {
	// DialTimeout bounds opening the printer at the start of a segment.
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff space the attempts to reach a printer
	// that is down; between them segments go offline at once.
	MinBackoff, MaxBackoff time.Duration
	// CopyQueue is how many chunks a session may get ahead of its
	// capture before copies are dropped (the print never waits).
	CopyQueue int
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.CopyQueue <= 0 {
		o.CopyQueue = DefaultCopyQueue
	}
	return o
}

// Manager runs every configured terminal.
type Manager struct {
	deps  Deps
	opts  Options
	log   *slog.Logger
	terms []*terminal
	ready chan struct{}
	// stopping is closed when Run's ctx ends.
	stopping chan struct{}
}

// New checks the terminals against the printers and loads their rules
// files; it does no network I/O. Errors name the terminal and the key.
func New(cfgs []Config, deps Deps, opts Options) (*Manager, error) {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{deps: deps, opts: opts.withDefaults(), log: deps.Log, ready: make(chan struct{}), stopping: make(chan struct{})}
	printers := map[string]string{}
	for _, p := range deps.Printers {
		printers[p.Name] = p.Connection
	}
	var errs []error
	for i, c := range cfgs {
		bad := func(key string, err error) {
			errs = append(errs, fmt.Errorf("terminals[%d] %q: %s: %w", i, c.Name, key, err))
		}
		t := &terminal{m: m, cfg: c, log: deps.Log.With("terminal", c.Name)}
		if t.cfg.Mode == "" {
			t.cfg.Mode = "print"
		}
		if t.cfg.IdleCut <= 0 {
			t.cfg.IdleCut = DefaultIdleCut
		}
		if t.cfg.Currency == "" {
			t.cfg.Currency = DefaultCurrency
		}
		l, err := ParseListen(c.Listen)
		if err != nil {
			bad("listen", err)
		}
		t.listen = l
		if c.Printer != "" {
			u, ok := printers[c.Printer]
			if !ok {
				bad("printer", fmt.Errorf("%q names no configured printer", c.Printer))
			}
			t.printerURL = u
		} else if t.cfg.Mode == "print" {
			bad("printer", errors.New("is required in print mode"))
		}
		t.opts = parse.Options{CodePage: c.CodePage, Currency: t.cfg.Currency, Location: deps.Location}
		if c.Rules != "" {
			r, err := parse.LoadRules(c.Rules)
			if err != nil {
				bad("rules", err)
			}
			t.opts.Rules = r
		}
		t.st = Status{Name: c.Name, Listen: c.Listen, Mode: t.cfg.Mode, Printer: c.Printer, State: StateStopped}
		m.terms = append(m.terms, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// Ready is closed when every terminal has tried to start listening.
func (m *Manager) Ready() <-chan struct{} { return m.ready }

// Addr returns the TCP address terminal name listens on (after Ready), or
// nil.
func (m *Manager) Addr(name string) net.Addr {
	for _, t := range m.terms {
		if t.cfg.Name == name {
			t.mu.Lock()
			defer t.mu.Unlock()
			return t.addr
		}
	}
	return nil
}

// Run listens for every terminal until ctx is done, then closes the
// listeners, ends the sessions and lets the captures drain. It returns nil
// on cancel; a terminal that cannot listen is retried and shown in Status,
// it does not stop the daemon.
func (m *Manager) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { close(m.stopping) })
	defer stop()
	var wg sync.WaitGroup
	var started sync.WaitGroup
	for _, t := range m.terms {
		t.recoverPending()
		t.copies = make(chan chunk, m.opts.CopyQueue)
		var capWG sync.WaitGroup
		capWG.Go(func() { t.captureLoop() })
		started.Add(1)
		wg.Go(func() {
			t.serve(ctx, started.Done)
			t.sessions.Wait()
			close(t.copies)
			capWG.Wait()
		})
	}
	started.Wait()
	close(m.ready)
	wg.Wait()
	return nil
}

// Terminal states.
const (
	StateStopped   = "stopped"   // not running (no daemon holds the store)
	StateListening = "listening" // waiting for the till
	StateConnected = "connected" // a till session is open
	StateError     = "error"     // cannot listen or open the port; retrying
)

// Status is one terminal as `aura-edge terminals`, /v1/status and
// /v1/terminals show it.
type Status struct {
	Name    string `json:"name"`
	Listen  string `json:"listen"`
	Mode    string `json:"mode"`
	Printer string `json:"printer,omitempty"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	// Device is the serial device in use (a USB match resolves to one).
	Device   string `json:"device,omitempty"`
	Sessions int    `json:"sessions"`
	// PrinterReachable is false after the printer could not be reached,
	// until it is reached again.
	PrinterReachable bool   `json:"printer_reachable"`
	PrinterError     string `json:"printer_error,omitempty"`
	// PendingJobs are this till's segments waiting in the print queue.
	PendingJobs int `json:"pending_jobs"`

	BytesIn       uint64 `json:"bytes_in"`
	Receipts      uint64 `json:"receipts"`
	Sales         uint64 `json:"sales"`
	Unparsed      uint64 `json:"unparsed"`
	Duplicates    uint64 `json:"duplicates"`
	Queued        uint64 `json:"queued_segments"`
	StatusReplies uint64 `json:"status_replies"`
	CopyDropped   uint64 `json:"copy_dropped_bytes"`
	BadFrames     uint64 `json:"bad_frames,omitempty"`
	DeliverErrors uint64 `json:"deliver_errors"`
	// Interrupted counts segments whose printer connection broke or was
	// reset: those receipts may be incomplete on paper.
	Interrupted uint64 `json:"interrupted"`

	LastCapture *LastCapture `json:"last_capture,omitempty"`
}

// LastCapture summarises the most recent receipt.
type LastCapture struct {
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	Number     string    `json:"number,omitempty"`
	Total      string    `json:"total,omitempty"`
	Confidence float64   `json:"confidence"`
	Duplicate  bool      `json:"duplicate,omitempty"`
}

// Status returns every terminal's state, in config order.
func (m *Manager) Status() []Status {
	out := make([]Status, 0, len(m.terms))
	for _, t := range m.terms {
		out = append(out, t.status())
	}
	return out
}

// counters are updated without the lock.
type counters struct {
	bytesIn, receipts, sales, unparsed, dups, queued, replies, dropped, badFrames, deliverErrs, interrupted atomic.Uint64
}

// terminal is one configured till.
type terminal struct {
	m          *Manager
	cfg        Config
	listen     Listen
	printerURL string
	opts       parse.Options
	log        *slog.Logger
	copies     chan chunk
	sessions   sync.WaitGroup
	nextID     atomic.Uint64
	c          counters

	pendMu    sync.Mutex
	mu        sync.Mutex
	st        Status
	addr      net.Addr
	pending   []string // spool job ids of this till not yet final
	downUntil time.Time
	backoff   time.Duration
	last      *LastCapture
}

func (t *terminal) status() Status {
	t.prunePending()
	t.mu.Lock()
	st := t.st
	st.PendingJobs = len(t.pending)
	if t.last != nil {
		lc := *t.last
		st.LastCapture = &lc
	}
	t.mu.Unlock()
	st.BytesIn = t.c.bytesIn.Load()
	st.Receipts = t.c.receipts.Load()
	st.Sales = t.c.sales.Load()
	st.Unparsed = t.c.unparsed.Load()
	st.Duplicates = t.c.dups.Load()
	st.Queued = t.c.queued.Load()
	st.StatusReplies = t.c.replies.Load()
	st.CopyDropped = t.c.dropped.Load()
	st.BadFrames = t.c.badFrames.Load()
	st.DeliverErrors = t.c.deliverErrs.Load()
	st.Interrupted = t.c.interrupted.Load()
	return st
}

func (t *terminal) setState(state string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.State = state
	t.st.Error = ""
	if err != nil {
		t.st.Error = err.Error()
	}
}

// printerDown records a failed attempt to reach the printer; segments go
// offline at once until the backoff has passed.
func (t *terminal) printerDown(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.backoff = min(max(t.backoff*2, t.m.opts.MinBackoff), t.m.opts.MaxBackoff)
	t.downUntil = time.Now().Add(t.backoff)
	if t.st.PrinterReachable || t.st.PrinterError == "" {
		t.log.Warn("printer unreachable: status requests get the offline reply, bytes wait in the print queue",
			"printer", t.cfg.Printer, "err", err)
	}
	t.st.PrinterReachable = false
	t.st.PrinterError = err.Error()
}

func (t *terminal) printerUp() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.st.PrinterReachable && t.st.PrinterError != "" {
		t.log.Info("printer reachable again", "printer", t.cfg.Printer)
	}
	t.backoff, t.downUntil = 0, time.Time{}
	t.st.PrinterReachable, t.st.PrinterError = true, ""
}

// goOffline reports whether a new segment must skip the printer: it is in
// its backoff after a failure, or bytes of this till still wait in the
// print queue (they print first, in order).
func (t *terminal) goOffline() bool {
	if t.prunePending() > 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return time.Now().Before(t.downUntil)
}

// prunePending forgets queued segments that the print queue has finished
// with and returns how many still wait.
func (t *terminal) prunePending() int {
	t.pendMu.Lock() // one pruner at a time, so ids are not lost
	defer t.pendMu.Unlock()
	t.mu.Lock()
	ids := append([]string(nil), t.pending...)
	t.mu.Unlock()
	if len(ids) == 0 {
		return 0
	}
	var still []string
	for _, id := range ids {
		j, err := t.m.deps.Spool.Job(id)
		if (err != nil && !errors.Is(err, spool.ErrUnknownJob)) || (err == nil && !j.State.Final()) {
			still = append(still, id)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Keep ids added meanwhile.
	t.pending = append(still, t.pending[len(ids):]...)
	return len(t.pending)
}

// recoverPending finds this till's queued segments left by a previous
// run, so that new receipts do not overtake them.
func (t *terminal) recoverPending() {
	if t.printerURL == "" || t.m.deps.Spool == nil {
		return
	}
	prefix := spoolIDPrefix + t.cfg.Name + ":"
	var ids []string
	for _, st := range []spool.State{spool.Queued, spool.Printing} {
		jobs, err := t.m.deps.Spool.Jobs(spool.Filter{Printer: t.cfg.Printer, State: st, Limit: 1000})
		if err != nil {
			t.log.Warn("read queued print jobs", "err", err)
			continue
		}
		for _, j := range jobs {
			if strings.HasPrefix(j.ID, prefix) {
				ids = append(ids, j.ID)
			}
		}
	}
	t.mu.Lock()
	t.pending = append(t.pending, ids...)
	t.mu.Unlock()
	if len(ids) > 0 {
		t.log.Info("receipts from before the restart still wait for the printer; new ones queue behind them", "jobs", len(ids))
	}
}

func (t *terminal) addPending(id string) {
	t.mu.Lock()
	t.pending = append(t.pending, id)
	t.mu.Unlock()
}
