package file_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFileOneFilePerJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "printer-out") // created by Open
	jobs := []struct {
		id   string
		data []byte
	}{
		{"order-1", []byte("\x1b@first\n")},
		{"", printertest.Payload(70 << 10)},
		{"../etc/passwd x", []byte("third")},
	}
	for _, j := range jobs {
		c := printertest.Open(t, fileURL(dir), transport.Options{JobID: j.id})
		if _, err := c.Write(j.data); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"00000001-order-1.bin", "00000002.bin", "00000003-_._etc_passwd_x.bin"}
	got := dirNames(t, dir)
	if !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	for i, name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, jobs[i].data) {
			t.Errorf("%s: %d bytes, want %d", name, len(b), len(jobs[i].data))
		}
	}
}

func TestFileSequenceContinues(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"00000041-old.bin", "00000007.bin", "notes.txt", "123456789-big.bin.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := printertest.Open(t, fileURL(dir), transport.Options{JobID: "next"})
	c.Close()
	if _, err := os.Stat(filepath.Join(dir, "00000042-next.bin")); err != nil {
		t.Errorf("next job file: %v (have %q)", err, dirNames(t, dir))
	}
}

func TestFileConcurrentOpens(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := transport.Open(context.Background(), fileURL(dir), transport.Options{JobID: "same"})
			if err != nil {
				t.Error(err)
				return
			}
			c.Write([]byte("x"))
			c.Close()
		})
	}
	wg.Wait()
	got := dirNames(t, dir)
	want := []string{
		"00000001-same.bin", "00000002-same.bin", "00000003-same.bin", "00000004-same.bin",
		"00000005-same.bin", "00000006-same.bin", "00000007-same.bin", "00000008-same.bin",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestFileStatusAndRead(t *testing.T) {
	c := printertest.Open(t, fileURL(t.TempDir()), transport.Options{})
	for n := byte(1); n <= 4; n++ {
		if b, err := transport.QueryStatus(context.Background(), c, n, 0); err != nil || b != 0x12 {
			t.Errorf("QueryStatus(%d) = %#x, %v; want 0x12 (online)", n, b, err)
		}
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("Read = %v, want io.EOF", err)
	}
	c.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if _, err := transport.QueryStatus(context.Background(), c, 1, 0); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("QueryStatus after Close = %v, want ErrClosed", err)
	}
}

func TestFileUnavailable(t *testing.T) {
	// A regular file where the directory should be.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := transport.Open(context.Background(), fileURL(notDir), transport.Options{})
	if !errors.Is(err, transport.ErrUnavailable) {
		t.Fatalf("Open on a file = %v, want ErrUnavailable", err)
	}
}

// TestFileOptionalInterfaces: the file: virtual printer is passive (the
// spool does not open it to poll) and keeps a text preview beside each job
// file, also after Close; network printers are polled.
func TestFileOptionalInterfaces(t *testing.T) {
	dir := t.TempDir()
	if transport.PollsWhenIdle(fileURL(dir)) || !transport.PollsWhenIdle("tcp://192.0.2.1:9100") || transport.PollsWhenIdle("nope://x") {
		t.Fatal("PollsWhenIdle: file: must not be polled, tcp: must")
	}
	c, err := transport.Open(context.Background(), fileURL(dir), transport.Options{JobID: "job-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	pw, ok := c.(transport.PreviewWriter)
	if !ok {
		t.Fatal("file: connection is not a PreviewWriter")
	}
	if err := pw.WritePreview([]byte("HELLO\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "00000001-job-1.txt"))
	if err != nil || string(got) != "HELLO\n" {
		t.Fatalf("preview %q %v", got, err)
	}
}
