package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/drivers/escpos"
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
}

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
		src = &source{Kind: r.Kind, Order: &o, Reprint: reprintOf != "", Ticket: r.ticket}
	case KindTest:
		src = &source{Kind: KindTest, At: time.Now().UTC(), Reprint: reprintOf != ""}
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
	opt := receipt.Options{Reprint: src.Reprint}
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
	r := Request{ID: newID, Printer: orig.Printer, Kind: orig.Kind}
	if newID == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return Job{}, false, err
		}
		r.ID = "reprint-" + u.String()
	}
	switch {
	case src != nil && src.Order != nil:
		r.Order = src.Order
	case src != nil && src.Kind == KindTest:
	default:
		p, err := s.printer(orig.Printer)
		if err != nil {
			return Job{}, false, err
		}
		var banner bytes.Buffer
		e := escpos.New(&banner, p.profile)
		s.layout.ReprintBanner(e)
		if err := e.Flush(); err != nil {
			return Job{}, false, err
		}
		r.Kind, r.Raw = KindRaw, append(banner.Bytes(), data...)
	}
	j, created, err = s.submit(ctx, r, false, orig.ID)
	if err == nil && created {
		s.log.Info("print job reprinted", "job_id", j.ID, "reprint_of", orig.ID, "printer", j.Printer)
	}
	return j, created, err
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
			j, created, err := s.submit(context.Background(), Request{ID: id, Printer: p.name, Kind: kind, Order: &o}, false, "")
			switch {
			case err != nil:
				s.log.Warn("auto print not queued", "printer", p.name, "order_id", o.ID, "kind", kind, "err", err)
			case created:
				s.log.Debug("auto print queued", "printer", p.name, "order_id", o.ID, "kind", kind, "job_id", j.ID)
			}
		}
	}
}

func (s *Spool) autoKinds(p *printer) []Kind {
	switch p.auto {
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
