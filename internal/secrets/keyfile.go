package secrets

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeySize is the length of a key in bytes (256 bits).
const KeySize = 32

// CredentialName is the systemd credential that, when present in
// $CREDENTIALS_DIRECTORY, is loaded instead of the key file path.
const CredentialName = "aura-edge.key"

// DefaultFileName is the key file's conventional name in the data dir.
const DefaultFileName = "aura-edge.key"

const (
	keyLinePrefix = "aura-edge-key"
	keyLineV1     = "v1"
	maxKeyFile    = 64 << 10
	keyFileHeader = "# aura-edge credential key. Keep it secret (mode 0600) and keep it with backups of\n" +
		"# the data dir: without it the stored credentials cannot be read.\n" +
		"# The first key seals new values; any others only open values sealed before a rotation.\n"
)

// key is one 256-bit key and its id.
type key struct {
	id  uint32
	raw [KeySize]byte
}

// keyID derives the id stored with every value sealed under raw.
func keyID(raw []byte) uint32 {
	h := sha256.New()
	h.Write([]byte("aura-edge key id\x00"))
	h.Write(raw)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func formatID(id uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	return hex.EncodeToString(b[:])
}

func newKey() key {
	var k key
	rand.Read(k.raw[:]) // never fails (crypto/rand since Go 1.24)
	k.id = keyID(k.raw[:])
	return k
}

// encodeKeyFile renders keys, the current one first.
func encodeKeyFile(keys []key) []byte {
	var b bytes.Buffer
	b.WriteString(keyFileHeader)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s %s %s\n", keyLinePrefix, keyLineV1, formatID(k.id), base64.StdEncoding.EncodeToString(k.raw[:]))
	}
	return b.Bytes()
}

// parseKeyFile parses the key file's contents; name is used in errors.
func parseKeyFile(name string, data []byte) ([]key, error) {
	var keys []key
	seen := map[uint32]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1024), maxKeyFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if f[0] != keyLinePrefix {
			return nil, fmt.Errorf("key file %s line %d: want a line starting %q: %w", name, n, keyLinePrefix, ErrBadKeyFile)
		}
		if len(f) < 2 || f[1] != keyLineV1 {
			return nil, fmt.Errorf("key file %s line %d: unknown key format version (this binary reads %s): %w", name, n, keyLineV1, ErrBadKeyFile)
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("key file %s line %d: want %q: %w", name, n, keyLinePrefix+" v1 <key id> <base64 key>", ErrBadKeyFile)
		}
		raw, err := base64.StdEncoding.DecodeString(f[3])
		if err != nil {
			return nil, fmt.Errorf("key file %s line %d: key is not valid base64: %w", name, n, ErrBadKeyFile)
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("key file %s line %d: key is %d bytes, want %d: %w", name, n, len(raw), KeySize, ErrBadKeyFile)
		}
		var k key
		copy(k.raw[:], raw)
		k.id = keyID(raw)
		if f[2] != formatID(k.id) {
			return nil, fmt.Errorf("key file %s line %d: key id %q does not match its key (%s); the file is damaged: %w", name, n, f[2], formatID(k.id), ErrBadKeyFile)
		}
		if seen[k.id] {
			return nil, fmt.Errorf("key file %s line %d: key %s appears twice: %w", name, n, f[2], ErrBadKeyFile)
		}
		seen[k.id] = true
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("key file %s: %v: %w", name, err, ErrBadKeyFile)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key file %s holds no key: %w", name, ErrBadKeyFile)
	}
	return keys, nil
}

// readKeyFile opens, checks the mode of and parses a key file.
func readKeyFile(path string, credential bool) ([]key, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file %s: %w", path, ErrNoKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file (%s): %w", path, fi.Mode().Type(), ErrBadKeyFile)
	}
	if err := checkMode(path, fi.Mode(), credential); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is larger than %d bytes: %w", path, maxKeyFile, ErrBadKeyFile)
	}
	return parseKeyFile(path, data)
}

// checkMode refuses key files that the group or others may access. For a
// systemd credential only "others" counts: systemd grants the service user
// access through an ACL, whose mask shows up in the group bits.
func checkMode(path string, mode fs.FileMode, credential bool) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	deny := fs.FileMode(0o077)
	if credential {
		deny = 0o007
	}
	if perm := mode.Perm(); perm&deny != 0 {
		return fmt.Errorf("key file %s has mode %04o, which lets other users read it; run: chmod 600 %s: %w",
			path, perm, path, ErrKeyFileMode)
	}
	return nil
}

// writeTemp writes data to a new temporary file next to path with mode
// 0600 and fsyncs it. The caller renames, links or removes it.
func writeTemp(path string, data []byte) (string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create key file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write key file %s: %w", tmp, err)
	}
	return tmp, nil
}

// createKeyFile creates path holding data if it does not exist yet. It
// reports false (and no error) when another process created it first. The
// file appears complete or not at all.
func createKeyFile(path string, data []byte) (bool, error) {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path) // fails with EEXIST instead of replacing
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, errors.ErrUnsupported) || runtime.GOOS == "windows":
		// No hard links here (FAT, some network file systems): fall back to
		// O_EXCL on the final name. A racing reader may then see a short
		// file and report it as damaged, but no key is ever overwritten.
		if err := writeExcl(path, data); errors.Is(err, fs.ErrExist) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	default:
		return false, fmt.Errorf("create key file %s: %w", path, err)
	}
	return true, syncDir(filepath.Dir(path))
}

func writeExcl(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return nil
}

// replaceFile atomically replaces path with data: temp file, fsync,
// rename, fsync of the directory.
func replaceFile(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace key file %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync key file dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync key file dir %s: %w", dir, err)
	}
	return nil
}
