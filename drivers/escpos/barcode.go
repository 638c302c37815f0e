package escpos

import (
	"fmt"
	"image"

	"github.com/skip2/go-qrcode"
)

// HRI is where a barcode's human-readable digits go (GS H n).
type HRI uint8

// HRI positions. The zero value prints them below the bars.
const (
	HRIBelow HRI = iota
	HRINone
	HRIAbove
	HRIBoth
)

func (h HRI) wire() byte {
	switch h {
	case HRINone:
		return 0
	case HRIAbove:
		return 1
	case HRIBoth:
		return 3
	}
	return 2
}

// BarcodeOptions shape a 1D barcode. Zero fields take defaults.
type BarcodeOptions struct {
	// Height in dots, 1..255 (GS h); 0 means 80 (10 mm at 203 dpi).
	Height int
	// Width is the narrow bar width in dots, 2..6 (GS w); 0 means 3, or 2
	// when 3 would not fit the paper.
	Width int
	// HRI places the human-readable text (GS H); default below.
	HRI HRI
}

// Code128 prints data as a CODE128 barcode (GS k 73 n). Data of 4 or more
// digits, an even number of them, uses code set C ({C, two digits per
// symbol, half the width); anything else uses code set B ({B, printable
// ASCII, with '{' sent as "{{"). It returns an error wrapping
// ErrInvalidBarcode for empty data, characters outside printable ASCII,
// or a code too wide for the paper, and ErrUnsupported when the model has
// no function-B barcodes.
func (e *Encoder) Code128(data string, o BarcodeOptions) error {
	if !e.p.Features.BarcodeB {
		return fmt.Errorf("code128 on %s: %w", e.p.ID, ErrUnsupported)
	}
	if data == "" {
		return fmt.Errorf("code128: empty data: %w", ErrInvalidBarcode)
	}
	payload := make([]byte, 0, len(data)+4)
	symbols := 0
	if isDigits(data) && len(data) >= 4 && len(data)%2 == 0 {
		payload = append(payload, '{', 'C')
		for i := 0; i < len(data); i += 2 {
			payload = append(payload, (data[i]-'0')*10+data[i+1]-'0')
			symbols++
		}
	} else {
		payload = append(payload, '{', 'B')
		for i := 0; i < len(data); i++ {
			c := data[i]
			if c < 0x20 || c > 0x7e {
				return fmt.Errorf("code128: byte %#x at %d is not printable ASCII: %w", c, i, ErrInvalidBarcode)
			}
			if c == '{' {
				payload = append(payload, '{')
			}
			payload = append(payload, c)
			symbols++
		}
	}
	if len(payload) > 255 {
		return fmt.Errorf("code128: %d bytes is more than 255: %w", len(payload), ErrInvalidBarcode)
	}
	// Start, symbols and check symbol are 11 modules each, stop is 13. The
	// quiet zones come from the paper margins.
	modules := 11*(symbols+2) + 13
	width, err := e.barcodeWidth(o.Width, modules)
	if err != nil {
		return fmt.Errorf("code128 %q: %w", data, err)
	}
	e.endLine()
	e.barcodeSetup(o, width)
	e.buf = append(e.buf, gs, 'k', 73, byte(len(payload)))
	e.buf = append(e.buf, payload...)
	e.commit()
	return nil
}

// EAN13 prints an EAN-13 barcode (GS k 67 13 d1..d13). data is 12 digits
// (the check digit is computed) or 13 digits whose check digit must be
// right. On models with only function-A barcodes it sends GS k 2 ... NUL.
// It returns an error wrapping ErrInvalidBarcode for bad data and
// ErrUnsupported for a model without barcodes.
func (e *Encoder) EAN13(data string, o BarcodeOptions) error {
	if !e.p.Features.BarcodeB && !e.p.Features.BarcodeA {
		return fmt.Errorf("ean13 on %s: %w", e.p.ID, ErrUnsupported)
	}
	if !isDigits(data) || (len(data) != 12 && len(data) != 13) {
		return fmt.Errorf("ean13 %q: want 12 or 13 digits: %w", data, ErrInvalidBarcode)
	}
	check := EANCheckDigit(data[:12])
	if len(data) == 13 && data[12] != check {
		return fmt.Errorf("ean13 %q: check digit is %c, want %c: %w", data, data[12], check, ErrInvalidBarcode)
	}
	width, err := e.barcodeWidth(o.Width, 95)
	if err != nil {
		return fmt.Errorf("ean13 %q: %w", data, err)
	}
	e.endLine()
	e.barcodeSetup(o, width)
	if e.p.Features.BarcodeB {
		e.buf = append(e.buf, gs, 'k', 67, 13)
		e.buf = append(e.buf, data[:12]...)
		e.buf = append(e.buf, check)
	} else {
		e.buf = append(e.buf, gs, 'k', 2)
		e.buf = append(e.buf, data[:12]...)
		e.buf = append(e.buf, check, 0)
	}
	e.commit()
	return nil
}

// EANCheckDigit returns the EAN/UPC check digit of digits (12 for EAN-13,
// 7 for EAN-8), which must all be ASCII digits.
func EANCheckDigit(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			d *= 3 // weights 3,1,3,... from the right
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// barcodeWidth resolves the module width for a code of modules modules.
func (e *Encoder) barcodeWidth(w, modules int) (int, error) {
	if w == 0 {
		w = 3
		if modules*w > e.p.WidthDots {
			w = 2
		}
	}
	if w < 2 || w > 6 {
		return 0, fmt.Errorf("module width %d: must be 2..6: %w", w, ErrInvalidBarcode)
	}
	if modules*w > e.p.WidthDots {
		return 0, fmt.Errorf("%d modules of %d dots do not fit %d dots: %w", modules, w, e.p.WidthDots, ErrInvalidBarcode)
	}
	return w, nil
}

func (e *Encoder) barcodeSetup(o BarcodeOptions, width int) {
	h := o.Height
	if h <= 0 {
		h = 80
	}
	e.buf = append(e.buf,
		gs, 'h', byte(min(h, 255)),
		gs, 'w', byte(width),
		gs, 'H', o.HRI.wire(),
	)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// QRLevel is a QR code's error correction level.
type QRLevel uint8

// Error correction levels; the zero value is M (15 % of the code can be
// damaged), the usual choice for receipts.
const (
	QRLevelM QRLevel = iota
	QRLevelL
	QRLevelQ
	QRLevelH
)

// wire returns the GS ( k <Function 169> parameter: 48 L, 49 M, 50 Q, 51 H.
func (l QRLevel) wire() byte {
	switch l {
	case QRLevelL:
		return 48
	case QRLevelQ:
		return 50
	case QRLevelH:
		return 51
	}
	return 49
}

func (l QRLevel) String() string {
	return string("MLQH"[min(l, QRLevelH)])
}

// qrBytes is the byte-mode capacity of QR versions 1..40 at levels L, M,
// Q and H (ISO/IEC 18004 table 7).
var qrBytes = [40][4]uint16{
	{17, 14, 11, 7}, {32, 26, 20, 14}, {53, 42, 32, 24}, {78, 62, 46, 34},
	{106, 84, 60, 44}, {134, 106, 74, 58}, {154, 122, 86, 64}, {192, 152, 108, 84},
	{230, 180, 130, 98}, {271, 213, 151, 119}, {321, 251, 177, 137}, {367, 287, 203, 155},
	{425, 331, 241, 177}, {458, 362, 258, 194}, {520, 412, 292, 220}, {586, 450, 322, 250},
	{644, 504, 364, 280}, {718, 560, 394, 310}, {792, 624, 442, 338}, {858, 666, 482, 382},
	{929, 711, 509, 403}, {1003, 779, 565, 439}, {1091, 857, 611, 461}, {1171, 911, 661, 511},
	{1273, 997, 715, 535}, {1367, 1059, 751, 593}, {1465, 1125, 805, 625}, {1528, 1190, 868, 658},
	{1628, 1264, 908, 698}, {1732, 1370, 982, 742}, {1840, 1452, 1030, 790}, {1952, 1538, 1112, 842},
	{2068, 1628, 1168, 898}, {2188, 1722, 1228, 958}, {2303, 1809, 1283, 983}, {2431, 1911, 1351, 1051},
	{2563, 1989, 1423, 1093}, {2699, 2099, 1499, 1139}, {2809, 2213, 1579, 1219}, {2953, 2331, 1663, 1273},
}

func (l QRLevel) column() int {
	switch l {
	case QRLevelL:
		return 0
	case QRLevelQ:
		return 2
	case QRLevelH:
		return 3
	}
	return 1
}

// capacity is the byte-mode capacity of a version 40 symbol.
func (l QRLevel) capacity() int { return int(qrBytes[39][l.column()]) }

// qrVersion returns the smallest version that holds n bytes in byte mode,
// an upper bound for what a printer picks (it may use denser modes).
func qrVersion(n int, l QRLevel) int {
	for v, caps := range qrBytes {
		if n <= int(caps[l.column()]) {
			return v + 1
		}
	}
	return 40
}

func (l QRLevel) lib() qrcode.RecoveryLevel {
	switch l {
	case QRLevelL:
		return qrcode.Low
	case QRLevelQ:
		return qrcode.High
	case QRLevelH:
		return qrcode.Highest
	}
	return qrcode.Medium
}

// QROptions shape a QR code. Zero fields take defaults.
type QROptions struct {
	// Size is the module size in dots, 1..16; 0 means 6. It is reduced when
	// the symbol would not fit the paper.
	Size  int
	Level QRLevel
}

// QR prints data as a model 2 QR code. Printers with native QR support get
// GS ( k: select model 2 (fn 65), module size (fn 67), error correction
// (fn 69: 48 L, 49 M, 50 Q, 51 H), store data (fn 80) and print (fn 81).
// On a model without it but with raster images, the code is drawn here
// and sent as a raster image. It returns an error wrapping
// ErrInvalidBarcode for empty or too long data and ErrUnsupported when
// the model can print neither.
func (e *Encoder) QR(data string, o QROptions) error {
	if data == "" {
		return fmt.Errorf("qr: empty data: %w", ErrInvalidBarcode)
	}
	if len(data) > o.Level.capacity() {
		return fmt.Errorf("qr: %d bytes exceed %d at level %s: %w", len(data), o.Level.capacity(), o.Level, ErrInvalidBarcode)
	}
	size := o.Size
	if size <= 0 {
		size = 6
	}
	size = min(size, 16)
	if !e.p.Features.QRCode {
		if !e.p.Features.BitImageRaster {
			return fmt.Errorf("qr on %s: %w", e.p.ID, ErrUnsupported)
		}
		return e.qrRaster(data, o.Level, size)
	}
	// Shrink the modules so the symbol, quiet zone included, fits the paper.
	modules := 17 + 4*qrVersion(len(data), o.Level) + 8
	for size > 1 && modules*size > e.p.WidthDots {
		size--
	}
	e.endLine()
	n := len(data) + 3
	e.buf = append(e.buf,
		gs, '(', 'k', 4, 0, 49, 65, 50, 0, // model 2
		gs, '(', 'k', 3, 0, 49, 67, byte(size), // module size
		gs, '(', 'k', 3, 0, 49, 69, o.Level.wire(), // error correction
		gs, '(', 'k', byte(n), byte(n>>8), 49, 80, 48, // store
	)
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, gs, '(', 'k', 3, 0, 49, 81, 48) // print
	e.commit()
	return nil
}

func (e *Encoder) qrRaster(data string, level QRLevel, size int) error {
	q, err := qrcode.New(data, level.lib())
	if err != nil {
		return fmt.Errorf("qr: %v: %w", err, ErrInvalidBarcode)
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	n := len(bm)
	for size > 1 && n*size > e.p.WidthDots {
		size--
	}
	if n*size > e.p.WidthDots {
		return fmt.Errorf("qr: %d modules do not fit %d dots: %w", n, e.p.WidthDots, ErrInvalidBarcode)
	}
	img := image.NewGray(image.Rect(0, 0, n*size, n*size))
	for y := range img.Rect.Dy() {
		row := bm[y/size]
		for x := range img.Rect.Dx() {
			if row[x/size] {
				img.Pix[y*img.Stride+x] = 0
			} else {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return e.Image(img, ImageOptions{Dither: DitherThreshold})
}
