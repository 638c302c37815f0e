package kitchen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Line is a line as a station's ticket shows it: what the cook reads.
type Line struct {
	Key       string         `json:"key"` // the line id, or its content where it has none
	Name      string         `json:"name"`
	Variation string         `json:"variation,omitempty"`
	Quantity  model.Quantity `json:"quantity"`
	Modifiers []string       `json:"modifiers,omitempty"`
	Note      string         `json:"note,omitempty"`
	Course    string         `json:"course,omitempty"`
}

// Lines turns order lines into ticket lines.
func Lines(items []model.LineItem) []Line {
	out := make([]Line, 0, len(items))
	seen := map[string]int{}
	for _, li := range items {
		l := Line{Name: li.Name, Variation: li.VariationName, Quantity: li.Quantity, Note: li.Note, Course: li.Course}
		for _, m := range li.Modifiers {
			name := m.Name
			if m.Quantity.Milli() != 1000 && m.Quantity.Milli() != 0 {
				name = m.Quantity.String() + " x " + name
			}
			l.Modifiers = append(l.Modifiers, name)
		}
		l.Key = li.ID
		if l.Key == "" {
			// No id: the content names the line; repeats are told apart by
			// their place among equals.
			c := l.content()
			seen[c]++
			l.Key = "~" + c + "#" + strconv.Itoa(seen[c])
		}
		out = append(out, l)
	}
	return out
}

// content is a short digest of what the cook sees besides the quantity.
func (l Line) content() string {
	raw, _ := json.Marshal([]any{l.Name, l.Variation, l.Modifiers, l.Note, l.Course})
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:8])
}

// Action is what a change ticket tells the cook.
type Action string

// Actions.
const (
	Add  Action = "ADD"
	Void Action = "VOID"
)

// Change is one line of a change ticket; Line.Quantity is how many to add
// or void.
type Change struct {
	Action Action `json:"action"`
	Line   Line   `json:"line"`
}

// Diff returns what changed from sent to now: voids first (in the order
// they were sent), then additions (in the order's order). A line whose
// modifiers, note or course changed is voided and added again; a quantity
// change adds or voids the difference. Equal inputs give no changes.
func Diff(sent, now []Line) []Change {
	nowBy := map[string]Line{}
	for _, l := range now {
		nowBy[l.Key] = l
	}
	sentBy := map[string]Line{}
	for _, l := range sent {
		sentBy[l.Key] = l
	}
	var voids, adds []Change
	for _, old := range sent {
		cur, ok := nowBy[old.Key]
		switch {
		case !ok || old.content() != cur.content():
			voids = append(voids, Change{Void, old})
		case cur.Quantity < old.Quantity:
			l := old
			l.Quantity = old.Quantity - cur.Quantity
			voids = append(voids, Change{Void, l})
		}
	}
	for _, cur := range now {
		old, ok := sentBy[cur.Key]
		switch {
		case !ok || old.content() != cur.content():
			adds = append(adds, Change{Add, cur})
		case cur.Quantity > old.Quantity:
			l := cur
			l.Quantity = cur.Quantity - old.Quantity
			adds = append(adds, Change{Add, l})
		}
	}
	return append(voids, adds...)
}

// Digest names a set of ticket lines: equal sets, equal digests. Job ids
// derive from it, so the same change delivered twice prints once.
func Digest(lines []Line) string {
	sorted := slices.Clone(lines)
	slices.SortFunc(sorted, func(a, b Line) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	raw, _ := json.Marshal(sorted)
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:6])
}
