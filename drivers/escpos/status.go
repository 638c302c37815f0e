package escpos

import (
	"fmt"
	"strings"
)

// StatusKind selects one of the four real-time status bytes (DLE EOT n).
type StatusKind uint8

// Status kinds.
const (
	StatusPrinter StatusKind = 1 // online/offline, drawer pin 3, feed button
	StatusOffline StatusKind = 2 // why offline: cover, paper end, error
	StatusError   StatusKind = 3 // which error: cutter, unrecoverable, auto-recoverable
	StatusPaper   StatusKind = 4 // roll paper sensors: near end, out
)

// allStatusKinds lists the four kinds in request order.
var allStatusKinds = []StatusKind{StatusPrinter, StatusOffline, StatusError, StatusPaper}

// Every reply to DLE EOT n has bits 0 and 7 clear and bits 1 and 4 set.
const (
	statusFixedMask = 0x93 // bits 0, 1, 4, 7
	statusFixedBits = 0x12 // bits 1 and 4 set

	// StatusReplyReady is the reply of a printer with nothing to report
	// to any DLE EOT n: online, no error, paper present.
	StatusReplyReady byte = statusFixedBits
)

// IsStatusReply reports whether b can be a reply to DLE EOT n: its fixed
// bits are right (bits 1 and 4 set, 0 and 7 clear). Other bytes a printer
// sends (ASB, GS I answers) do not have them.
func IsStatusReply(b byte) bool { return b&statusFixedMask == statusFixedBits }

// StatusRequest returns the real-time status request DLE EOT n for kind k.
// Printers answer it with one byte even while offline or out of paper.
func StatusRequest(k StatusKind) []byte {
	return []byte{dle, eot, byte(k)}
}

// Status is a printer's state as reported by DLE EOT replies. Fields of a
// kind that was not parsed are false; Has tells which kinds were.
type Status struct {
	// DLE EOT 1.
	Offline            bool // bit 3
	WaitingForRecovery bool // bit 5: waiting for online recovery
	FeedButton         bool // bit 6: paper feed button pressed
	DrawerPin3High     bool // bit 2: drawer kick-out connector pin 3 level

	// DLE EOT 2.
	CoverOpen       bool // bit 2
	FeedingByButton bool // bit 3: paper being fed by the feed button
	PaperEndStop    bool // bit 5: printing stopped because the paper ran out
	ErrorOccurred   bool // bit 6

	// DLE EOT 3.
	RecoverableError     bool // bit 2: mechanical error (meaning varies by vendor)
	CutterError          bool // bit 3: autocutter error (paper jam)
	UnrecoverableError   bool // bit 5
	AutoRecoverableError bool // bit 6: e.g. head overheated, clears by itself

	// DLE EOT 4.
	PaperNearEnd bool // bits 2-3: near-end sensor finds little paper
	PaperOut     bool // bit 5: paper-end sensor finds no paper

	have uint8 // bit k set when kind k was parsed
}

// Has reports whether a reply of kind k was parsed into s.
func (s Status) Has(k StatusKind) bool { return k >= 1 && k <= 4 && s.have&(1<<k) != 0 }

// Online reports whether the printer said it is online (DLE EOT 1).
func (s Status) Online() bool { return s.Has(StatusPrinter) && !s.Offline }

// DrawerOpenLevel says which level of drawer connector pin 3 means "open";
// it depends on the drawer's switch.
type DrawerOpenLevel uint8

// Drawer open levels; the zero value is Epson's default, open when low.
const (
	DrawerOpenLow DrawerOpenLevel = iota
	DrawerOpenHigh
)

// DrawerOpen reports whether the drawer is open, given which pin 3 level
// the drawer uses for "open". It is false when DLE EOT 1 was not parsed.
func (s Status) DrawerOpen(level DrawerOpenLevel) bool {
	if !s.Has(StatusPrinter) {
		return false
	}
	return s.DrawerPin3High == (level == DrawerOpenHigh)
}

// ParseStatus parses the reply byte to DLE EOT k.
func ParseStatus(k StatusKind, reply byte) (Status, error) {
	var s Status
	err := s.Parse(k, reply)
	return s, err
}

// Parse parses the reply byte to DLE EOT k into s, leaving the fields of
// other kinds alone. A byte whose fixed bits are wrong (bits 1 and 4 set,
// 0 and 7 clear) is not a status reply: Parse returns an error wrapping
// ErrBadStatus and leaves s unchanged.
func (s *Status) Parse(k StatusKind, reply byte) error {
	if k < 1 || k > 4 {
		return fmt.Errorf("status kind %d: must be 1..4: %w", k, ErrBadStatus)
	}
	if !IsStatusReply(reply) {
		return fmt.Errorf("status %d reply %#02x: fixed bits wrong: %w", k, reply, ErrBadStatus)
	}
	bit := func(n uint) bool { return reply&(1<<n) != 0 }
	switch k {
	case StatusPrinter:
		s.DrawerPin3High = bit(2)
		s.Offline = bit(3)
		s.WaitingForRecovery = bit(5)
		s.FeedButton = bit(6)
	case StatusOffline:
		s.CoverOpen = bit(2)
		s.FeedingByButton = bit(3)
		s.PaperEndStop = bit(5)
		s.ErrorOccurred = bit(6)
	case StatusError:
		s.RecoverableError = bit(2)
		s.CutterError = bit(3)
		s.UnrecoverableError = bit(5)
		s.AutoRecoverableError = bit(6)
	case StatusPaper:
		s.PaperNearEnd = reply&0x0c != 0
		s.PaperOut = bit(5)
	}
	s.have |= 1 << k
	return nil
}

// Err returns nil when nothing parsed keeps the printer from printing, and
// otherwise a *NotReadyError that matches (errors.Is) every sentinel that
// applies: ErrCoverOpen, ErrPaperOut, ErrCutter, ErrPrinterError,
// ErrOffline. Paper near end is not an error.
func (s Status) Err() error {
	var errs []error
	if s.CoverOpen {
		errs = append(errs, ErrCoverOpen)
	}
	if s.PaperOut || s.PaperEndStop {
		errs = append(errs, ErrPaperOut)
	}
	if s.CutterError {
		errs = append(errs, ErrCutter)
	}
	if s.RecoverableError || s.UnrecoverableError || s.AutoRecoverableError ||
		(s.ErrorOccurred && !s.CutterError) {
		errs = append(errs, ErrPrinterError)
	}
	if s.Offline {
		errs = append(errs, ErrOffline)
	}
	if len(errs) == 0 {
		return nil
	}
	return &NotReadyError{Status: s, errs: errs}
}

// NotReadyError is a printer state that prevents printing. It matches each
// of its causes with errors.Is. A job refused because of it never reached
// the paper, so it is safe to retry once the cause is fixed.
type NotReadyError struct {
	Status Status
	errs   []error
}

func (e *NotReadyError) Error() string {
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return "printer not ready: " + strings.Join(parts, ", ")
}

// Unwrap returns the sentinel causes.
func (e *NotReadyError) Unwrap() []error { return e.errs }
