package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/receipt"
	"github.com/auraconnect/aura-edge/internal/store"
)

// MaxRawBytes bounds a raw job.
const MaxRawBytes = 4 << 20

// maxIDLen bounds job ids.
const maxIDLen = 128

// Request asks for one job.
type Request struct {
	// ID makes the request idempotent: a command id, an API job_id. A
	// request whose id exists returns the existing job. Empty: a new
	// UUIDv7. 1 to 128 of A-Z a-z 0-9 . _ : @ + -.
	ID      string
	Printer string
	Kind    Kind
	// Order is what receipts and kitchen tickets are made from. It must
	// pass model.Order.Validate.
	Order *model.Order
	// Raw is the stream of a raw job, sent as it is.
	Raw []byte

	ticket *stationSource // a station ticket (kitchen kind, auto print)
	copy   bool           // a staff copy: COPY banner (ReprintOptions.Copy)
	auto   autoPath       // how an auto-print job is recorded
}

// autoPath says how submit records an auto-print job.
type autoPath int

const (
	queued   autoPath = iota // committed queued; the worker sends it
	direct                   // handed to an idle worker, recorded while it sends
	replayed                 // recorded unconfirmed (OnOrderReplayed)
)

// Submit renders the request for its printer and queues it durably; the
// job is on disk when Submit returns. created is false when a job with the
// id existed: that job is returned and nothing new is queued. Errors wrap
// ErrUnknownPrinter or ErrInvalidRequest (with model.Problems for an
// invalid order) and queue nothing.
func (s *Spool) Submit(ctx context.Context, r Request) (j Job, created bool, err error) {
	return s.submit(ctx, r, true, "")
}

func (s *Spool) submit(ctx context.Context, r Request, validate bool, reprintOf string) (Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return Job{}, false, err
	}
	p, err := s.printer(r.Printer)
	if err != nil {
		return Job{}, false, err
	}
	if r.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Job{}, false, err
		}
		r.ID = id.String()
	} else if err := CheckID(r.ID); err != nil {
		return Job{}, false, err
	}
	if j, err := s.Job(r.ID); err == nil {
		return j, false, nil
	} else if !errors.Is(err, ErrUnknownJob) {
		return Job{}, false, err
	}

	var (
		src  *source
		data []byte
		pv   string
	)
	switch r.Kind {
	case KindReceipt, KindKitchen:
		if r.Order == nil {
			return Job{}, false, fmt.Errorf("a %s needs an order: %w", r.Kind, ErrInvalidRequest)
		}
		o := *r.Order
		if o.ID == "" && o.Source.ExternalID != "" {
			o.ID = o.Source.DerivedID("ord_")
		}
		if validate {
			if ps := o.Validate(); len(ps) > 0 {
				return Job{}, false, fmt.Errorf("order %s: %w: %w", o.ID, ErrInvalidRequest, ps)
			}
		}
		src = &source{Kind: r.Kind, Order: &o, Reprint: reprintOf != "", Copy: r.copy, Ticket: r.ticket}
	case KindTest:
		src = &source{Kind: KindTest, At: time.Now().UTC(), Reprint: reprintOf != "", Copy: r.copy}
	case KindDrawer:
		data = r.Raw
		pv = "[cash drawer opened]\n"
	case KindRaw:
		if len(r.Raw) == 0 {
			return Job{}, false, fmt.Errorf("a raw job needs bytes: %w", ErrInvalidRequest)
		}
		if len(r.Raw) > MaxRawBytes {
			return Job{}, false, fmt.Errorf("raw job of %d bytes is over %d: %w", len(r.Raw), MaxRawBytes, ErrInvalidRequest)
		}
		data = r.Raw
		pv = escpos.RenderPreview(data, p.profile)
	default:
		_, err := ParseKind(string(r.Kind))
		return Job{}, false, err
	}
	if src != nil {
		out, err := s.render(p, src)
		if err != nil {
			return Job{}, false, fmt.Errorf("render %s for %s: %w: %w", r.Kind, p.name, ErrInvalidRequest, err)
		}
		data, pv = out.Bytes, out.Preview
		if out.Substitutions > 0 {
			s.log.Debug("characters printed as ascii", "printer", p.name, "job_id", r.ID, "count", out.Substitutions)
		}
	}
	now := time.Now().UTC()
	j := Job{ID: r.ID, Printer: p.name, Kind: r.Kind, State: Queued, ReprintOf: reprintOf,
		Bytes: len(data), CreatedAt: now, UpdatedAt: now}
	if src != nil && src.Order != nil {
		j.OrderID = src.Order.ID
	}
	if r.auto == replayed {
		created, err := s.recordUnconfirmed(j, data, pv, src)
		return j, created, err
	}
	var dj *directJob
	if r.auto == direct {
		j.State, j.Attempts = Printing, 1
		dj = &directJob{p: p, j: j, data: data, recorded: make(chan error, 1)}
		if !s.offerDirect(dj) {
			j.State, j.Attempts, dj = Queued, 0, nil
		}
	}
	created := true
	err = s.db.Update(func(tx *store.Tx) error {
		old, ok, err := getJob(tx, j.ID)
		if err != nil {
			return err
		}
		if ok { // submitted concurrently
			j, created = old, false
			return nil
		}
		return insert(tx, &j, data, pv, src)
	})
	if dj != nil {
		if err == nil && !created {
			// Cannot happen (auto ids are the hook's alone); never send
			// a job twice.
			err = fmt.Errorf("job id %s taken while printing directly", j.ID)
		}
		dj.recorded <- err
		if err != nil {
			return Job{}, false, fmt.Errorf("record print job %s: %w", j.ID, err)
		}
		s.log.Debug("print job sent directly", "job_id", j.ID, "printer", j.Printer, "kind", j.Kind, "bytes", j.Bytes)
		return j, true, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("queue print job %s: %w", j.ID, err)
	}
	if created {
		s.log.Debug("print job queued", "job_id", j.ID, "printer", j.Printer, "kind", j.Kind, "bytes", j.Bytes)
		p.notify()
	}
	return j, created, nil
}

// CheckID reports whether id can name a job.
func CheckID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("job id must be 1 to %d characters: %w", maxIDLen, ErrInvalidRequest)
	}
	for i := 0; i < len(id); i++ {
		if !idChar(id[i]) {
			return fmt.Errorf("job id %q: only letters, digits and . _ : @ + - are allowed: %w", id, ErrInvalidRequest)
		}
	}
	return nil
}

func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:@+-", c) >= 0
}

// render lays a job out for printer p.
func (s *Spool) render(p *printer, src *source) (receipt.Output, error) {
	opt := receipt.Options{Reprint: src.Reprint, Copy: src.Copy}
	switch src.Kind {
	case KindReceipt:
		opt.Drawer, opt.Logo = p.drawer, p.logo
	case KindTest:
		opt.Logo = p.logo // so an installer sees how the logo prints
	}
	return receipt.Render(p.profile, func(e *escpos.Encoder) error {
		switch src.Kind {
		case KindReceipt:
			return s.layout.Receipt(e, src.Order, opt)
		case KindKitchen:
			if t := src.Ticket; t != nil {
				return s.layout.Station(e, receipt.StationTicket{Order: src.Order, Station: t.Station,
					Lines: t.Lines, Changes: t.Changes, Voided: t.Voided}, opt)
			}
			return s.layout.Kitchen(e, src.Order, opt)
		case KindTest:
			return s.layout.SelfTest(e, receipt.TestPage{Printer: p.name, Connection: p.url, Time: src.At}, opt)
		}
		return fmt.Errorf("cannot lay out a %s job", src.Kind)
	})
}

// Reprint queues a new job that prints job id again on the printer it is
// on, with a REPRINT banner on top: receipts, kitchen tickets and test
// pages are laid out again (without a drawer kick), raw jobs get the banner
// before their bytes. newID makes the reprint idempotent like Request.ID;
// empty means a new UUIDv7. It works in any state, and it is the only way
// an unconfirmed job prints again.
func (s *Spool) Reprint(ctx context.Context, id, newID string) (j Job, created bool, err error) {
	return s.ReprintWith(ctx, id, ReprintOptions{ID: newID})
}

// ReprintOptions vary a reprint.
type ReprintOptions struct {
	// ID makes the reprint idempotent like Request.ID; empty means a new
	// UUIDv7.
	ID string
	// Printer prints the copy on another configured printer; empty means
	// the printer the job is on.
	Printer string
	// Copy prints a COPY banner instead of REPRINT: a copy staff asked for.
	Copy bool
	// Actor is who asked (a token name, "cloud"); every reprint queued is
	// recorded in the audit log with it. Empty is recorded as "unknown".
	Actor string
}

// ReprintWith is Reprint with options: another printer, a COPY banner,
// and who asked (audited).
func (s *Spool) ReprintWith(ctx context.Context, id string, o ReprintOptions) (j Job, created bool, err error) {
	var (
		orig Job
		ok   bool
		src  *source
		data []byte
	)
	err = s.db.View(func(tx *store.Tx) error {
		var err error
		if orig, ok, err = getJob(tx, id); err != nil || !ok {
			return err
		}
		if src, err = getSource(tx, id); err != nil {
			return err
		}
		data = tx.Bucket(store.PrintJobs, bData).Get([]byte(id))
		return nil
	})
	if err != nil {
		return Job{}, false, err
	}
	if !ok {
		return Job{}, false, fmt.Errorf("print job %q: %w", id, ErrUnknownJob)
	}
	if orig.Kind == KindDrawer {
		return Job{}, false, fmt.Errorf("job %s opened the cash drawer; open it again with a new request, not a reprint: %w", id, ErrInvalidRequest)
	}
	r := Request{ID: o.ID, Printer: orig.Printer, Kind: orig.Kind, copy: o.Copy}
	if o.Printer != "" {
		p, err := s.printer(o.Printer)
		if err != nil {
			return Job{}, false, err
		}
		r.Printer = p.name
	}
	if o.ID == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return Job{}, false, err
		}
		prefix := "reprint-"
		if o.Copy {
			prefix = "copy-"
		}
		r.ID = prefix + u.String()
	}
	switch {
	case src != nil && src.Order != nil:
		// A station ticket is reprinted as that station's ticket, not as
		// the whole order.
		r.Order, r.ticket = src.Order, src.Ticket
	case src != nil && src.Kind == KindTest:
	default:
		p, err := s.printer(r.Printer)
		if err != nil {
			return Job{}, false, err
		}
		var banner bytes.Buffer
		e := escpos.New(&banner, p.profile)
		if o.Copy {
			s.layout.CopyBanner(e)
		} else {
			s.layout.ReprintBanner(e)
		}
		if err := e.Flush(); err != nil {
			return Job{}, false, err
		}
		r.Kind, r.Raw = KindRaw, append(banner.Bytes(), data...)
	}
	j, created, err = s.submit(ctx, r, false, orig.ID)
	if err == nil && created {
		s.log.Info("print job reprinted", "job_id", j.ID, "reprint_of", orig.ID, "printer", j.Printer, "copy", o.Copy, "actor", o.Actor)
		s.auditReprint(ctx, j, o)
	}
	return j, created, err
}

// auditReprint records a queued reprint with who asked for it.
func (s *Spool) auditReprint(ctx context.Context, j Job, o ReprintOptions) {
	if s.opts.Audit == nil {
		return
	}
	actor := o.Actor
	if actor == "" {
		actor = "unknown"
	}
	what := "reprint"
	if o.Copy {
		what = "copy"
	}
	details, _ := json.Marshal(map[string]any{"job_id": j.ID, "reprint_of": j.ReprintOf, "printer": j.Printer,
		"kind": j.Kind, "order_id": j.OrderID, "copy": o.Copy})
	rec := audit.Record{Type: "reprint", Status: audit.Success, Actor: actor, Details: details,
		Message: fmt.Sprintf("%s of print job %s on %s asked for by %s", what, j.ReprintOf, j.Printer, actor)}
	if _, err := s.opts.Audit.Record(ctx, rec); err != nil {
		s.log.Warn("audit reprint", "job_id", j.ID, "err", err)
	}
}

// ReprintLast queues a COPY of the last kind (receipt when empty) printed
// or queued on printer, not counting reprints and copies nor jobs that
// failed or were cancelled. It fails with
// ErrUnknownJob when the printer has none (in the spool's history).
func (s *Spool) ReprintLast(ctx context.Context, printer string, kind Kind, o ReprintOptions) (Job, bool, error) {
	if kind == "" {
		kind = KindReceipt
	}
	if kind != KindReceipt && kind != KindKitchen {
		return Job{}, false, fmt.Errorf("kind %q: want receipt or kitchen: %w", kind, ErrInvalidRequest)
	}
	jobs, err := s.Jobs(Filter{Printer: printer, Limit: 1000})
	if err != nil {
		return Job{}, false, err
	}
	for _, j := range jobs {
		if j.Kind == kind && j.ReprintOf == "" && j.State != Cancelled && j.State != Failed {
			o.Copy = true
			return s.ReprintWith(ctx, j.ID, o)
		}
	}
	return Job{}, false, fmt.Errorf("no %s has been printed on %s recently: %w", kindWord(kind), printer, ErrUnknownJob)
}

// ReprintOrder queues a COPY of order orderID's receipt (kind receipt) or
// kitchen tickets (kind kitchen: one per printer it went to, each that
// station's full ticket, not its change tickets), on the printers they
// were printed on or on o.Printer. With o.ID, the copies are idempotent:
// the first is o.ID, the next o.ID.2, o.ID.3... It fails with
// ErrUnknownJob when nothing of that kind was printed for the order.
func (s *Spool) ReprintOrder(ctx context.Context, orderID string, kind Kind, o ReprintOptions) ([]Job, error) {
	if kind != KindReceipt && kind != KindKitchen {
		return nil, fmt.Errorf("kind %q: want receipt or kitchen: %w", kind, ErrInvalidRequest)
	}
	if o.Printer != "" {
		if _, err := s.printer(o.Printer); err != nil {
			return nil, err
		}
	}
	jobs, err := s.Jobs(Filter{OrderID: orderID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var pick []string
	seen := map[string]bool{}
	err = s.db.View(func(tx *store.Tx) error {
		for _, j := range jobs { // newest first
			if j.Kind != kind || j.ReprintOf != "" || seen[j.Printer] {
				continue
			}
			src, err := getSource(tx, j.ID)
			if err != nil {
				return err
			}
			if src != nil && src.Ticket != nil && (len(src.Ticket.Changes) > 0 || src.Ticket.Voided) {
				continue // a change ticket: copy the station's ticket instead
			}
			seen[j.Printer] = true
			pick = append(pick, j.ID)
			if kind == KindReceipt {
				break // the newest receipt
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pick) == 0 {
		return nil, fmt.Errorf("no %s has been printed for order %s recently: %w", kindWord(kind), orderID, ErrUnknownJob)
	}
	slices.Reverse(pick) // oldest first, so tickets print in the order they first did
	out := make([]Job, 0, len(pick))
	for i, id := range pick {
		oi := o
		oi.Copy = true
		if o.ID != "" && i > 0 {
			oi.ID = fmt.Sprintf("%s.%d", o.ID, i+1)
		}
		j, _, err := s.ReprintWith(ctx, id, oi)
		if err != nil {
			return out, err
		}
		out = append(out, j)
	}
	return out, nil
}

func kindWord(k Kind) string {
	if k == KindKitchen {
		return "kitchen ticket"
	}
	return string(k)
}

// OnOrder queues auto-print jobs for a captured order: a customer receipt
// when the order is completed, on printers with auto_print customer or
// both (and kitchen tickets too with receipt.kitchen_copy), and a kitchen
// ticket when it is not canceled, on printers with auto_print kitchen or
// both. Receipt job ids derive from the order id and its revision
// (Source.Version), kitchen ticket ids from the order id and what the
// kitchen sees (items, modifiers, notes), so a revision prints once and a
// payment alone prints no second kitchen ticket. It never blocks on a
// printer; errors are logged. Hook it into ingest.Ingest.OnOrder.
func (s *Spool) OnOrder(o model.Order) {
	s.onOrder(o, false)
}

func (s *Spool) onOrder(o model.Order, replay bool) {
	if o.ID == "" && o.Source.ExternalID != "" {
		o.ID = o.Source.DerivedID("ord_")
	}
	if s.router != nil {
		s.routeKitchen(o)
	}
	for _, name := range s.names {
		p := s.printers[name]
		for _, kind := range s.autoKinds(p) {
			switch {
			case kind == KindKitchen && s.router != nil:
				continue // the stations print the kitchen's tickets
			case kind == KindReceipt && o.State != model.OrderCompleted:
				continue
			case kind == KindKitchen && o.State == model.OrderCanceled:
				continue
			}
			id := autoID(kind, p.name, &o)
			path := direct
			if replay {
				path = replayed
			}
			j, created, err := s.submit(context.Background(), Request{ID: id, Printer: p.name, Kind: kind, Order: &o, auto: path}, false, "")
			switch {
			case err != nil:
				s.log.Warn("auto print not queued", "printer", p.name, "order_id", o.ID, "kind", kind, "err", err)
			case created && !replay:
				s.log.Debug("auto print queued", "printer", p.name, "order_id", o.ID, "kind", kind, "job_id", j.ID)
			}
		}
	}
}

func (s *Spool) autoKinds(p *printer) []Kind {
	switch p.autoMode() {
	case "customer":
		if s.kitchenCopy {
			return []Kind{KindReceipt, KindKitchen}
		}
		return []Kind{KindReceipt}
	case "kitchen":
		return []Kind{KindKitchen}
	case "both":
		return []Kind{KindReceipt, KindKitchen}
	}
	return nil
}

// autoID derives the job id of an auto-print job.
func autoID(kind Kind, printer string, o *model.Order) string {
	var rev string
	if kind == KindKitchen {
		rev = kitchenDigest(o)
	} else if rev = o.Source.Version; rev == "" {
		rev = "0"
	}
	return shortID(sanitizeID("auto:" + string(kind) + ":" + printer + ":" + o.ID + "@" + rev))
}

// shortID keeps a derived job id within maxIDLen, ending a longer one with
// a hash of the whole.
func shortID(id string) string {
	if len(id) > maxIDLen {
		h := sha256.Sum256([]byte(id))
		id = id[:maxIDLen-17] + "~" + hex.EncodeToString(h[:8])
	}
	return id
}

// kitchenDigest hashes what a kitchen ticket shows.
func kitchenDigest(o *model.Order) string {
	type mod struct{ N, Q string }
	type line struct {
		N, V, Q, Note string
		M             []mod
	}
	view := struct {
		Note  string
		Lines []line
	}{Note: o.Note}
	for _, li := range o.LineItems {
		l := line{N: li.Name, V: li.VariationName, Q: li.Quantity.String(), Note: li.Note}
		for _, m := range li.Modifiers {
			l.M = append(l.M, mod{m.Name, m.Quantity.String()})
		}
		view.Lines = append(view.Lines, l)
	}
	raw, _ := json.Marshal(view)
	h := sha256.Sum256(raw)
	return "k" + hex.EncodeToString(h[:6])
}

// sanitizeID replaces characters a job id may not hold with '_'.
func sanitizeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !idChar(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func (p *printer) autoMode() string { s, _ := p.auto.Load().(string); return s }

// SetAutoPrint changes printer name's auto_print (none, customer, kitchen
// or both; "" is none) while the spool runs (config.set); orders captured
// from then on follow it. It returns the old value.
func (s *Spool) SetAutoPrint(name, mode string) (old string, err error) {
	switch mode {
	case "", "none", "customer", "kitchen", "both":
	default:
		return "", fmt.Errorf("%w: auto_print %q: want none, customer, kitchen or both", ErrInvalidRequest, mode)
	}
	p, ok := s.printers[name]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownPrinter, name)
	}
	return p.auto.Swap(mode).(string), nil
}

// AutoPrints reports whether any printer prints captured orders by itself
// (then the capture path keeps a durable marker so a crash cannot lose the
// print).
func (s *Spool) AutoPrints() bool {
	if s.router != nil {
		return true
	}
	for _, name := range s.names {
		if len(s.autoKinds(s.printers[name])) > 0 {
			return true
		}
	}
	return false
}
