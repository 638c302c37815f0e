package customtest

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Order is an Acme order as the API serves it. Money is decimal strings in
// major units ("4.50").
type Order struct {
	ID            string     `json:"id"`
	Number        string     `json:"number"`
	ExternalID    string     `json:"external_id,omitempty"` // set by orders created through the API
	Status        string     `json:"status"`                // open, closed, voided
	LocationID    string     `json:"location_id"`
	Currency      string     `json:"currency"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Note          string     `json:"note,omitempty"`
	Lines         []Line     `json:"lines"`
	Discounts     []Discount `json:"discounts"`
	Taxes         []Tax      `json:"taxes"`
	Fees          []Fee      `json:"fees"`
	Tip           string     `json:"tip"`
	Subtotal      string     `json:"subtotal"`
	DiscountTotal string     `json:"discount_total"`
	TaxTotal      string     `json:"tax_total"`
	Total         string     `json:"total"`
	Payments      []Payment  `json:"payments"`
}

// Line is one order line. Quantity is a decimal string ("1.5" kg).
type Line struct {
	ID        string     `json:"id"`
	ItemID    string     `json:"item_id,omitempty"` // the id the item was written under
	SKU       string     `json:"sku,omitempty"`
	Name      string     `json:"name"`
	Variant   string     `json:"variant,omitempty"`
	Quantity  string     `json:"quantity"`
	UnitPrice string     `json:"unit_price"`
	Options   []Modifier `json:"options"`
}

// Modifier is a chosen option (Acme calls them options), priced per unit of the line.
type Modifier struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Price    string `json:"price"`
	Quantity int    `json:"quantity"`
}

// Discount is an amount off the order (LineID empty) or one line.
type Discount struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	LineID string `json:"line_id,omitempty"`
	Amount string `json:"amount"`
}

// Tax is a tax charged on the order. Amount is computed from Rate when
// empty; Included taxes are part of the prices.
type Tax struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Rate     string `json:"rate"`
	Amount   string `json:"amount"`
	Included bool   `json:"included"`
}

// Fee is a service fee.
type Fee struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Amount string `json:"amount"`
}

// Payment is a tender on an order. Amount excludes Tip.
type Payment struct {
	ID        string    `json:"id"`
	Method    string    `json:"method"` // card, cash, gift_card, wallet
	CardBrand string    `json:"card_brand,omitempty"`
	Last4     string    `json:"last4,omitempty"`
	Amount    string    `json:"amount"`
	Tip       string    `json:"tip"`
	Status    string    `json:"status"` // captured, authorized, pending, failed, voided
	CreatedAt time.Time `json:"created_at"`
}

// Card is a captured card payment.
func Card(id, amount, tip string) Payment {
	return Payment{ID: id, Method: "card", CardBrand: "visa", Last4: "4242", Amount: amount, Tip: tip, Status: "captured"}
}

// Cash is a captured cash payment.
func Cash(id, amount string) Payment {
	return Payment{ID: id, Method: "cash", Amount: amount, Tip: "0.00", Status: "captured"}
}

// digits is Acme's table of minor-unit digits (kept apart from the
// adapter's model package on purpose).
func digits(cur string) int {
	switch cur {
	case "JPY", "KRW", "CLP", "ISK", "VND":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND":
		return 3
	}
	return 2
}

func rat(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return new(big.Rat), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal", s)
	}
	return r, nil
}

// round rounds r to d decimals, half away from zero.
func round(r *big.Rat, d int) *big.Rat {
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
	x := new(big.Rat).Mul(r, scale)
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return new(big.Rat).Quo(new(big.Rat).SetInt(q), scale)
}

// ComputeTotals fills o's tax amounts (when empty) and its subtotal,
// discount_total, tax_total and total with Acme's rules: each line is
// round(quantity x unit price) plus, per option, round(quantity x option
// quantity x option price), rounded half away from zero; taxes apply to the
// subtotal less discounts (added on top, or contained for included taxes);
// total = subtotal - discounts + added taxes + fees + tip.
func ComputeTotals(o *Order) error {
	d := digits(o.Currency)
	sub := new(big.Rat)
	for _, l := range o.Lines {
		q, err := rat(l.Quantity)
		if err != nil {
			return err
		}
		u, err := rat(l.UnitPrice)
		if err != nil {
			return err
		}
		sub.Add(sub, round(new(big.Rat).Mul(q, u), d))
		for _, op := range l.Options {
			p, err := rat(op.Price)
			if err != nil {
				return err
			}
			per := new(big.Rat).Mul(p, big.NewRat(int64(max(op.Quantity, 1)), 1))
			sub.Add(sub, round(new(big.Rat).Mul(q, per), d))
		}
	}
	disc := new(big.Rat)
	for _, x := range o.Discounts {
		a, err := rat(x.Amount)
		if err != nil {
			return err
		}
		disc.Add(disc, a)
	}
	taxable := new(big.Rat).Sub(sub, disc)
	if taxable.Sign() < 0 {
		taxable.SetInt64(0)
	}
	taxAll, taxAdded := new(big.Rat), new(big.Rat)
	for i := range o.Taxes {
		t := &o.Taxes[i]
		if t.Amount == "" {
			r, err := rat(t.Rate)
			if err != nil {
				return err
			}
			var amt *big.Rat
			if t.Included {
				amt = new(big.Rat).Mul(taxable, new(big.Rat).Quo(r, new(big.Rat).Add(r, big.NewRat(100, 1))))
			} else {
				amt = new(big.Rat).Mul(taxable, new(big.Rat).Quo(r, big.NewRat(100, 1)))
			}
			t.Amount = round(amt, d).FloatString(d)
		}
		a, err := rat(t.Amount)
		if err != nil {
			return err
		}
		taxAll.Add(taxAll, a)
		if !t.Included {
			taxAdded.Add(taxAdded, a)
		}
	}
	fees := new(big.Rat)
	for _, f := range o.Fees {
		a, err := rat(f.Amount)
		if err != nil {
			return err
		}
		fees.Add(fees, a)
	}
	tip, err := rat(o.Tip)
	if err != nil {
		return err
	}
	total := new(big.Rat).Sub(sub, disc)
	total.Add(total, taxAdded).Add(total, fees).Add(total, tip)
	o.Subtotal = sub.FloatString(d)
	o.DiscountTotal = disc.FloatString(d)
	o.TaxTotal = taxAll.FloatString(d)
	o.Tip = tip.FloatString(d)
	o.Total = total.FloatString(d)
	return nil
}

// Sub returns a - b for decimal strings, formatted with the currency's
// digits (handy for split payments: Sub(o.Total, o.Tip)).
func Sub(a, b, currency string) string {
	x, _ := rat(a)
	y, _ := rat(b)
	if x == nil || y == nil {
		return ""
	}
	return new(big.Rat).Sub(x, y).FloatString(digits(currency))
}
