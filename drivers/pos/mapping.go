package pos

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Mapping links one Aura object to its vendor object, with the vendor's
// version (for optimistic concurrency) and a hash of what was last pushed
// (so an unchanged object is not sent again).
type Mapping struct {
	VendorID string `json:"vendor_id"`
	Version  string `json:"version,omitempty"`
	Hash     string `json:"hash,omitempty"`
	// Extra holds vendor specifics (e.g. a Square parent item id).
	Extra map[string]string `json:"extra,omitempty"`
}

// Mappings reads and writes Mapping records in a State under "map/<kind>/<aura id>".
type Mappings struct{ S State }

func mapKey(kind ObjectKind, auraID string) string { return "map/" + string(kind) + "/" + auraID }

// Get returns the mapping, or nil when the object was never pushed.
func (m Mappings) Get(kind ObjectKind, auraID string) (*Mapping, error) {
	b, err := m.S.Get(mapKey(kind, auraID))
	if err != nil || b == nil {
		return nil, err
	}
	var mp Mapping
	if err := json.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("mapping %s/%s: %w", kind, auraID, err)
	}
	return &mp, nil
}

// Put stores the mapping durably.
func (m Mappings) Put(kind ObjectKind, auraID string, mp Mapping) error {
	b, err := json.Marshal(mp)
	if err != nil {
		return err
	}
	return m.S.Put(mapKey(kind, auraID), b)
}

// Delete forgets a mapping.
func (m Mappings) Delete(kind ObjectKind, auraID string) error {
	return m.S.Delete(mapKey(kind, auraID))
}

// Hash returns a stable hex SHA-256 of v's JSON encoding, for change
// detection (encoding/json sorts map keys, so it is deterministic).
func Hash(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
