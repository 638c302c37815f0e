// Package secrets keeps credentials encrypted at rest under a key that lives outside the store.
//
// # The key file
//
// LoadOrCreateKey reads a 256-bit key from a key file next to the data (by
// default <data_dir>/aura-edge.key), creating it on first run. The file is
// text, one key per line:
//
//	# aura-edge credential key. Keep it secret, keep it with backups of the data dir.
//	aura-edge-key v1 3f9a0c21 <base64 of 32 bytes>
//
// The first key line is the current key: Seal uses it. Any further lines are
// previous keys, kept only so that Open can still read values sealed before a
// rotation finished (see Rotation). The key id is derived from the key (the
// first 4 bytes of a SHA-256 over it), so a damaged line is reported instead
// of silently yielding a different key.
//
// The file is created with mode 0600, atomically and at most once: the key is
// written to a temporary file, fsync'd and hard-linked into place, so two
// processes starting together end up with the same key. A key file whose
// mode lets the group or other users in (wider than 0600) is refused with an
// error naming the file, its mode and the chmod that fixes it. (Windows has
// no Unix modes; there the check is skipped and the file's ACL applies.)
//
// Under systemd, a credential named aura-edge.key (LoadCredential= or
// LoadCredentialEncrypted=aura-edge.key:...) takes precedence: when
// $CREDENTIALS_DIRECTORY/aura-edge.key exists it is loaded instead of the
// path given, and it is never created or rewritten. Such a key cannot be
// rotated in place (Rotate returns ErrKeyNotWritable). Its mode check
// refuses only world access, because systemd grants the service user read
// access with an ACL whose mask appears as the group bits.
//
// # Sealed values
//
// Seal encrypts with XChaCha20-Poly1305 under a fresh random 24-byte nonce.
// A sealed value is
//
//	0xAE 0x01 | key id (4 bytes) | nonce (24 bytes) | ciphertext | tag (16 bytes)
//
// (46 bytes longer than the plaintext). The first bytes and the caller's
// additional data are authenticated. Callers bind what the value belongs to
// as additional data (credentials and vendor state use the integration id),
// so a value copied to another record fails to open. Open picks the key by
// the id in the value, so values sealed under a previous key still open.
//
// # Rotation
//
// Keyring.Rotate replaces the key and re-encrypts every sealed value in one
// store transaction. It finds the values through Reencrypters that the
// packages owning them register (RegisterReencrypter). The key file always
// holds every key a committed value may need: it gains the new key before
// the transaction and loses the old ones only after the commit, so a crash
// at any point leaves a store that the next start can read.
//
// To make that hold for writes racing a rotation, seal a value inside the
// store transaction (Update or Batch callback) that writes it, never
// earlier.
//
// # Secret
//
// Secret is a string that prints, marshals and logs as "[redacted]"; use it
// for config fields and credential maps, and call Reveal where the value is
// really needed.
package secrets
