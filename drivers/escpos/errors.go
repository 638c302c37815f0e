package escpos

import "errors"

// Profiles and encoding. These are returned before anything is written, so
// nothing reached the printer.
var (
	// ErrUnknownProfile is returned by LookupProfile and ProfileConfig for a
	// name that is not in the embedded database.
	ErrUnknownProfile = errors.New("unknown printer profile")

	// ErrUnsupported is returned when the printer model cannot do what was
	// asked (barcodes, raster images, drawer kick).
	ErrUnsupported = errors.New("not supported by this printer")

	// ErrUnknownFont is returned by SetFont for a font the model lacks.
	ErrUnknownFont = errors.New("no such font")

	// ErrInvalidBarcode is returned for barcode or QR data that cannot be
	// encoded: bad characters, wrong length or check digit, too long, or too
	// wide for the paper.
	ErrInvalidBarcode = errors.New("invalid barcode data")

	// ErrInvalidImage is returned for an empty or absurdly tall image.
	ErrInvalidImage = errors.New("invalid image")
)

// Printer status (Status.Err). A job held back because of one of these never
// reached the paper, so retrying it after the cause is fixed is safe.
var (
	// ErrOffline means the printer reported itself offline (DLE EOT 1).
	ErrOffline = errors.New("printer offline")

	// ErrCoverOpen means the paper cover is open.
	ErrCoverOpen = errors.New("cover open")

	// ErrPaperOut means the paper-end sensor finds no paper, or printing
	// stopped at paper end.
	ErrPaperOut = errors.New("paper out")

	// ErrCutter means the autocutter failed, usually a paper jam.
	ErrCutter = errors.New("cutter error")

	// ErrPrinterError means a mechanical, unrecoverable or automatically
	// recoverable error (such as an overheated head).
	ErrPrinterError = errors.New("printer error")
)

// Parsing a status reply.
var (
	// ErrBadStatus is returned for a byte that is not a DLE EOT reply.
	ErrBadStatus = errors.New("malformed status reply")
)
