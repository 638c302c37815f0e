package receipt

import (
	"bytes"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Config is what every receipt of the store shows. It mirrors the
// receipt section of the config file plus the store id.
type Config struct {
	// StoreID fills {store_id} in QRTemplate.
	StoreID string
	// Header lines are centred at the top of customer receipts; the first
	// is printed large when it fits.
	Header []string
	// Footer lines are centred below the payments.
	Footer []string
	// QRTemplate is the URL printed as a QR code at the bottom of customer
	// receipts. {order_id} and {store_id} are replaced (path-escaped).
	// Empty: no QR code.
	QRTemplate string
	// Locale formats money and times ("en-US", "de-DE"); empty means
	// DefaultLocale.
	Locale string
	// Location is the time zone of printed times; nil means time.Local.
	Location *time.Location
}

// Validate checks the config without any I/O.
func (c Config) Validate() error {
	_, err := New(c)
	return err
}

// Layout writes receipts, kitchen tickets and test pages for one store.
// It is safe for concurrent use; each call needs its own Encoder.
type Layout struct {
	cfg Config
	loc *Locale
	tz  *time.Location
}

// New checks cfg (locale, QR template) and returns a Layout.
func New(cfg Config) (*Layout, error) {
	loc, err := ParseLocale(cfg.Locale)
	if err != nil {
		return nil, fmt.Errorf("receipt locale: %w", err)
	}
	if err := checkTemplate(cfg.QRTemplate); err != nil {
		return nil, err
	}
	tz := cfg.Location
	if tz == nil {
		tz = time.Local
	}
	return &Layout{cfg: cfg, loc: loc, tz: tz}, nil
}

// Locale returns the layout's locale.
func (l *Layout) Locale() *Locale { return l.loc }

// Options vary one printout.
type Options struct {
	// Reprint prints a REPRINT banner at the top. Reprints never kick
	// the cash drawer.
	Reprint bool
	// Copy prints a COPY banner at the top instead: a copy staff asked
	// for (reprint of the last receipt or of an order's receipt or
	// kitchen ticket). Like reprints, copies never kick the drawer.
	Copy bool
	// Drawer is the cash drawer pin to pulse after a customer receipt
	// with a cash payment; 0 means no drawer.
	Drawer escpos.DrawerPin
	// Logo is printed at the top of customer receipts and self-test pages
	// (below a REPRINT banner), centred, at its own width or the paper's
	// print width (Profile.WidthDots), whichever is smaller, dithered
	// (Floyd–Steinberg) and sent as banded GS v 0 raster commands. Kitchen
	// tickets never print it, nor do models without raster images. nil
	// means no logo. The image is only read, so one can be shared by
	// concurrent renders.
	Logo image.Image
}

// banner is the word on top of the document, if any: COPY wins over
// REPRINT.
func (o Options) banner() string {
	switch {
	case o.Copy:
		return "COPY"
	case o.Reprint:
		return "REPRINT"
	}
	return ""
}

// placeholders are the names a QR template may use.
var placeholders = []string{"order_id", "store_id"}

func checkTemplate(t string) error {
	for rest := t; ; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return nil
		}
		if rest[i] == '}' {
			return fmt.Errorf("%w %q: '}' without '{'", ErrBadTemplate, t)
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("%w %q: unclosed '{'", ErrBadTemplate, t)
		}
		name := rest[i+1 : i+j]
		known := false
		for _, p := range placeholders {
			known = known || name == p
		}
		if !known {
			return fmt.Errorf("%w %q: unknown placeholder {%s} (want {order_id} or {store_id})", ErrBadTemplate, t, name)
		}
		rest = rest[i+j+1:]
	}
}

// QRURL returns the QR template filled in for an order, or "" when no
// template is configured.
func (l *Layout) QRURL(orderID string) string {
	if l.cfg.QRTemplate == "" {
		return ""
	}
	u := l.cfg.QRTemplate
	if strings.Contains(u, "{order_id}") {
		u = strings.ReplaceAll(u, "{order_id}", url.PathEscape(orderID))
	}
	if strings.Contains(u, "{store_id}") {
		u = strings.ReplaceAll(u, "{store_id}", url.PathEscape(l.cfg.StoreID))
	}
	return u
}

// Output is one rendered document.
type Output struct {
	// Bytes is the ESC/POS stream, starting with ESC @.
	Bytes []byte
	// Preview is the stream rendered as plain text.
	Preview string
	// Substitutions counts characters the printer has no code page for,
	// printed as an ASCII spelling.
	Substitutions int
}

// Render runs layout on a fresh encoder for profile p and returns the
// printer bytes and the text preview from the same pass.
func Render(p *escpos.Profile, layout func(*escpos.Encoder) error) (Output, error) {
	var out, pv bytes.Buffer
	e := escpos.New(&out, p)
	e.SetPreview(&pv)
	if err := layout(e); err != nil {
		return Output{}, err
	}
	if err := e.Flush(); err != nil {
		return Output{}, err
	}
	return Output{Bytes: out.Bytes(), Preview: pv.String(), Substitutions: e.Substitutions()}, nil
}

// Receipt writes the customer receipt for o, from ESC @ to the cut (and
// the drawer kick). The caller flushes the encoder. It returns an error for
// a nil order, a QR URL too long for a QR code, or a drawer kick the
// profile cannot do.
func (l *Layout) Receipt(e *escpos.Encoder, o *model.Order, opt Options) error {
	if o == nil {
		return ErrNoOrder
	}
	w := l.writer(e, o.Currency)
	e.Init()
	if b := opt.banner(); b != "" {
		w.banner(b)
	}
	if err := w.logo(opt.Logo); err != nil {
		return err
	}
	w.header(l.cfg.Header)
	w.rule()
	w.pair(orderLabel(o), l.loc.Time(orderTime(o).In(l.tz)))
	if o.Note != "" {
		w.row(o.Note, "", 0)
	}
	if o.State == model.OrderCanceled {
		w.banner("CANCELED")
	}
	w.rule()
	for i := range o.LineItems {
		li := &o.LineItems[i]
		amt, _ := model.MulQty(li.UnitPrice.Amount, li.Quantity)
		w.row(qty(li.Quantity)+" x "+itemName(li), w.money(model.M(amt, li.UnitPrice.Currency)), 0)
		for _, m := range li.Modifiers {
			per, _ := model.MulQty(m.UnitPrice.Amount, m.Quantity)
			ext, _ := model.MulQty(per, li.Quantity)
			right := ""
			if ext != 0 {
				right = w.money(model.M(ext, m.UnitPrice.Currency))
			}
			w.row(modifierName(m), right, 4)
		}
	}
	w.rule()
	t := &o.Totals
	w.row("Subtotal", w.money(t.Subtotal), 0)
	for _, d := range o.Discounts {
		w.row(label(d.Name, d.Percentage, l.loc), w.money(model.M(-d.Amount.Amount, d.Amount.Currency)), 0)
	}
	for _, x := range o.Taxes {
		if !x.Inclusive {
			w.row(label(x.Name, x.Percentage, l.loc), w.money(x.Amount), 0)
		}
	}
	for _, s := range o.ServiceCharges {
		w.row(s.Name, w.money(s.Amount), 0)
	}
	if t.Tip.Amount != 0 {
		w.row("Tip", w.money(t.Tip), 0)
	}
	e.SetStyle(escpos.Style{Bold: true, Height: 2})
	w.row("TOTAL", w.money(t.Total), 0)
	e.SetStyle(escpos.Style{})
	for _, x := range o.Taxes {
		if x.Inclusive {
			w.row("incl. "+label(x.Name, x.Percentage, l.loc), w.money(x.Amount), 0)
		}
	}
	if hasPayments(o) {
		w.rule()
		for i := range o.Payments {
			p := &o.Payments[i]
			if !counts(p.Status) {
				continue
			}
			w.row(paymentLabel(p), w.money(p.Total()), 0)
		}
		for _, r := range o.Refunds {
			if !counts(r.Status) {
				continue
			}
			w.row("Refund", w.money(model.M(-r.Amount.Amount, r.Amount.Currency)), 0)
		}
	}
	if len(l.cfg.Footer) > 0 {
		e.LineFeed()
		for _, f := range l.cfg.Footer {
			w.center(f)
		}
	}
	if u := l.QRURL(orderID(o)); u != "" {
		e.LineFeed()
		if err := w.qr(u); err != nil {
			return err
		}
	}
	e.Cut(escpos.CutPartial, 0)
	if opt.Drawer != 0 && opt.banner() == "" && paidCash(o) {
		if err := e.KickDrawer(opt.Drawer, 0, 0); err != nil {
			return err
		}
	}
	return e.Err()
}

// Kitchen writes the kitchen ticket for o: the order reference large,
// every item large without prices, modifiers in bold, notes in reverse
// print, then a cut. The caller flushes the encoder.
func (l *Layout) Kitchen(e *escpos.Encoder, o *model.Order, opt Options) error {
	if o == nil {
		return ErrNoOrder
	}
	w := l.writer(e, o.Currency)
	e.Init()
	if b := opt.banner(); b != "" {
		w.banner(b)
	}
	if o.State == model.OrderCanceled {
		w.banner("CANCELED")
	}
	cols := e.Columns()
	big := escpos.Style{Bold: true, Height: 2}
	if cols >= 40 {
		big.Width = 2
	}
	e.SetAlign(escpos.AlignCenter)
	e.SetStyle(escpos.Style{Bold: true, Width: 2, Height: 2})
	e.Line(w.fit(orderLabel(o)))
	e.SetStyle(escpos.Style{})
	e.Line(w.fit(l.loc.Time(orderTime(o).In(l.tz))))
	e.SetAlign(escpos.AlignLeft)
	if o.Note != "" {
		e.SetStyle(escpos.Style{Bold: true, Inverse: true, Height: 2})
		w.row("NOTE: "+o.Note, "", 0)
		e.SetStyle(escpos.Style{})
	}
	w.rule()
	var items int64
	for i := range o.LineItems {
		li := &o.LineItems[i]
		items += li.Quantity.Milli()
		e.SetStyle(big)
		w.row(qty(li.Quantity)+" x "+itemName(li), "", 0)
		e.SetStyle(escpos.Style{Bold: true, Height: 2})
		for _, m := range li.Modifiers {
			w.row(modifierName(m), "", 4)
		}
		if li.Note != "" {
			e.SetStyle(escpos.Style{Bold: true, Inverse: true, Height: 2})
			w.row("! "+li.Note, "", 4)
		}
		e.SetStyle(escpos.Style{})
	}
	w.rule()
	w.row(model.Quantity(items).String()+" item(s)", "", 0)
	e.Cut(escpos.CutPartial, 0)
	return e.Err()
}

// ReprintBanner writes the REPRINT banner alone, after ESC @, for reprints
// of documents that cannot be laid out again (raw jobs): the original
// stream follows it.
func (l *Layout) ReprintBanner(e *escpos.Encoder) {
	e.Init()
	l.writer(e, "").banner("REPRINT")
}

// CopyBanner is ReprintBanner with the COPY banner, for staff copies of
// raw jobs.
func (l *Layout) CopyBanner(e *escpos.Encoder) {
	e.Init()
	l.writer(e, "").banner("COPY")
}

// writer holds what the layout helpers share for one document.
type writer struct {
	e   *escpos.Encoder
	p   *escpos.Profile
	loc *Locale
	cur string // the order's currency, for amounts that omit theirs
	buf []byte
}

func (l *Layout) writer(e *escpos.Encoder, currency string) *writer {
	return &writer{e: e, p: e.Profile(), loc: l.loc, cur: currency}
}

func (w *writer) money(m model.Money) string {
	if m.Currency == "" {
		m.Currency = w.cur
	}
	w.buf = w.loc.AppendMoney(w.buf[:0], m)
	return string(w.buf)
}

// width returns the columns s takes at normal width.
func (w *writer) width(s string) int { return w.p.TextWidth(s) }

// wrap breaks s into lines of at most width columns.
func (w *writer) wrap(s string, width int) []string {
	return wrap(s, width, w.p.TextWidth, w.p.Printable)
}

// fit returns s, or its printable form cut to the line width when it is
// too long.
func (w *writer) fit(s string) string {
	s = flat(s)
	cols := w.e.Columns()
	if w.width(s) <= cols {
		return s
	}
	return truncate(w.p.Printable(s), cols)
}

// rule prints a line of dashes across the paper.
func (w *writer) rule() {
	w.e.Line(strings.Repeat("-", w.e.Columns()))
}

// banner prints text centred in reverse print, double height.
func (w *writer) banner(text string) {
	e := w.e
	e.SetAlign(escpos.AlignCenter)
	e.SetStyle(escpos.Style{Bold: true, Height: 2, Inverse: true})
	e.Line(w.fit(" *** " + text + " *** "))
	e.SetStyle(escpos.Style{})
	e.SetAlign(escpos.AlignLeft)
}

// header prints the store's header lines centred, the first one large
// when it fits.
func (w *writer) header(lines []string) {
	for i, h := range lines {
		if i == 0 {
			big := escpos.Style{Bold: true, Width: 2, Height: 2}
			if w.p.TextWidth(h)*2 > w.e.Columns() {
				big.Width = 1
			}
			w.e.SetStyle(big)
			w.center(h)
			w.e.SetStyle(escpos.Style{})
			continue
		}
		w.center(h)
	}
}

// center prints s centred, wrapped to the line width.
func (w *writer) center(s string) {
	w.e.SetAlign(escpos.AlignCenter)
	for _, line := range w.wrap(s, w.e.Columns()) {
		w.e.Line(line)
	}
	w.e.SetAlign(escpos.AlignLeft)
}

// pair prints left and right on one line when both fit, else on two.
func (w *writer) pair(left, right string) {
	left, right = flat(left), flat(right)
	cols := w.e.Columns()
	lw, rw := w.width(left), w.width(right)
	if lw+1+rw > cols {
		w.row(left, "", 0)
		w.row(right, "", 0)
		return
	}
	w.e.Text(left)
	w.pad(cols - lw - rw)
	w.e.Line(right)
}

// row prints left (wrapped, after indent spaces) and right flush right on
// its first line; continuation lines are indented two more columns.
func (w *writer) row(left, right string, indent int) {
	left, right = flat(left), flat(right)
	cols := w.e.Columns()
	r, rw := right, w.width(right)
	avail := cols - indent
	if rw > 0 {
		avail -= rw + 1
	}
	if avail < cols/3 {
		// The amount leaves too little room: text first, amount below.
		w.row(left, "", indent)
		w.e.SetAlign(escpos.AlignRight)
		w.e.Line(w.fit(r))
		w.e.SetAlign(escpos.AlignLeft)
		return
	}
	lines := []string{left}
	if w.width(left) > avail {
		lines = w.wrap(left, avail)
	}
	w.pad(indent)
	w.e.Text(lines[0])
	if rw > 0 {
		w.pad(cols - indent - w.width(lines[0]) - rw)
		w.e.Text(r)
	}
	w.e.LineFeed()
	if len(lines) == 1 {
		return
	}
	in := min(indent+2, cols/2)
	for _, line := range w.wrap(strings.Join(lines[1:], " "), cols-in) {
		w.pad(in)
		w.e.Line(line)
	}
}

// flat puts text on one line: a line break in a name or note must not
// break the layout.
func flat(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return s
}

func (w *writer) pad(n int) {
	if n > 0 {
		w.e.Text(spaces(n))
	}
}

// logo prints img centred, followed by an empty line, when there is one
// and the model can print raster images.
func (w *writer) logo(img image.Image) error {
	if img == nil || !w.p.Features.BitImageRaster {
		return nil
	}
	w.e.SetAlign(escpos.AlignCenter)
	err := w.e.Image(img, escpos.ImageOptions{})
	w.e.SetAlign(escpos.AlignLeft)
	if err != nil {
		return fmt.Errorf("receipt logo: %w", err)
	}
	w.e.LineFeed()
	return nil
}

// qr prints u as a centred QR code, or as text on a printer that can
// print neither QR codes nor raster images.
func (w *writer) qr(u string) error {
	f := w.p.Features
	if !f.QRCode && !f.BitImageRaster {
		w.center(u)
		return nil
	}
	w.e.SetAlign(escpos.AlignCenter)
	err := w.e.QR(u, escpos.QROptions{})
	w.e.SetAlign(escpos.AlignLeft)
	if err != nil {
		return fmt.Errorf("receipt qr code %q: %w", u, err)
	}
	return nil
}

const spaceRun = "                                                                                "

func spaces(n int) string {
	if n <= len(spaceRun) {
		return spaceRun[:n]
	}
	return strings.Repeat(" ", n)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// truncate returns the first n runes of s.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// wrap breaks s into lines of at most width columns at spaces, splitting
// words longer than a line. measure returns the columns a string takes;
// printable returns a string's printable form (one rune per column), used
// only to split an overlong word. Each '\n' starts a new line; an empty s
// gives one empty line.
func wrap(s string, width int, measure func(string) int, printable func(string) string) []string {
	width = max(width, 1)
	if !strings.Contains(s, "\n") && measure(s) <= width {
		return []string{s}
	}
	var lines []string
	for para := range strings.SplitSeq(s, "\n") {
		var cur strings.Builder
		n := 0
		flush := func() {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		words := strings.FieldsFunc(para, unicode.IsSpace)
		for _, word := range words {
			ww := measure(word)
			if ww > width {
				word = printable(word)
				for ww = runes(word); ww > width; ww -= width {
					if n > 0 {
						flush()
					}
					head := truncate(word, width)
					lines = append(lines, head)
					word = word[len(head):]
				}
			}
			switch {
			case ww == 0:
			case n == 0:
				cur.WriteString(word)
				n = ww
			case n+1+ww <= width:
				cur.WriteByte(' ')
				cur.WriteString(word)
				n += 1 + ww
			default:
				flush()
				cur.WriteString(word)
				n = ww
			}
		}
		if n > 0 || len(words) == 0 {
			flush()
		}
	}
	return lines
}

// orderLabel is how receipts name an order: its reference, else its id.
func orderLabel(o *model.Order) string {
	if o.Reference != "" {
		return "Order #" + o.Reference
	}
	return "Order " + orderID(o)
}

// orderID is the Aura id, derived from the source as ingest does when the
// order has none yet.
func orderID(o *model.Order) string {
	if o.ID == "" && o.Source.ExternalID != "" {
		return o.Source.DerivedID("ord_")
	}
	return o.ID
}

// orderTime is when the order was closed, else when it was created.
func orderTime(o *model.Order) time.Time {
	if !o.ClosedAt.IsZero() {
		return o.ClosedAt
	}
	return o.CreatedAt
}

func itemName(li *model.LineItem) string {
	if li.VariationName != "" && !strings.EqualFold(li.VariationName, li.Name) {
		return li.Name + " (" + li.VariationName + ")"
	}
	return li.Name
}

// qty formats a quantity: "2", "0.5".
func qty(q model.Quantity) string {
	if q%1000 == 0 && q >= 0 && q < 10_000 {
		return strconv.Itoa(int(q / 1000))
	}
	return q.String()
}

func modifierName(m model.LineModifier) string {
	if m.Quantity != model.Q(1) && m.Quantity > 0 {
		return "+ " + m.Name + " x" + qty(m.Quantity)
	}
	return "+ " + m.Name
}

// label appends a percentage to a discount or tax name that does not
// already show one.
func label(name, pct string, loc *Locale) string {
	if pct == "" || strings.Contains(name, "%") {
		return name
	}
	return name + " " + loc.Percent(pct)
}

// counts reports whether a payment or refund in status s took money.
func counts(s model.PaymentStatus) bool {
	return s != model.PaymentFailed && s != model.PaymentCanceled
}

func hasPayments(o *model.Order) bool {
	for i := range o.Payments {
		if counts(o.Payments[i].Status) {
			return true
		}
	}
	for _, r := range o.Refunds {
		if counts(r.Status) {
			return true
		}
	}
	return false
}

// paidCash reports whether a completed cash payment is on the order, so
// the drawer has cash to take.
func paidCash(o *model.Order) bool {
	for i := range o.Payments {
		p := &o.Payments[i]
		if p.Method == model.MethodCash && (p.Status == model.PaymentCompleted || p.Status == model.PaymentAuthorized) {
			return true
		}
	}
	return false
}

func paymentLabel(p *model.Payment) string {
	var s string
	switch p.Method {
	case model.MethodCard:
		s = brand(p.CardBrand, "Card")
	case model.MethodCash:
		return "Cash"
	case model.MethodGiftCard:
		s = "Gift card"
	case model.MethodWallet:
		s = brand(p.CardBrand, "Wallet")
	default:
		s = "Other"
	}
	if p.Last4 != "" {
		s += " ****" + p.Last4
	}
	return s
}

// brand makes a vendor's card brand readable: "AMERICAN_EXPRESS" becomes
// "American Express"; mixed case is kept.
func brand(b, def string) string {
	b = strings.TrimSpace(strings.ReplaceAll(b, "_", " "))
	if b == "" {
		return def
	}
	if strings.ToUpper(b) != b {
		return b
	}
	words := strings.Fields(strings.ToLower(b))
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	return strings.Join(words, " ")
}
