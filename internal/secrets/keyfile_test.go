package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyCreatesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := keyPath(dir)
	kr, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	lines := keyLines(string(data))
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "aura-edge-key v1 "+kr.ID()+" ") {
		t.Fatalf("key file:\n%s", data)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != kr.ID() {
		t.Fatalf("second load gave key %s, first %s", again.ID(), kr.ID())
	}
	sealed := kr.Seal([]byte("x"), nil)
	if _, err := again.Open(sealed, nil); err != nil {
		t.Fatalf("reloaded key cannot open: %v", err)
	}
	if matches, _ := filepath.Glob(path + ".tmp-*"); len(matches) > 0 {
		t.Fatalf("temp files left: %v", matches)
	}
}

func TestLoadOrCreateKeyRace(t *testing.T) {
	path := keyPath(t.TempDir())
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, err := LoadOrCreateKey(path)
			errs[i] = err
			if err == nil {
				ids[i] = kr.ID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("loader %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("loaders got different keys: %v", ids)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	path := keyPath(t.TempDir())
	if _, err := Load(path); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("Load created the key file")
	}
}

func TestKeyFileModeRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o644, false}, {0o640, false}, {0o604, false}, {0o660, false}, {0o601, false},
	} {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			path := keyPath(t.TempDir())
			if _, err := LoadOrCreateKey(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKey(path)
			if tc.ok {
				if err != nil {
					t.Fatalf("mode %04o refused: %v", tc.mode, err)
				}
				return
			}
			if !errors.Is(err, ErrKeyFileMode) {
				t.Fatalf("mode %04o: got %v, want ErrKeyFileMode", tc.mode, err)
			}
			for _, want := range []string{path, fmt.Sprintf("%04o", tc.mode), "chmod 600 " + path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestBadKeyFile(t *testing.T) {
	good := encodeKeyFile([]key{newKey()})
	goodLine := keyLines(string(good))[0]
	f := strings.Fields(goodLine)
	short := "aura-edge-key v1 " + f[2] + " AAAAAAAAAAAAAAAAAAAAAA=="
	// Flip one character of the key: the id no longer matches.
	b := []byte(f[3])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	flipped := "aura-edge-key v1 " + f[2] + " " + string(b)
	for _, tc := range []struct{ name, content, want string }{
		{"empty", "", "holds no key"},
		{"comments only", "# nothing\n\n", "holds no key"},
		{"not a key file", "hello world\n", "line 1"},
		{"binary", "\x00\x01\xff\xfe", "line 1"},
		{"newer version", "aura-edge-key v2 00000000 AAAA\n", "unknown key format version"},
		{"missing fields", "aura-edge-key v1 " + f[2] + "\n", "line 1"},
		{"short key", "# c\n" + short + "\n", "line 2: key is 16 bytes, want 32"},
		{"bad base64", "aura-edge-key v1 " + f[2] + " !!!!\n", "not valid base64"},
		{"damaged key", flipped + "\n", "does not match its key"},
		{"duplicate", goodLine + "\n" + goodLine + "\n", "appears twice"},
		{"too large", strings.Repeat("#", maxKeyFile+10), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := keyPath(t.TempDir())
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKey(path)
			if !errors.Is(err, ErrBadKeyFile) {
				t.Fatalf("got %v, want ErrBadKeyFile", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q should name %s and say %q", err, path, tc.want)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.content {
				t.Fatal("a damaged key file was rewritten")
			}
		})
	}
}

func TestCredentialsDirectory(t *testing.T) {
	credDir := t.TempDir()
	credPath := filepath.Join(credDir, CredentialName)
	if _, err := LoadOrCreateKey(credPath); err != nil {
		t.Fatal(err)
	}
	cred, err := Load(credPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", credDir)
	if runtime.GOOS != "windows" {
		// World-readable is refused even for a credential...
		if err := os.Chmod(credPath, 0o444); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateKey(keyPath(t.TempDir())); !errors.Is(err, ErrKeyFileMode) {
			t.Fatalf("world-readable credential: %v", err)
		}
		// ...but the group bits may show systemd's ACL mask.
		if err := os.Chmod(credPath, 0o440); err != nil {
			t.Fatal(err)
		}
	}

	path := keyPath(t.TempDir())
	kr, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if kr.ID() != cred.ID() || kr.Path() != credPath {
		t.Fatalf("loaded %s from %s, want the credential %s from %s", kr.ID(), kr.Path(), cred.ID(), credPath)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("key file created although a credential was present")
	}
	db := openStore(t, t.TempDir())
	defer db.Close()
	if _, err := kr.Rotate(db); !errors.Is(err, ErrKeyNotWritable) {
		t.Fatalf("rotate of a credential: %v", err)
	}

	// A credentials dir without our credential falls back to the path.
	t.Setenv("CREDENTIALS_DIRECTORY", t.TempDir())
	kr2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if kr2.Path() != path || kr2.ID() == cred.ID() {
		t.Fatalf("fallback loaded %s from %s", kr2.ID(), kr2.Path())
	}
}

func keyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "aura-edge-key ") {
			out = append(out, l)
		}
	}
	return out
}
