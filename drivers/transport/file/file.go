// Package file is the file: virtual printer transport
// (file:///var/lib/aura-edge/printer-out): one .bin file per job, for
// demos and tests. drivers/transport/all registers it; see package
// transport for the contract.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
)

// file:///some/dir is the virtual printer for demos and tests. Each Open
// creates a new file in the directory (created if missing), one per job,
// named <seq>-<jobid>.bin, or <seq>.bin without a job id. seq is eight or
// more digits, one more than the highest in the directory, so names sort
// in the order the jobs were opened. Close fsyncs the file and the
// directory. The virtual printer answers every status query with 0x12,
// "online, no error, paper present", and its Read returns io.EOF: it never
// sends anything.

// New returns the file: virtual printer driver (registered by
// drivers/transport/all).
func New() transport.Driver { return fileDriver{} }

const maxJobIDInName = 64

type fileDriver struct{}

// Passive: each Open creates a job file, so the spool does not poll it.
func (fileDriver) Passive() bool { return true }

func (fileDriver) Validate(u *url.URL) error {
	_, err := fileDir(u)
	return err
}

func fileDir(u *url.URL) (string, error) {
	switch {
	case u.Opaque != "":
		return "", errors.New("want file:///path/to/dir (three slashes)")
	case u.Host != "" && u.Host != "localhost":
		return "", fmt.Errorf("unexpected host %q: write an absolute directory after three slashes, e.g. file:///var/lib/aura-edge/printer-out", u.Host)
	case u.Path == "" || u.Path == "/":
		return "", errors.New("missing directory, e.g. file:///var/lib/aura-edge/printer-out")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("file takes no parameters")
	}
	p := u.Path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // file:///C:/spool
	}
	return filepath.Clean(filepath.FromSlash(p)), nil
}

func (fileDriver) Open(ctx context.Context, u *url.URL, opts transport.Options) (transport.Conn, error) {
	dir, err := fileDir(u)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", transport.ErrBadURL, u.String(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open file %s: %w: %w", dir, transport.ErrUnavailable, err)
	}
	f, err := createJobFile(dir, opts.JobID)
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w: %w", dir, transport.ErrUnavailable, err)
	}
	return &fileConn{f: f, dir: dir}, nil
}

// createJobFile creates the next job file in dir, holding the directory
// lock (where there is one) so that concurrent Opens get distinct numbers.
func createJobFile(dir, jobID string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seq uint64
	for _, e := range entries {
		if s, ok := jobSeq(e.Name()); ok && s > seq {
			seq = s
		}
	}
	suffix := ".bin"
	if id := sanitizeJobID(jobID); id != "" {
		suffix = "-" + id + ".bin"
	}
	for range 100 {
		seq++
		name := filepath.Join(dir, fmt.Sprintf("%08d%s", seq, suffix))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, os.ErrExist) {
			continue // another process without the lock (Windows)
		}
		return f, err
	}
	return nil, errors.New("no free job file name")
}

// jobSeq parses the sequence number of a job file name.
func jobSeq(name string) (uint64, bool) {
	if !strings.HasSuffix(name, ".bin") {
		return 0, false
	}
	digits := name[:len(name)-len(".bin")]
	if i := strings.IndexByte(digits, '-'); i >= 0 {
		digits = digits[:i]
	}
	s, err := strconv.ParseUint(digits, 10, 64)
	return s, err == nil
}

// sanitizeJobID keeps letters, digits, '.', '_' and '-' and replaces the
// rest with '_', so that a job id is always one safe file name part.
func sanitizeJobID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= maxJobIDInName {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// fileConn is a Conn that writes one job file.
type fileConn struct {
	f       *os.File
	dir     string
	written atomic.Int64
	closed  atomic.Bool
}

func (c *fileConn) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, fmt.Errorf("write file %s: %w", c.f.Name(), transport.ErrClosed)
	}
	n, err := c.f.Write(p)
	c.written.Add(int64(n))
	if err != nil {
		return n, transport.Failure("write file "+c.f.Name(), c.written.Load(), err)
	}
	return n, nil
}

// Read returns io.EOF: the virtual printer never sends anything.
func (c *fileConn) Read([]byte) (int, error) {
	if c.closed.Load() {
		return 0, fmt.Errorf("read file %s: %w", c.f.Name(), transport.ErrClosed)
	}
	return 0, io.EOF
}

// QueryStatus answers 0x12 to every DLE EOT n: online, no error, paper
// present.
func (c *fileConn) QueryStatus(ctx context.Context, n byte, _ time.Duration) (byte, error) {
	if c.closed.Load() {
		return 0, fmt.Errorf("query status file %s: %w", c.f.Name(), transport.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("query status DLE EOT %d: %w", n, err)
	}
	return escpos.StatusReplyReady, nil
}

// WritePreview writes text beside the job file, with the same name ending
// in .txt (<seq>-<jobid>.txt), whole or not at all (written aside, then
// renamed). It works after Close.
func (c *fileConn) WritePreview(text []byte) error {
	name := strings.TrimSuffix(c.f.Name(), ".bin") + ".txt"
	tmp := name + ".partial"
	err := os.WriteFile(tmp, text, 0o640)
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write preview %s: %w", name, err)
	}
	return nil
}

// Close flushes the job file and its directory entry to disk.
func (c *fileConn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("close file %s: %w", c.f.Name(), transport.ErrClosed)
	}
	err := c.f.Sync()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(c.dir)
	}
	if err != nil {
		return transport.Failure("close file "+c.f.Name(), c.written.Load(), err)
	}
	return nil
}

var (
	_ transport.Driver        = fileDriver{}
	_ transport.Conn          = (*fileConn)(nil)
	_ transport.StatusQuerier = (*fileConn)(nil)
	_ transport.PreviewWriter = (*fileConn)(nil)
	_ transport.Passive       = fileDriver{}
)
