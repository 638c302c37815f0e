package model

import "time"

// PaymentMethod is how a payment was made.
type PaymentMethod string

// Payment methods.
const (
	MethodCard     PaymentMethod = "card"
	MethodCash     PaymentMethod = "cash"
	MethodGiftCard PaymentMethod = "gift_card"
	MethodWallet   PaymentMethod = "wallet"
	MethodOther    PaymentMethod = "other"
)

// PaymentStatus is where a payment stands.
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending    PaymentStatus = "pending"
	PaymentAuthorized PaymentStatus = "authorized"
	PaymentCompleted  PaymentStatus = "completed"
	PaymentFailed     PaymentStatus = "failed"
	PaymentCanceled   PaymentStatus = "canceled"
)

// Payment is money received for an order. Amount excludes the tip.
type Payment struct {
	ID        string        `json:"id"`
	Source    Source        `json:"source"`
	OrderID   string        `json:"order_id,omitempty"` // the Aura order id, when known
	Method    PaymentMethod `json:"method"`
	Amount    Money         `json:"amount"`
	Tip       Money         `json:"tip,omitzero"`
	CardBrand string        `json:"card_brand,omitempty"`
	Last4     string        `json:"last4,omitempty"`
	Status    PaymentStatus `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
}

// Total returns amount plus tip.
func (p *Payment) Total() Money {
	return Money{Amount: p.Amount.Amount + p.Tip.Amount, Currency: p.Amount.Currency}
}

// Refund is money returned against a payment.
type Refund struct {
	ID        string        `json:"id"`
	Source    Source        `json:"source"`
	PaymentID string        `json:"payment_id,omitempty"`
	Amount    Money         `json:"amount"`
	Reason    string        `json:"reason,omitempty"`
	Status    PaymentStatus `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
}

var (
	methods  = []string{string(MethodCard), string(MethodCash), string(MethodGiftCard), string(MethodWallet), string(MethodOther)}
	statuses = []string{string(PaymentPending), string(PaymentAuthorized), string(PaymentCompleted), string(PaymentFailed), string(PaymentCanceled)}
)

// Validate returns every problem of a stand-alone payment.
func (p *Payment) Validate() Problems { return p.validate("") }

func (p *Payment) validate(want string) Problems {
	var ps Problems
	c := checker{&ps}
	c.source("source", p.Source)
	c.oneOf("method", string(p.Method), methods...)
	c.oneOf("status", string(p.Status), statuses...)
	if !ValidCurrency(p.Amount.Currency) {
		c.add("amount.currency", "unknown currency %q", p.Amount.Currency)
	} else {
		c.money("amount", p.Amount, want, false)
		c.money("tip", p.Tip, p.Amount.Currency, false)
	}
	if p.Last4 != "" {
		ok := len(p.Last4) == 4
		for _, r := range p.Last4 {
			ok = ok && r >= '0' && r <= '9'
		}
		if !ok {
			c.add("last4", "must be four digits (got %q)", p.Last4)
		}
	}
	if p.CreatedAt.IsZero() {
		c.add("created_at", "is required")
	}
	return ps
}

// Validate returns every problem of a stand-alone refund.
func (r *Refund) Validate() Problems { return r.validate("") }

func (r *Refund) validate(want string) Problems {
	var ps Problems
	c := checker{&ps}
	c.source("source", r.Source)
	c.oneOf("status", string(r.Status), statuses...)
	if !ValidCurrency(r.Amount.Currency) {
		c.add("amount.currency", "unknown currency %q", r.Amount.Currency)
	} else {
		c.money("amount", r.Amount, want, false)
	}
	if r.CreatedAt.IsZero() {
		c.add("created_at", "is required")
	}
	return ps
}
