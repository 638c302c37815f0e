package model

import (
	"strings"
	"testing"

	"golang.org/x/text/currency"
)

// TestCurrencyTable checks the ISO 4217 table against
// golang.org/x/text/currency (what ValidCurrency and MinorDigits used
// before) for every three-letter code, in upper, lower and mixed case, and
// a few malformed ones.
func TestCurrencyTable(t *testing.T) {
	xtext := func(code string) (int, bool) {
		u, err := currency.ParseISO(code)
		if err != nil {
			return 2, false
		}
		d, _ := currency.Standard.Rounding(u)
		return d, true
	}
	known := 0
	check := func(code string) {
		wantDigits, wantOK := xtext(code)
		if _, ok := lookupCurrency(code); ok != wantOK {
			t.Errorf("lookupCurrency(%q) known = %v, x/text says %v", code, ok, wantOK)
		}
		if got := MinorDigits(code); got != wantDigits {
			t.Errorf("MinorDigits(%q) = %d, x/text says %d", code, got, wantDigits)
		}
		if got, want := ValidCurrency(code), wantOK && strings.ToUpper(code) == code; got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", code, got, want)
		}
	}
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			for c := byte('A'); c <= 'Z'; c++ {
				code := string([]byte{a, b, c})
				if _, ok := lookupCurrency(code); ok {
					known++
				}
				check(code)
				check(strings.ToLower(code))
				check(string([]byte{a, b + 'a' - 'A', c}))
			}
		}
	}
	if known != 300 {
		t.Errorf("%d codes known, want 300", known)
	}
	for _, code := range []string{"", "US", "USDX", "X1Y", "U$D", "ÜSD", "usd ", " usd"} {
		check(code)
	}
}
