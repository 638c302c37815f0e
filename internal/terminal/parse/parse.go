// Package parse turns what a till prints into Aura sales: it walks an ESC/POS
// byte stream (code pages, styles, skipped images and barcodes), cuts it into
// receipts, masks card numbers, and reads each receipt's lines, totals and
// tenders with a built-in parser or a store's rules file. Register journals
// (text lines) are grouped into transactions by Journal.
//
// Nothing here fails: a receipt that cannot be read is Kind "unparsed" with
// its text and the reasons in Problems.
package parse

import (
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Options say how to read one till's output.
type Options struct {
	CodePage string         // the till's initial code page ("cp437" when empty); ESC t in the stream switches it
	Currency string         // ISO 4217, e.g. "EUR"
	Location *time.Location // for printed date-times; nil = time.Local
	Rules    *Rules         // nil = built-in parser
}

// Kind is what a receipt is.
type Kind string

// Receipt kinds.
const (
	KindSale     Kind = "sale"
	KindRefund   Kind = "refund"
	KindVoid     Kind = "void"
	KindReprint  Kind = "reprint"
	KindCopy     Kind = "copy"
	KindTraining Kind = "training"
	KindUnparsed Kind = "unparsed"
)

// Tender is one way the customer paid (or was paid back, on a refund).
type Tender struct {
	Method model.PaymentMethod
	Name   string
	Amount model.Money
}

// Receipt is one parsed receipt or journal transaction.
type Receipt struct {
	Text       string // decoded text, PANs masked
	Kind       Kind
	Confidence float64      // 0..1
	Problems   []string     // plain-words reasons (why unparsed, what did not add up)
	Number     string       // receipt number when read
	PrintedAt  time.Time    // zero when not read
	Order      *model.Order // the parsed sale/refund with lines, discounts, taxes, totals, payments; nil when unparsed
	Tenders    []Tender
	Change     model.Money
}

// Parse reads one receipt's raw ESC/POS bytes. It never fails: a receipt
// that cannot be read has Kind "unparsed".
func Parse(raw []byte, opts Options) Receipt {
	return ParseText("", opts)
}

// ParseText reads a receipt or journal transaction that is already text.
func ParseText(text string, opts Options) Receipt {
	return Receipt{Text: MaskPANs(text), Kind: KindUnparsed, Problems: []string{"not implemented yet"}}
}

