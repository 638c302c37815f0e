package receipt

import (
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// CodePageSample is the line the self-test prints to show which accented
// letters and currency signs the printer gets right.
const CodePageSample = "é ü ñ ß € £ ¥"

// TestPage names the printer a self-test page is for.
type TestPage struct {
	Printer    string    // the printer's name in the config
	Connection string    // its connection URL
	Time       time.Time // printed when not zero
}

// SelfTest writes a printer test page: Options.Logo when set (so an
// installer sees how the logo prints), the printer, its profile, paper
// width and code pages, a code page sample (CodePageSample), money in the
// store's locale, the text styles, a CODE128 barcode and a QR code when
// the model can print them, and a cut. The caller flushes the encoder.
func (l *Layout) SelfTest(e *escpos.Encoder, t TestPage, opt Options) error {
	p := e.Profile()
	w := l.writer(e, "")
	e.Init()
	if b := opt.banner(); b != "" {
		w.banner(b)
	}
	if err := w.logo(opt.Logo); err != nil {
		return err
	}
	e.SetAlign(escpos.AlignCenter)
	e.SetStyle(escpos.Style{Bold: true, Width: 2, Height: 2})
	e.Line(w.fit("SELF-TEST"))
	e.SetStyle(escpos.Style{})
	e.Line(w.fit("Aura Edge"))
	e.SetAlign(escpos.AlignLeft)
	w.rule()
	if t.Printer != "" {
		w.row("Printer: "+t.Printer, "", 0)
	}
	name := p.ID
	if p.Name != "" && p.Name != p.ID {
		name += " (" + p.Name + ")"
	}
	w.row("Profile: "+name, "", 0)
	w.row("Paper: "+strconv.Itoa(e.Columns())+" columns, "+strconv.Itoa(p.WidthDots)+" dots", "", 0)
	if t.Connection != "" {
		w.row("Connection: "+t.Connection, "", 0)
	}
	if l.cfg.StoreID != "" {
		w.row("Store: "+l.cfg.StoreID, "", 0)
	}
	w.row("Locale: "+l.loc.String(), "", 0)
	if !t.Time.IsZero() {
		w.row("Time: "+l.loc.Time(t.Time.In(l.tz)), "", 0)
	}
	w.rule()
	var pages []string
	seen := map[string]bool{}
	for _, cp := range p.CodePages {
		if cp.Supported && !seen[cp.Name] {
			seen[cp.Name] = true
			pages = append(pages, cp.Name)
		}
	}
	if len(pages) == 0 {
		pages = []string{"none (ASCII only)"}
	}
	w.row("Code pages: "+strings.Join(pages, " "), "", 0)
	w.row("Sample: "+CodePageSample, "", 0)
	w.row("Money", w.money(model.M(123456, "EUR"))+" "+w.money(model.M(450, "USD"))+" "+w.money(model.M(450, "JPY")), 0)
	w.rule()
	e.Styled(escpos.Style{Bold: true}, "Bold\n")
	e.Styled(escpos.Style{Underline: escpos.UnderlineSingle}, "Underline\n")
	e.Styled(escpos.Style{Inverse: true}, " Reverse \n")
	e.Styled(escpos.Style{Width: 2, Height: 2}, "Double\n")
	if f, ok := p.Font(1); ok {
		if err := e.SetFont(1); err == nil {
			e.Line(w.fit(f.Name + ": " + strconv.Itoa(e.Columns()) + " columns"))
			_ = e.SetFont(0)
		}
	}
	e.SetAlign(escpos.AlignCenter)
	if p.Features.BarcodeB {
		if err := e.Code128("AURA-TEST", escpos.BarcodeOptions{}); err != nil {
			return err
		}
	} else {
		e.Line(w.fit("(no barcodes on this model)"))
	}
	qr := l.QRURL("self-test")
	if qr == "" {
		qr = "aura-edge self-test " + t.Printer
	}
	if p.Features.QRCode || p.Features.BitImageRaster {
		if err := e.QR(qr, escpos.QROptions{}); err != nil {
			return err
		}
	} else {
		e.Line(w.fit("(no QR codes on this model)"))
	}
	e.SetAlign(escpos.AlignLeft)
	e.Cut(escpos.CutPartial, 0)
	return e.Err()
}
