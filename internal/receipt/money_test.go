package receipt

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		locale string
		m      model.Money
		want   string
	}{
		{"en-US", model.M(450, "USD"), "$4.50"},
		{"en-US", model.M(-450, "USD"), "-$4.50"},
		{"en-US", model.M(5, "USD"), "$0.05"},
		{"en-US", model.M(0, "USD"), "$0.00"},
		{"en-US", model.M(123456789, "USD"), "$1,234,567.89"},
		{"en-US", model.M(450, "JPY"), "¥450"},
		{"en-US", model.M(450, "EUR"), "€4.50"},
		{"en-US", model.M(1234, "BHD"), "BHD 1.234"},
		{"en-US", model.M(450, "CAD"), "CA$4.50"},
		{"en-CA", model.M(450, "CAD"), "$4.50"},
		{"en-CA", model.M(450, "USD"), "US$4.50"},
		{"de-DE", model.M(450, "EUR"), "4,50 €"},
		{"de-DE", model.M(-450, "EUR"), "-4,50 €"},
		{"de-DE", model.M(123456, "EUR"), "1.234,56 €"},
		{"de-DE", model.M(1234567, "JPY"), "1.234.567 ¥"},
		{"de-DE", model.M(450, "USD"), "4,50 US$"},
		{"de-DE", model.M(450, "XAF"), "450 XAF"},
		{"de-CH", model.M(123456, "CHF"), "CHF 1'234.56"},
		{"fr-FR", model.M(123456, "EUR"), "1 234,56 €"},
		{"nl-NL", model.M(450, "EUR"), "€ 4,50"},
		{"pt-BR", model.M(450, "BRL"), "R$ 4,50"},
		{"ja-JP", model.M(1234567, "JPY"), "¥1,234,567"},
		{"sv-SE", model.M(450, "SEK"), "4,50 kr"},
		{"de", model.M(450, "EUR"), "4,50 €"},
		{"de_DE.UTF-8", model.M(450, "EUR"), "4,50 €"},
		{"de-LU", model.M(450, "EUR"), "4,50 €"},
		{"", model.M(450, "USD"), "$4.50"},
		{"en-US", model.M(math.MinInt64, "USD"), "-$92,233,720,368,547,758.08"},
	} {
		l, err := ParseLocale(c.locale)
		if err != nil {
			t.Errorf("%q: %v", c.locale, err)
			continue
		}
		if got := l.Money(c.m); got != c.want {
			t.Errorf("%s %v: got %q, want %q", c.locale, c.m, got, c.want)
		}
	}
}

func TestLocale(t *testing.T) {
	for _, bad := range []string{"xx", "klingon-KL", "de-DEU"} {
		if _, err := ParseLocale(bad); !errors.Is(err, ErrUnknownLocale) {
			t.Errorf("%q: err = %v, want ErrUnknownLocale", bad, err)
		}
	}
	at := time.Date(2026, 8, 14, 15, 4, 0, 0, time.UTC)
	for _, c := range []struct{ locale, time, pct string }{
		{"en-US", "08/14/2026 3:04 PM", "8.875%"},
		{"de-DE", "14.08.2026 15:04", "8,875%"},
		{"en-GB", "14/08/2026 15:04", "8.875%"},
	} {
		l, err := ParseLocale(c.locale)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Time(at); got != c.time {
			t.Errorf("%s time: got %q, want %q", c.locale, got, c.time)
		}
		if got := l.Percent("8.875"); got != c.pct {
			t.Errorf("%s percent: got %q, want %q", c.locale, got, c.pct)
		}
	}
}

func FuzzMoney(f *testing.F) {
	f.Add(int64(450), "USD", "en-US")
	f.Add(int64(-123456), "EUR", "de-DE")
	f.Add(int64(math.MaxInt64), "BHD", "fr-FR")
	f.Fuzz(func(t *testing.T, amount int64, cur, locale string) {
		l, err := ParseLocale(locale)
		if err != nil || !model.ValidCurrency(cur) {
			return // orders with other currencies do not pass validation
		}
		s := l.Money(model.M(amount, cur))
		if s == "" || (amount < 0) != (s[0] == '-') {
			t.Fatalf("%d %s %s: %q", amount, cur, locale, s)
		}
	})
}
