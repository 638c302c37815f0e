package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an amount in the minor unit of an ISO 4217 currency (cents for
// USD, yen for JPY). It is never a float.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// M is shorthand for Money{amount, currency}.
func M(amount int64, cur string) Money { return Money{Amount: amount, Currency: cur} }

// String formats m plainly, e.g. "4.50 USD". Receipts use their own
// locale-aware formatting.
func (m Money) String() string {
	return FormatMinor(m.Amount, MinorDigits(m.Currency)) + " " + m.Currency
}

// ValidCurrency reports whether code is a known ISO 4217 currency code.
func ValidCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	_, ok := lookupCurrency(code)
	return ok
}

// MinorDigits returns the number of decimal digits of the currency's minor
// unit (2 for USD and EUR, 0 for JPY, 3 for BHD). Unknown codes give 2.
func MinorDigits(code string) int {
	digits, ok := lookupCurrency(code)
	if !ok {
		return 2
	}
	return digits
}

// FormatMinor renders amount minor units with digits decimals, e.g.
// FormatMinor(-450, 2) == "-4.50".
func FormatMinor(amount int64, digits int) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = uint64(-amount) // math.MinInt64 wraps to itself, which uint64 reads correctly
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Add returns a+b and false when the sum overflows int64.
func addChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// Quantity is a count in thousandths (1 item = 1000), so that weighed and
// fractional quantities are exact. In JSON it is a decimal number: 1, 2.5.
type Quantity int64

// Units returns q as a whole count of thousandths.
func (q Quantity) Milli() int64 { return int64(q) }

// Q returns a Quantity of n whole units.
func Q(n int64) Quantity { return Quantity(n * 1000) }

// String renders q as a decimal without trailing zeros.
func (q Quantity) String() string {
	s := FormatMinor(int64(q), 3)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes q as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON reads a JSON number or a decimal string with at most three
// decimals.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQuantity parses a decimal such as "2", "0.5" or "1.250".
func ParseQuantity(s string) (Quantity, error) {
	v, err := parseFixed(s, 3)
	if err != nil {
		return 0, fmt.Errorf("quantity %q: %w", s, err)
	}
	return Quantity(v), nil
}

// parseFixed parses a decimal string into an integer scaled by 10^digits,
// refusing more decimals than digits and values that overflow.
func parseFixed(s string, digits int) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, fmt.Errorf("not a number")
	}
	if len(frac) > digits {
		if strings.Trim(frac[digits:], "0") != "" {
			return 0, fmt.Errorf("more than %d decimals", digits)
		}
		frac = frac[:digits]
	}
	for len(frac) < digits {
		frac += "0"
	}
	if intPart == "" {
		intPart = "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a number")
		}
	}
	v, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("out of range")
	}
	if neg {
		v = -v
	}
	return v, nil
}

// MulQty returns unit*q rounded half away from zero to whole minor units,
// and false on overflow.
func MulQty(unit int64, q Quantity) (int64, bool) {
	if unit == 0 || q == 0 {
		return 0, true
	}
	p := unit * int64(q)
	if p/int64(q) != unit || p == math.MinInt64 {
		return 0, false
	}
	r := p / 1000
	rem := p % 1000
	if rem >= 500 {
		r++
	} else if rem <= -500 {
		r--
	}
	return r, true
}
