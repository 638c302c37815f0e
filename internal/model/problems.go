package model

import (
	"fmt"
	"strings"
)

// Problem is one validation failure, located by the JSON path of the value,
// e.g. "line_items[2].modifiers[0].unit_price.amount".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Problems is every validation failure of one value. A nil Problems means
// valid. It implements error so that callers can return it directly.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 0 {
		return "valid"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// checker accumulates problems under a path prefix.
type checker struct {
	ps *Problems
}

func (c checker) add(path, format string, args ...any) {
	*c.ps = append(*c.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func join(base, field string) string {
	if base == "" {
		return field
	}
	return base + "." + field
}

func idx(base string, i int) string { return fmt.Sprintf("%s[%d]", base, i) }

// required checks a non-empty string.
func (c checker) required(path, v string) {
	if strings.TrimSpace(v) == "" {
		c.add(path, "is required")
	}
}

// money checks currency and sign. want is the document's currency ("" to
// skip the match check).
func (c checker) money(path string, m Money, want string, allowNegative bool) {
	if !allowNegative && m.Amount < 0 {
		c.add(join(path, "amount"), "must not be negative (got %d)", m.Amount)
	}
	switch {
	case m.Currency == "" && m.Amount == 0:
		// an absent amount: fine
	case !ValidCurrency(m.Currency):
		c.add(join(path, "currency"), "unknown currency %q", m.Currency)
	case want != "" && m.Currency != want:
		c.add(join(path, "currency"), "is %s, but the document is in %s", m.Currency, want)
	}
}

// uniqueID checks that id is set and not seen before.
func (c checker) uniqueID(path, id string, seen map[string]string) {
	if strings.TrimSpace(id) == "" {
		c.add(path, "is required")
		return
	}
	if first, dup := seen[id]; dup {
		c.add(path, "duplicate id %q (first at %s)", id, first)
		return
	}
	seen[id] = path
}

// oneOf checks an enum string.
func (c checker) oneOf(path, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add(path, "must be one of %s (got %q)", strings.Join(allowed, ", "), v)
}
