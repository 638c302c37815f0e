package receipt

import "errors"

// Configuration errors, returned by Config.Validate and New.
var (
	// ErrUnknownLocale is returned for a locale that has no number and
	// currency format here (see Locales).
	ErrUnknownLocale = errors.New("unknown locale")

	// ErrBadTemplate is returned for a QR URL template with an unknown
	// {placeholder} or an unclosed brace.
	ErrBadTemplate = errors.New("invalid qr url template")
)

// ErrNoOrder is returned when a receipt or kitchen ticket is asked for
// without an order.
var ErrNoOrder = errors.New("no order")
