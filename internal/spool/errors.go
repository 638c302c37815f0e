package spool

import "errors"

// Construction.
var (
	// ErrInvalidConfig is wrapped by New for a printer section that cannot
	// work: a missing or duplicate name, an unknown profile, a bad
	// connection URL, a drawer the model lacks, a backup that names no
	// other printer, a logo file that is missing, too large or not an
	// image. The error also wraps the cause (transport.ErrBadURL,
	// escpos.ErrUnknownProfile, fs.ErrNotExist) where there is one.
	ErrInvalidConfig = errors.New("invalid printer config")
)

// Requests. Nothing is queued when one of these is returned.
var (
	// ErrUnknownPrinter is returned for a printer name that is not in the
	// config.
	ErrUnknownPrinter = errors.New("unknown printer")

	// ErrUnknownJob is returned for a job id the spool does not have
	// (never submitted, or pruned).
	ErrUnknownJob = errors.New("unknown print job")

	// ErrInvalidRequest is returned for a request that cannot be printed:
	// an unknown kind, a receipt without an order, a bad job id, an order
	// the layout rejects. Invalid orders return model.Problems as well
	// (errors.As).
	ErrInvalidRequest = errors.New("invalid print request")
)

// ErrRunning is returned by Run when the spool is already running.
var ErrRunning = errors.New("spool already running")
