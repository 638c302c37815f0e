package spool

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Defaults for zero Options fields.
const (
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 30 * time.Second
	DefaultStatusTimeout  = time.Second
	DefaultStatusInterval = 30 * time.Second
	DefaultFailoverAfter  = time.Minute
	DefaultMaxAge         = 7 * 24 * time.Hour
	DefaultMaxRows        = 10_000
)

// Auditor records print attempts; *audit.Logger is one.
type Auditor interface {
	Record(ctx context.Context, r audit.Record) (audit.Record, error)
}

// Options tune a Spool. The zero value is ready to use.
type Options struct {
	// Logger receives the spool's logs; nil discards them.
	Logger *slog.Logger
	// Audit records every print attempt outcome (Type "print"); nil
	// records nothing.
	Audit Auditor
	// Location is the time zone printed on receipts; nil means time.Local.
	Location *time.Location

	// MinBackoff and MaxBackoff bound the wait between attempts on a
	// printer that is unreachable or not ready.
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout and WriteTimeout go to transport.Options.
	DialTimeout, WriteTimeout time.Duration
	// StatusTimeout bounds each DLE EOT status query before a job.
	StatusTimeout time.Duration
	// StatusInterval is how often an idle worker asks its printer for
	// status; negative turns polling off.
	StatusInterval time.Duration

	// Kitchen routes kitchen tickets to stations; CategoryOf tells the
	// router an item's menu category. Without stations every printer with
	// auto_print kitchen or both gets whole-order tickets.
	Kitchen    kitchen.Config
	CategoryOf kitchen.CategoryFunc

	// DrawerAlertAfter is how long a cash drawer may stay open before an
	// alert goes to the audit log (and so to the cloud); default
	// DefaultDrawerAlertAfter.
	DrawerAlertAfter time.Duration

	// OnState is called when a printer's state changes (once for each
	// printer on the device), from the device's worker: it must not block.
	OnState func(PrinterStatus)
	// OnJob is called when a job reaches a final state (printed,
	// unconfirmed, failed or cancelled); it must not block.
	OnJob func(Job)

	// MaxAge and MaxRows bound how many finished jobs are kept.
	MaxAge  time.Duration
	MaxRows int

	// NoDirect turns off printing auto-print jobs directly from the
	// capture's durable marker (direct.go): every job is then committed
	// queued, and marked printing, before its bytes leave. For
	// benchmarks and tests that compare the two.
	NoDirect bool
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.DialTimeout <= 0 {
		o.DialTimeout = transport.DefaultDialTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = transport.DefaultWriteTimeout
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = DefaultStatusTimeout
	}
	if o.StatusInterval == 0 {
		o.StatusInterval = DefaultStatusInterval
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.DrawerAlertAfter <= 0 {
		o.DrawerAlertAfter = DefaultDrawerAlertAfter
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	return o
}

// Spool is the durable print queue. Build it with New, then Run it. Its
// methods are safe for concurrent use, before and while it runs.
type Spool struct {
	db          *store.DB
	log         *slog.Logger
	opts        Options
	layout      *receipt.Layout
	kitchenCopy bool
	printers    map[string]*printer
	names       []string // config order
	devices     []*device

	running sync.Mutex
	audits  sync.WaitGroup

	router    *kitchen.Router // nil: no stations
	kitchenMu sync.Mutex      // one order's station tickets at a time
}

// printer is one configured printer. Its device (connection, worker and
// state) may be shared with other printers on the same URL.
type printer struct {
	*device
	name          string
	profile       *escpos.Profile
	profileName   string
	drawer        escpos.DrawerPin
	drawerName    string
	logo          image.Image  // nil: none
	auto          atomic.Value // string: auto_print (config.set changes it at runtime)
	backup        string
	failoverAfter time.Duration
	failedOver    bool // guarded by device.mu
}

// New validates the printers and the receipt settings and returns a spool
// over db. It starts nothing and does no network I/O; call Run. The only
// I/O it does is reading each printer's logo file (a PNG, JPEG or GIF of at
// most MaxLogoBytes and MaxLogoSide pixels a side), which it decodes and
// keeps, converted to gray and scaled down to the printer's paper. Every
// problem is reported, each wrapping ErrInvalidConfig; a logo error names
// the printer and the file:
//
//	printers[0] "front": logo /etc/aura-edge/logo.png: invalid printer config: cannot decode image: png: invalid format
func New(db *store.DB, storeID string, printers []Printer, rc receipt.Settings, opts Options) (*Spool, error) {
	opts = opts.withDefaults()
	s := &Spool{
		db: db, log: opts.Logger, opts: opts, kitchenCopy: rc.KitchenCopy,
		printers: make(map[string]*printer, len(printers)),
	}
	var errs []error
	bad := func(i int, name, field string, err error) {
		errs = append(errs, fmt.Errorf("printers[%d] %q: %s: %w: %w", i, name, field, ErrInvalidConfig, err))
	}
	devices := map[string]*device{}
	layout, err := receipt.New(rc.Config(storeID, opts.Location))
	if err != nil {
		errs = append(errs, fmt.Errorf("receipt: %w: %w", ErrInvalidConfig, err))
	}
	s.layout = layout
	for i, pc := range printers {
		if err := checkName(pc.Name); err != nil {
			bad(i, pc.Name, "name", err)
			continue
		}
		if _, dup := s.printers[pc.Name]; dup {
			bad(i, pc.Name, "name", errors.New("duplicate printer name"))
			continue
		}
		p := &printer{name: pc.Name, backup: pc.Backup,
			failoverAfter: pc.FailoverAfter, drawerName: pc.Drawer}
		p.auto.Store(pc.AutoPrint)
		key := pc.Connection
		u, err := transport.ParseURL(pc.Connection)
		if err != nil {
			bad(i, pc.Name, "connection", err)
		} else {
			key = u.String()
		}
		if d := devices[key]; d != nil {
			p.device = d
		} else {
			p.device = &device{url: pc.Connection, pollIdle: transport.PollsWhenIdle(pc.Connection), wake: make(chan struct{}, 1), direct: make(chan *directJob)}
			p.st.State = StateUnknown
			devices[key] = p.device
			s.devices = append(s.devices, p.device)
		}
		p.printers = append(p.printers, p)
		p.profile, err = escpos.ProfileConfig{Profile: pc.Profile, Columns: pc.Columns, WidthDots: pc.WidthDots}.Resolve()
		if err != nil {
			bad(i, pc.Name, "profile", err)
		} else {
			p.profileName = p.profile.ID
		}
		if pc.Logo != "" {
			maxW := MaxLogoSide
			if p.profile != nil {
				maxW = max(p.profile.WidthDots&^7, 8) // escpos.Encoder.Image's limit
			}
			if img, err := loadLogo(pc.Logo, maxW); err != nil {
				bad(i, pc.Name, "logo "+pc.Logo, err)
			} else {
				p.logo = img
			}
		}
		switch pc.AutoPrint {
		case "", "none", "customer", "kitchen", "both":
		default:
			bad(i, pc.Name, "auto_print", fmt.Errorf("%q: want none, customer, kitchen or both", pc.AutoPrint))
		}
		switch pc.Drawer {
		case "", "none":
		case "pin2", "pin5":
			p.drawer = escpos.DrawerPin2
			if pc.Drawer == "pin5" {
				p.drawer = escpos.DrawerPin5
			}
			if p.profile != nil && !p.profile.Features.PulseStandard && !p.profile.Features.PulseBel {
				bad(i, pc.Name, "drawer", fmt.Errorf("profile %s has no cash drawer port", p.profile.ID))
			}
		default:
			bad(i, pc.Name, "drawer", fmt.Errorf("%q: want none, pin2 or pin5", pc.Drawer))
		}
		if pc.FailoverAfter < 0 {
			bad(i, pc.Name, "failover_after", errors.New("must not be negative"))
		}
		if p.failoverAfter <= 0 {
			p.failoverAfter = DefaultFailoverAfter
		}
		s.printers[pc.Name] = p
		s.names = append(s.names, pc.Name)
	}
	for i, pc := range printers {
		if pc.Backup == "" {
			continue
		}
		if _, ok := s.printers[pc.Backup]; !ok || pc.Backup == pc.Name {
			bad(i, pc.Name, "backup", fmt.Errorf("%q names no other printer", pc.Backup))
		}
	}
	if opts.Kitchen.Enabled() || opts.Kitchen.DefaultPrinter != "" {
		names := map[string]bool{}
		for _, n := range s.names {
			names[n] = true
		}
		for _, p := range opts.Kitchen.Validate(names) {
			errs = append(errs, fmt.Errorf("kitchen.%s: %w: %s", p.Path, ErrInvalidConfig, p.Message))
		}
		if opts.Kitchen.Enabled() {
			s.router = kitchen.NewRouter(opts.Kitchen, opts.CategoryOf)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.loadAnswers()
	return s, nil
}

// checkName accepts printer names that are safe in URLs, logs and job ids'
// company: 1 to 64 printable characters without '/' or surrounding spaces.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("is required")
	case len(name) > 64:
		return errors.New("longer than 64 bytes")
	case strings.TrimSpace(name) != name:
		return errors.New("has leading or trailing spaces")
	case strings.ContainsAny(name, "/\\?#%"):
		return errors.New(`must not contain / \ ? # or %`)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return errors.New("has a control character")
		}
	}
	return nil
}

// Names returns the configured printers in config order.
func (s *Spool) Names() []string { return append([]string(nil), s.names...) }

// Layout returns the receipt layout the spool renders with.
func (s *Spool) Layout() *receipt.Layout { return s.layout }

// Profile returns the resolved profile of a printer.
func (s *Spool) Profile(printer string) (*escpos.Profile, error) {
	p, err := s.printer(printer)
	if err != nil {
		return nil, err
	}
	return p.profile, nil
}

func (s *Spool) printer(name string) (*printer, error) {
	p, ok := s.printers[name]
	if !ok {
		return nil, fmt.Errorf("printer %q (configured: %s): %w", name, strings.Join(s.names, ", "), ErrUnknownPrinter)
	}
	return p, nil
}

// Run recovers jobs left printing by a previous process (they become
// unconfirmed), then runs one worker per printer and the hourly pruning
// until ctx is done. A job being sent when ctx ends is finished first. It
// returns nil on cancel.
func (s *Spool) Run(ctx context.Context) error {
	if !s.running.TryLock() {
		return ErrRunning
	}
	defer s.running.Unlock()
	if err := s.recoverJobs(ctx); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range s.devices {
		wg.Go(func() { s.work(ctx, d) })
	}
	wg.Go(func() { s.pruneLoop(ctx) })
	wg.Wait()
	s.audits.Wait()
	return nil
}

func (s *Spool) pruneLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.Prune(); err != nil {
			s.log.Warn("prune print jobs", "err", err)
		} else if n > 0 {
			s.log.Info("print jobs pruned", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
