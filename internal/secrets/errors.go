package secrets

import "errors"

// Errors of the key file, returned (wrapped) by LoadOrCreateKey and Load.
var (
	// ErrKeyFileMode is returned when the key file can be read by users
	// other than its owner (mode wider than 0600). The message names the
	// file, its mode and the chmod command that fixes it.
	ErrKeyFileMode = errors.New("key file permissions too open")

	// ErrBadKeyFile is returned when the key file cannot be parsed: a
	// wrong header, a key that is not 32 bytes of base64, a key id that
	// does not match its key, no key at all. The message names the file
	// and line. Restore the file from a backup; generating a new key makes
	// the stored credentials unreadable.
	ErrBadKeyFile = errors.New("invalid key file")

	// ErrNoKeyFile is returned by Load when the key file does not exist.
	ErrNoKeyFile = errors.New("key file not found")

	// ErrKeyNotWritable is returned by Rotate when the key was loaded from
	// a systemd credential, which aura-edge cannot rewrite.
	ErrKeyNotWritable = errors.New("key file is not writable by aura-edge")
)

// Errors of Open (and Reseal during a rotation).
var (
	// ErrNotSealed is returned for input that is not a sealed value of a
	// known format (too short, wrong magic, unknown format version).
	ErrNotSealed = errors.New("not a sealed value")

	// ErrUnknownKey is returned when a value was sealed under a key that the
	// key file does not hold: the key file was replaced or regenerated.
	ErrUnknownKey = errors.New("sealed with an unknown key")

	// ErrDecrypt is returned when authentication fails: the value was
	// changed, or it is opened with other additional data than it was
	// sealed with (for example under another integration).
	ErrDecrypt = errors.New("message authentication failed")
)

// ErrRotationIncomplete is returned by Rotate when, after the commit, the
// store still holds values sealed under a retired key that no Reencrypter
// handled. The new key is in use and the key file keeps the old keys, so
// everything stays readable; register a Reencrypter for those values (a
// forgotten import?) and rotate again.
var ErrRotationIncomplete = errors.New("rotation incomplete")
