package outbox

import (
	"errors"
	"fmt"
	"time"
)

// Stream names a queue. Each stream is delivered in Seq order independently
// of the others.
type Stream string

// The streams. Only Telemetry may lose rows (oldest first, when full).
const (
	Orders     Stream = "orders"
	Payments   Stream = "payments"
	SyncLogs   Stream = "sync-logs"
	CmdResults Stream = "cmd-results"
	Telemetry  Stream = "telemetry"
)

// Streams lists every stream, in the order Stats reports them.
var Streams = []Stream{Orders, Payments, SyncLogs, CmdResults, Telemetry}

const numStreams = 5 // len(Streams)

// index returns s's position in Streams, or -1.
func (s Stream) index() int {
	for i, x := range Streams {
		if x == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is one of Streams.
func (s Stream) Valid() bool { return s.index() >= 0 }

// Droppable reports whether the stream drops its oldest rows when full
// (only Telemetry) instead of refusing new ones.
func (s Stream) Droppable() bool { return s == Telemetry }

// Limits bound one stream. A zero field takes the stream's default.
type Limits struct {
	// MaxRows is the most rows the stream holds.
	MaxRows int `yaml:"max_rows"`
	// MaxBytes is the most bytes (stored rows plus keys) the stream holds.
	MaxBytes int64 `yaml:"max_bytes"`
	// MinFreeBytes refuses appends to the stream while the data directory's
	// file system has less free space. Defaults: telemetry 2 x
	// Config.MinFreeBytes, sync-logs Config.MinFreeBytes, the others
	// Config.CriticalFreeBytes.
	MinFreeBytes uint64 `yaml:"min_free_bytes"`
}

// Config tunes the outbox. The zero value takes every default.
type Config struct {
	// Streams overrides limits per stream; missing streams and zero fields
	// keep their defaults (orders and payments 1,000,000 rows or 2 GiB,
	// sync-logs and cmd-results 200,000 rows or 512 MiB, telemetry 10,000
	// rows or 64 MiB).
	Streams map[Stream]Limits `yaml:"streams"`
	// MinFreeBytes is the free-disk floor for non-critical streams
	// (sync-logs; telemetry uses twice it). Default 512 MiB.
	MinFreeBytes uint64 `yaml:"min_free_bytes"`
	// CriticalFreeBytes is the second, lower floor below which orders,
	// payments and cmd-results are refused too. Default 64 MiB.
	CriticalFreeBytes uint64 `yaml:"critical_free_bytes"`
	// DedupeMaxAge is how long a DedupeKey is remembered after its append
	// (longer while its row is still queued). Default 720h (30 days).
	DedupeMaxAge time.Duration `yaml:"dedupe_max_age"`
	// DedupeMaxKeys bounds the dedupe index (keys of queued rows are kept
	// beyond it). Default 1,000,000.
	DedupeMaxKeys int `yaml:"dedupe_max_keys"`
	// SubjectMaxAge is how long an idle subject's SubjectSeq counter is kept.
	// Default 9600h (400 days). The counter also keeps the ref by which a
	// captured order or payment is found by id (kept 90 days for reprints),
	// so a value under 90 days shortens that too.
	SubjectMaxAge time.Duration `yaml:"subject_max_age"`
	// DiskCheckEvery caches the free-space measurement. Default 1s; a
	// negative value measures on every append.
	DiskCheckEvery time.Duration `yaml:"disk_check_every"`

	// CompactMinBytes: the store file is compacted once it is at least
	// this large, at least a quarter of it is free pages, and the never-drop
	// streams have drained. Default 64 MiB; negative disables compaction.
	CompactMinBytes int64 `yaml:"compact_min_bytes"`
	// CompactEvery is how often RunCompactor checks. Default 1m.
	CompactEvery time.Duration `yaml:"compact_every"`

	// SubjectLogMerge is how many subjects-index changes are kept in the
	// subjects log (and in memory) before a background merge applies them
	// to the index (subjects.go). Default 16,384.
	SubjectLogMerge int `yaml:"-"`

	// DiskFree returns the free bytes available to the file system holding
	// dir. Nil means the platform's statfs (unknown, never refusing, where
	// there is none). Tests inject their own.
	DiskFree func(dir string) (uint64, error) `yaml:"-"`
	// Now is the clock. Nil means time.Now.
	Now func() time.Time `yaml:"-"`
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

var defaultLimits = map[Stream]Limits{
	Orders:     {MaxRows: 1_000_000, MaxBytes: 2 * gib},
	Payments:   {MaxRows: 1_000_000, MaxBytes: 2 * gib},
	SyncLogs:   {MaxRows: 200_000, MaxBytes: 512 * mib},
	CmdResults: {MaxRows: 200_000, MaxBytes: 512 * mib},
	Telemetry:  {MaxRows: 10_000, MaxBytes: 64 * mib},
}

// DefaultConfig returns the defaults with every field filled in.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// Validate reports the first problem with c (after defaults are applied).
func (c Config) Validate() error {
	var errs []error
	for s, l := range c.Streams {
		if !s.Valid() {
			errs = append(errs, fmt.Errorf("streams: %q: %w", s, ErrUnknownStream))
			continue
		}
		if l.MaxRows < 0 || l.MaxBytes < 0 {
			errs = append(errs, fmt.Errorf("streams: %s: limits must not be negative", s))
		}
	}
	if c.DedupeMaxAge < 0 || c.DedupeMaxKeys < 0 || c.SubjectMaxAge < 0 {
		errs = append(errs, errors.New("dedupe_max_age, dedupe_max_keys and subject_max_age must not be negative"))
	}
	d := c.withDefaults()
	if d.CriticalFreeBytes > d.MinFreeBytes {
		errs = append(errs, fmt.Errorf("critical_free_bytes (%d) must not exceed min_free_bytes (%d)", d.CriticalFreeBytes, d.MinFreeBytes))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = 512 * mib
	}
	if c.CriticalFreeBytes == 0 {
		c.CriticalFreeBytes = 64 * mib
	}
	if c.DedupeMaxAge == 0 {
		c.DedupeMaxAge = 30 * 24 * time.Hour
	}
	if c.DedupeMaxKeys == 0 {
		c.DedupeMaxKeys = 1_000_000
	}
	if c.SubjectMaxAge == 0 {
		c.SubjectMaxAge = 400 * 24 * time.Hour
	}
	if c.SubjectLogMerge <= 0 {
		c.SubjectLogMerge = 16_384
	}
	if c.DiskCheckEvery == 0 {
		c.DiskCheckEvery = time.Second
	}
	if c.DiskFree == nil {
		c.DiskFree = diskFree
	}
	if c.CompactMinBytes == 0 {
		c.CompactMinBytes = 64 * mib
	}
	if c.CompactEvery <= 0 {
		c.CompactEvery = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	streams := make(map[Stream]Limits, len(Streams))
	for _, s := range Streams {
		l, d := c.Streams[s], defaultLimits[s]
		if l.MaxRows == 0 {
			l.MaxRows = d.MaxRows
		}
		if l.MaxBytes == 0 {
			l.MaxBytes = d.MaxBytes
		}
		if l.MinFreeBytes == 0 {
			switch s {
			case Telemetry:
				l.MinFreeBytes = 2 * c.MinFreeBytes
			case SyncLogs:
				l.MinFreeBytes = c.MinFreeBytes
			default:
				l.MinFreeBytes = c.CriticalFreeBytes
			}
		}
		streams[s] = l
	}
	c.Streams = streams
	return c
}
