package clover

import "encoding/json"

// Clover platform REST shapes (docs.clover.com, cross-checked with
// clover-android-sdk field names). Money is integer cents (minor units),
// tax rates are scaled by 100000, unitQty by 1000. Collections are wrapped
// as {"elements": [...]}.

type elements[T any] struct {
	Elements []T `json:"elements"`
}

type ref struct {
	ID string `json:"id"`
}

type cOrder struct {
	ID                string              `json:"id"`
	Currency          string              `json:"currency"`
	Total             int64               `json:"total"`
	State             string              `json:"state"`
	PaymentState      string              `json:"paymentState"`
	Title             string              `json:"title"`
	Note              string              `json:"note"`
	IsVat             bool                `json:"isVat"`
	TaxRemoved        bool                `json:"taxRemoved"`
	CreatedTime       int64               `json:"createdTime"`
	ClientCreatedTime int64               `json:"clientCreatedTime"`
	ModifiedTime      int64               `json:"modifiedTime"`
	LineItems         elements[cLineItem] `json:"lineItems"`
	Discounts         elements[cDiscount] `json:"discounts"`
	ServiceCharge     *cServiceCharge     `json:"serviceCharge"`
	Payments          elements[cPayment]  `json:"payments"`
	Refunds           elements[cRefund]   `json:"refunds"`
}

type cLineItem struct {
	ID            string                  `json:"id"`
	Item          *ref                    `json:"item"`
	Name          string                  `json:"name"`
	Price         int64                   `json:"price"`
	UnitQty       *int64                  `json:"unitQty"`
	Note          string                  `json:"note"`
	Modifications elements[cModification] `json:"modifications"`
	Discounts     elements[cDiscount]     `json:"discounts"`
	TaxRates      elements[cTaxRate]      `json:"taxRates"`
}

type cModification struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Amount   int64  `json:"amount"`
	Modifier *ref   `json:"modifier"`
}

// cDiscount is a line or order discount: either an amount (negative cents
// in Clover's data; verify) or a percentage.
type cDiscount struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Amount     *int64      `json:"amount"`
	Percentage json.Number `json:"percentage"`
	Discount   *ref        `json:"discount"`
}

type cTaxRate struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Rate      int64  `json:"rate"`      // percent x 100000
	TaxAmount int64  `json:"taxAmount"` // flat tax per unit (verify)
}

// cServiceCharge is the order's (legacy, single) service charge:
// percentageDecimal is percent x 10000 (verify).
type cServiceCharge struct {
	ID                string      `json:"id"`
	Name              string      `json:"name"`
	Enabled           *bool       `json:"enabled"`
	Percentage        json.Number `json:"percentage"`
	PercentageDecimal *int64      `json:"percentageDecimal"`
}

type cPayment struct {
	ID                string    `json:"id"`
	Order             *ref      `json:"order"`
	Amount            int64     `json:"amount"`
	TipAmount         int64     `json:"tipAmount"`
	TaxAmount         int64     `json:"taxAmount"`
	Result            string    `json:"result"`
	Tender            *cTender  `json:"tender"`
	CardTransaction   *cCardTxn `json:"cardTransaction"`
	CreatedTime       int64     `json:"createdTime"`
	ClientCreatedTime int64     `json:"clientCreatedTime"`
	ModifiedTime      int64     `json:"modifiedTime"`
}

type cTender struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	LabelKey string `json:"labelKey"`
}

type cCardTxn struct {
	CardType string `json:"cardType"`
	Last4    string `json:"last4"`
}

type cRefund struct {
	ID          string `json:"id"`
	Amount      int64  `json:"amount"`
	TaxAmount   int64  `json:"taxAmount"`
	TipAmount   int64  `json:"tipAmount"`
	CreatedTime int64  `json:"createdTime"`
	Payment     *ref   `json:"payment"`
	Voided      bool   `json:"voided"`
}

// Catalog write payloads. Field sets are exactly what PushMenu sends.

type itemPayload struct {
	Name            string `json:"name"`
	Price           int64  `json:"price"`
	PriceType       string `json:"priceType"`
	SKU             string `json:"sku,omitempty"`
	Hidden          bool   `json:"hidden"`
	Available       bool   `json:"available"`
	DefaultTaxRates bool   `json:"defaultTaxRates"`
}

type groupPayload struct {
	Name        string `json:"name"`
	MinRequired int    `json:"minRequired"`
	MaxAllowed  *int   `json:"maxAllowed,omitempty"`
}

type modifierPayload struct {
	Name      string `json:"name"`
	Price     int64  `json:"price"`
	Available bool   `json:"available"`
}

type taxPayload struct {
	Name      string `json:"name"`
	Rate      int64  `json:"rate"`
	IsDefault bool   `json:"isDefault"`
}

type itemGroupLink struct {
	ModifierGroup ref `json:"modifierGroup"`
	Item          ref `json:"item"`
}

type taxItemLink struct {
	Item    ref `json:"item"`
	TaxRate ref `json:"taxRate"`
}

// created is what Clover answers to a create or update.
type created struct {
	ID           string `json:"id"`
	ModifiedTime int64  `json:"modifiedTime"`
}
