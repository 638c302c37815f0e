package escpos

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// checkGolden compares got with testdata/<name>.golden, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (refresh with go test ./drivers/escpos -update): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s differs from golden at byte %d (got %d bytes, want %d)\ngot:  %s\nwant: %s",
		name, i, len(got), len(want), around(got, i), around(want, i))
}

// around hex-dumps b near offset i.
func around(b []byte, i int) string {
	lo, hi := max(i-16, 0), min(i+32, len(b))
	return fmt.Sprintf("[%d:] % x", lo, b[lo:hi])
}

// mustProfile looks up a profile or fails the test.
func mustProfile(t testing.TB, name string) *Profile {
	t.Helper()
	p, err := LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encode runs fn on a fresh encoder for profile name and returns the bytes
// and the preview text.
func encode(t testing.TB, name string, fn func(e *Encoder) error) ([]byte, string) {
	t.Helper()
	var out, pv bytes.Buffer
	e := New(&out, mustProfile(t, name))
	e.SetPreview(&pv)
	if err := fn(e); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), pv.String()
}
