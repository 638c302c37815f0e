package terminal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

// chunk is a copy of the till's bytes on its way to the capture.
type chunk struct {
	session uint64
	data    []byte
	buf     *[]byte // data's pooled buffer
	idle    bool    // the segment ended: flush what is pending
	closed  bool    // the session ended: forget its state
	// captured, with closed, is closed once the session's receipts are
	// delivered.
	captured chan struct{}
}

// capState is one session's capture state.
type capState struct {
	cutter  *parse.Cutter
	framer  *framer
	journal *parse.Journal
	raw     []byte // journal: the bytes of the transaction so far
	badSum  bool   // journal: a frame of this transaction failed its checksum
}

// TypeReceipt is the CloudEvents type of every captured receipt.
const TypeReceipt = "com.auraconnect.edge.terminal.receipt"

// Capture is one receipt (or journal transaction) as delivered: the data
// of a com.auraconnect.edge.terminal.receipt event.
type Capture struct {
	ID         string    `json:"id"` // the Aura order id the receipt is (or would be) known by
	Terminal   string    `json:"terminal"`
	Source     string    `json:"source"` // terminal:<name>
	ExternalID string    `json:"external_id"`
	Kind       string    `json:"kind"`
	Confidence float64   `json:"confidence"`
	Problems   []string  `json:"problems,omitempty"`
	Number     string    `json:"receipt_number,omitempty"`
	PrintedAt  time.Time `json:"printed_at,omitzero"`
	CapturedAt time.Time `json:"captured_at"`
	Text       string    `json:"text"`
	RawSHA256  string    `json:"raw_sha256"`
	RawBytes   int       `json:"raw_bytes"`
	// RawBase64 is the raw stream (PANs masked) of an unparsed receipt,
	// so the cloud can read it again once a rules file fits.
	RawBase64 []byte        `json:"raw_base64,omitempty"`
	OrderID   string        `json:"order_id,omitempty"` // set when the sale went in as an order
	Order     *model.Order  `json:"order,omitempty"`    // a refund or void as read, or a sale that did not add up
	Tenders   []parseTender `json:"tenders,omitempty"`
	Change    *model.Money  `json:"change,omitempty"`

	// order is the sale to capture as an Aura order (nil: none).
	order *model.Order
}

type parseTender struct {
	Method model.PaymentMethod `json:"method"`
	Name   string              `json:"name,omitempty"`
	Amount model.Money         `json:"amount"`
}

// NewOrder returns the sale to capture as an Aura order, or nil.
func (c *Capture) NewOrder() *model.Order { return c.order }

// captureLoop reads the copies until the channel closes.
func (t *terminal) captureLoop() {
	states := map[uint64]*capState{}
	for c := range t.copies {
		st := states[c.session]
		if st == nil {
			st = t.newCapState()
			states[c.session] = st
		}
		if len(c.data) > 0 {
			t.captureBytes(st, c.data)
			putBuf(c.buf)
		}
		if c.idle || c.closed {
			t.flushCapture(st)
		}
		if c.closed {
			delete(states, c.session)
			if c.captured != nil {
				close(c.captured)
			}
		}
	}
}

func (t *terminal) newCapState() *capState {
	if t.cfg.Mode == "journal" {
		return &capState{
			framer:  &framer{stxEtx: t.cfg.Framing == "stx-etx", checksum: t.cfg.Checksum == "xor"},
			journal: parse.NewJournal(t.opts),
		}
	}
	return &capState{cutter: &parse.Cutter{}}
}

func (t *terminal) captureBytes(st *capState, p []byte) {
	if st.cutter != nil {
		for _, raw := range st.cutter.Write(p) {
			t.receipt(raw, false)
		}
		return
	}
	st.raw = append(st.raw, p...)
	st.framer.feed(p, func(line string, ok bool) {
		if !ok {
			st.badSum = true
			t.c.badFrames.Add(1)
		}
		if txn, done := st.journal.Line(line); done {
			t.journalTxn(st, txn)
		}
	})
}

func (t *terminal) flushCapture(st *capState) {
	if st.cutter != nil {
		if raw := st.cutter.Flush(); raw != nil {
			t.receipt(raw, false)
		}
		return
	}
	if l, ok := st.framer.flush(); ok {
		if txn, done := st.journal.Line(l); done {
			t.journalTxn(st, txn)
		}
	}
	if txn := st.journal.Flush(); strings.TrimSpace(txn) != "" {
		t.journalTxn(st, txn)
	}
	st.raw = nil
}

func (t *terminal) journalTxn(st *capState, txn string) {
	r := parse.ParseText(txn, t.opts)
	if st.badSum {
		r.Problems = append(r.Problems, "a journal frame of this transaction failed its checksum (line noise?)")
		st.badSum = false
	}
	t.deliver([]byte(txn), r)
	st.raw = nil
}

// receipt parses one receipt's raw bytes and delivers it.
func (t *terminal) receipt(raw []byte, _ bool) {
	if len(raw) > maxReceiptBytes {
		t.log.Warn("receipt over the size limit; capturing its first part", "bytes", len(raw), "limit", maxReceiptBytes)
		raw = raw[:maxReceiptBytes]
	}
	r := parse.Parse(raw, t.opts)
	if strings.TrimSpace(r.Text) == "" && r.Order == nil && !hasText(raw) {
		// Status polls, an image or a drawer kick alone: not a receipt.
		t.log.Debug("stream part without text ignored", "bytes", len(raw))
		return
	}
	t.deliver(raw, r)
}

// deliver builds the capture and hands it to the sink, retrying while the
// sink refuses (a full outbox): the receipt is never dropped silently.
func (t *terminal) deliver(raw []byte, r parse.Receipt) {
	c := t.build(raw, r)
	t.keepRaw(raw, c)
	delay := deliverRetryMin
	for attempt := 1; ; attempt++ {
		dup, err := t.m.deps.Sink.Deliver(context.Background(), c)
		if err == nil {
			t.counted(c, dup)
			return
		}
		t.c.deliverErrs.Add(1)
		select {
		case <-t.m.stopping:
			if attempt >= 3 {
				t.log.Error("receipt NOT captured: aura-edge is stopping and the outbox refuses it (it was printed; print it again from the till to capture it)",
					"receipt", c.ExternalID, "err", err)
				return
			}
		default:
		}
		t.log.Error("receipt not captured yet; retrying", "receipt", c.ExternalID, "err", err, "retry_in", delay)
		select {
		case <-time.After(delay):
		case <-t.m.stopping:
		}
		delay = min(delay*2, deliverRetryMax)
	}
}

func (t *terminal) counted(c *Capture, dup bool) {
	if dup {
		t.c.dups.Add(1)
		t.log.Info("receipt already captured (reprint or copy): not a new sale", "receipt", c.ExternalID, "kind", c.Kind)
	} else {
		t.c.receipts.Add(1)
		if c.order != nil {
			t.c.sales.Add(1)
		}
		if c.Kind == string(parse.KindUnparsed) || (c.Kind == string(parse.KindSale) && c.order == nil) {
			t.c.unparsed.Add(1)
		}
		t.log.Debug("receipt captured", "receipt", c.ExternalID, "kind", c.Kind, "confidence", c.Confidence, "order_id", c.OrderID)
	}
	lc := &LastCapture{At: c.CapturedAt, Kind: c.Kind, Number: c.Number, Confidence: c.Confidence, Duplicate: dup}
	if o := c.order; o != nil {
		lc.Total = o.Totals.Total.String()
	} else if o := c.Order; o != nil {
		lc.Total = o.Totals.Total.String()
	}
	t.mu.Lock()
	t.last = lc
	t.mu.Unlock()
}

// build turns a parsed receipt into a capture.
func (t *terminal) build(raw []byte, r parse.Receipt) *Capture {
	sum := sha256.Sum256(raw)
	now := time.Now().UTC()
	loc := t.opts.Location
	if loc == nil {
		loc = time.Local
	}
	ext := "sha256:" + hex.EncodeToString(sum[:16])
	if n := strings.TrimSpace(r.Number); n != "" {
		day := r.PrintedAt
		if day.IsZero() {
			day = now
		}
		ext = "receipt:" + n + "@" + day.In(loc).Format("2006-01-02")
	}
	src := model.Source{Vendor: sourcePrefix + t.cfg.Name, ExternalID: ext, Version: "receipt"}
	c := &Capture{
		ID: src.DerivedID("ord_"), Terminal: t.cfg.Name, Source: src.Vendor, ExternalID: ext,
		Kind: string(r.Kind), Confidence: r.Confidence, Problems: r.Problems, Number: r.Number,
		PrintedAt: r.PrintedAt, CapturedAt: now, Text: parse.MaskPANs(r.Text),
		RawSHA256: hex.EncodeToString(sum[:]), RawBytes: len(raw),
	}
	if c.Kind == "" {
		c.Kind = string(parse.KindUnparsed)
	}
	for _, tn := range r.Tenders {
		c.Tenders = append(c.Tenders, parseTender{Method: tn.Method, Name: tn.Name, Amount: tn.Amount})
	}
	if r.Change.Amount != 0 {
		ch := r.Change
		c.Change = &ch
	}
	if r.Order != nil {
		o := *r.Order
		o.Source = src
		o.ID = ""
		if o.Currency == "" {
			o.Currency = t.cfg.Currency
		}
		if o.CreatedAt.IsZero() {
			o.CreatedAt = r.PrintedAt
			if o.CreatedAt.IsZero() {
				o.CreatedAt = now
			}
		}
		if o.State == "" {
			o.State = model.OrderCompleted
		}
		if o.Reference == "" {
			o.Reference = r.Number
		}
		if r.Kind == parse.KindSale {
			orders := []model.Order{o}
			if ps := ingest.PrepareOrders(orders); len(ps) > 0 {
				for _, p := range ps {
					c.Problems = append(c.Problems, "the sale as read does not add up: "+p.Path+" "+p.Message)
				}
				c.Order = &orders[0]
			} else {
				c.order = &orders[0]
				c.OrderID = orders[0].ID
			}
		} else {
			c.Order = &o
		}
	}
	if c.Kind == string(parse.KindUnparsed) || (c.Kind == string(parse.KindSale) && c.order == nil) {
		c.RawBase64 = MaskRawPANs(raw)
	}
	return c
}

// hasText reports whether an ESC/POS stream prints at least a few
// characters (outside commands and images).
func hasText(raw []byte) bool {
	var sc scanner
	sc.feed(raw, func(query) {})
	return sc.text >= 3
}
