package squaretest

// Square API objects as the stand-in stores and returns them: the subset of
// api.json (Square-Version 2025-08-20) the stand-in supports. They are
// written independently of the adapter's own wire types on purpose, so
// that a misreading in one shows up as a failing test.

// Money is Square's Money.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Error is one entry of Square's error body.
type Error struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Detail   string `json:"detail,omitempty"`
	Field    string `json:"field,omitempty"`
}

// --- Catalog ---

// CatalogObject is a catalog object. Items embed their variations and
// modifier lists their modifiers, as Square returns them.
type CatalogObject struct {
	Type                  string                `json:"type"`
	ID                    string                `json:"id"`
	UpdatedAt             string                `json:"updated_at,omitempty"`
	Version               int64                 `json:"version,omitempty"`
	IsDeleted             bool                  `json:"is_deleted"`
	PresentAtAllLocations *bool                 `json:"present_at_all_locations,omitempty"`
	PresentAtLocationIDs  []string              `json:"present_at_location_ids,omitempty"`
	AbsentAtLocationIDs   []string              `json:"absent_at_location_ids,omitempty"`
	ItemData              *CatalogItem          `json:"item_data,omitempty"`
	ItemVariationData     *CatalogItemVariation `json:"item_variation_data,omitempty"`
	ModifierListData      *CatalogModifierList  `json:"modifier_list_data,omitempty"`
	ModifierData          *CatalogModifier      `json:"modifier_data,omitempty"`
	TaxData               *CatalogTax           `json:"tax_data,omitempty"`
	CategoryData          *CatalogCategory      `json:"category_data,omitempty"`
}

// CatalogItem is item_data.
type CatalogItem struct {
	Name             string                        `json:"name,omitempty"`
	Description      string                        `json:"description,omitempty"`
	Categories       []CatalogObjectCategory       `json:"categories,omitempty"`
	TaxIDs           []string                      `json:"tax_ids,omitempty"`
	ModifierListInfo []CatalogItemModifierListInfo `json:"modifier_list_info,omitempty"`
	Variations       []CatalogObject               `json:"variations,omitempty"`
	IsArchived       *bool                         `json:"is_archived,omitempty"`
	ProductType      string                        `json:"product_type,omitempty"`
}

// CatalogObjectCategory is a category reference.
type CatalogObjectCategory struct {
	ID string `json:"id"`
}

// CatalogItemModifierListInfo links an item to a modifier list.
type CatalogItemModifierListInfo struct {
	ModifierListID       string `json:"modifier_list_id"`
	MinSelectedModifiers *int64 `json:"min_selected_modifiers,omitempty"`
	MaxSelectedModifiers *int64 `json:"max_selected_modifiers,omitempty"`
	Enabled              *bool  `json:"enabled,omitempty"`
}

// CatalogItemVariation is item_variation_data.
type CatalogItemVariation struct {
	ItemID      string `json:"item_id,omitempty"`
	Name        string `json:"name,omitempty"`
	SKU         string `json:"sku,omitempty"`
	Ordinal     int    `json:"ordinal,omitempty"`
	PricingType string `json:"pricing_type,omitempty"`
	PriceMoney  *Money `json:"price_money,omitempty"`
}

// CatalogModifierList is modifier_list_data.
type CatalogModifierList struct {
	Name                 string          `json:"name,omitempty"`
	SelectionType        string          `json:"selection_type,omitempty"`
	MinSelectedModifiers *int64          `json:"min_selected_modifiers,omitempty"`
	MaxSelectedModifiers *int64          `json:"max_selected_modifiers,omitempty"`
	Modifiers            []CatalogObject `json:"modifiers,omitempty"`
}

// CatalogModifier is modifier_data.
type CatalogModifier struct {
	Name           string `json:"name,omitempty"`
	PriceMoney     *Money `json:"price_money,omitempty"`
	ModifierListID string `json:"modifier_list_id,omitempty"`
}

// CatalogTax is tax_data.
type CatalogTax struct {
	Name             string `json:"name,omitempty"`
	CalculationPhase string `json:"calculation_phase,omitempty"`
	InclusionType    string `json:"inclusion_type,omitempty"`
	Percentage       string `json:"percentage,omitempty"`
	Enabled          *bool  `json:"enabled,omitempty"`
}

// CatalogCategory is category_data.
type CatalogCategory struct {
	Name string `json:"name,omitempty"`
}

// --- Orders ---

// Order is a Square order with its read-only totals filled in.
type Order struct {
	ID                      string              `json:"id"`
	LocationID              string              `json:"location_id"`
	ReferenceID             string              `json:"reference_id,omitempty"`
	Source                  *OrderSource        `json:"source,omitempty"`
	LineItems               []LineItem          `json:"line_items,omitempty"`
	Taxes                   []OrderTax          `json:"taxes,omitempty"`
	Discounts               []OrderDiscount     `json:"discounts,omitempty"`
	ServiceCharges          []ServiceCharge     `json:"service_charges,omitempty"`
	Tenders                 []Tender            `json:"tenders,omitempty"`
	Refunds                 []Refund            `json:"refunds,omitempty"`
	NetAmounts              *MoneyAmounts       `json:"net_amounts,omitempty"`
	RoundingAdjustment      *RoundingAdjustment `json:"rounding_adjustment,omitempty"`
	CreatedAt               string              `json:"created_at"`
	UpdatedAt               string              `json:"updated_at"`
	ClosedAt                string              `json:"closed_at,omitempty"`
	State                   string              `json:"state"`
	Version                 int                 `json:"version"`
	TotalMoney              *Money              `json:"total_money"`
	TotalTaxMoney           *Money              `json:"total_tax_money"`
	TotalDiscountMoney      *Money              `json:"total_discount_money"`
	TotalTipMoney           *Money              `json:"total_tip_money"`
	TotalServiceChargeMoney *Money              `json:"total_service_charge_money"`
	NetAmountDueMoney       *Money              `json:"net_amount_due_money,omitempty"`
}

// OrderSource names the channel that created an order.
type OrderSource struct {
	Name string `json:"name,omitempty"`
}

// LineItem is an OrderLineItem.
type LineItem struct {
	UID                      string              `json:"uid"`
	Name                     string              `json:"name,omitempty"`
	Quantity                 string              `json:"quantity"`
	Note                     string              `json:"note,omitempty"`
	CatalogObjectID          string              `json:"catalog_object_id,omitempty"`
	VariationName            string              `json:"variation_name,omitempty"`
	ItemType                 string              `json:"item_type,omitempty"`
	Modifiers                []LineItemModifier  `json:"modifiers,omitempty"`
	AppliedTaxes             []AppliedTax        `json:"applied_taxes,omitempty"`
	AppliedDiscounts         []AppliedDiscount   `json:"applied_discounts,omitempty"`
	BasePriceMoney           *Money              `json:"base_price_money,omitempty"`
	VariationTotalPriceMoney *Money              `json:"variation_total_price_money,omitempty"`
	GrossSalesMoney          *Money              `json:"gross_sales_money,omitempty"`
	TotalTaxMoney            *Money              `json:"total_tax_money,omitempty"`
	TotalDiscountMoney       *Money              `json:"total_discount_money,omitempty"`
	TotalMoney               *Money              `json:"total_money,omitempty"`
	AppliedServiceCharges    []AppliedServiceChg `json:"applied_service_charges,omitempty"`
	TotalServiceChargeMoney  *Money              `json:"total_service_charge_money,omitempty"`
}

// LineItemModifier is an OrderLineItemModifier.
type LineItemModifier struct {
	UID             string `json:"uid"`
	CatalogObjectID string `json:"catalog_object_id,omitempty"`
	Name            string `json:"name,omitempty"`
	Quantity        string `json:"quantity,omitempty"`
	BasePriceMoney  *Money `json:"base_price_money,omitempty"`
	TotalPriceMoney *Money `json:"total_price_money,omitempty"`
}

// AppliedTax is an OrderLineItemAppliedTax.
type AppliedTax struct {
	UID          string `json:"uid"`
	TaxUID       string `json:"tax_uid"`
	AppliedMoney *Money `json:"applied_money"`
}

// AppliedDiscount is an OrderLineItemAppliedDiscount.
type AppliedDiscount struct {
	UID          string `json:"uid"`
	DiscountUID  string `json:"discount_uid"`
	AppliedMoney *Money `json:"applied_money"`
}

// AppliedServiceChg is an OrderLineItemAppliedServiceCharge.
type AppliedServiceChg struct {
	UID              string `json:"uid"`
	ServiceChargeUID string `json:"service_charge_uid"`
	AppliedMoney     *Money `json:"applied_money"`
}

// OrderTax is an OrderLineItemTax.
type OrderTax struct {
	UID          string `json:"uid"`
	Name         string `json:"name,omitempty"`
	Type         string `json:"type"`
	Percentage   string `json:"percentage,omitempty"`
	Scope        string `json:"scope"`
	AppliedMoney *Money `json:"applied_money"`
}

// OrderDiscount is an OrderLineItemDiscount.
type OrderDiscount struct {
	UID          string `json:"uid"`
	Name         string `json:"name,omitempty"`
	Type         string `json:"type"`
	Percentage   string `json:"percentage,omitempty"`
	AmountMoney  *Money `json:"amount_money,omitempty"`
	AppliedMoney *Money `json:"applied_money"`
	Scope        string `json:"scope"`
}

// ServiceCharge is an OrderServiceCharge.
type ServiceCharge struct {
	UID              string       `json:"uid"`
	Name             string       `json:"name,omitempty"`
	Percentage       string       `json:"percentage,omitempty"`
	AmountMoney      *Money       `json:"amount_money,omitempty"`
	AppliedMoney     *Money       `json:"applied_money"`
	TotalMoney       *Money       `json:"total_money"`
	TotalTaxMoney    *Money       `json:"total_tax_money"`
	CalculationPhase string       `json:"calculation_phase"`
	Taxable          bool         `json:"taxable"`
	AppliedTaxes     []AppliedTax `json:"applied_taxes,omitempty"`
	Type             string       `json:"type,omitempty"`
	TreatmentType    string       `json:"treatment_type,omitempty"`
	Scope            string       `json:"scope,omitempty"`
}

// RoundingAdjustment is an OrderRoundingAdjustment.
type RoundingAdjustment struct {
	UID         string `json:"uid"`
	Name        string `json:"name,omitempty"`
	AmountMoney *Money `json:"amount_money"`
}

// MoneyAmounts is OrderMoneyAmounts.
type MoneyAmounts struct {
	TotalMoney         *Money `json:"total_money"`
	TaxMoney           *Money `json:"tax_money"`
	DiscountMoney      *Money `json:"discount_money"`
	TipMoney           *Money `json:"tip_money"`
	ServiceChargeMoney *Money `json:"service_charge_money"`
}

// Tender is one payment towards an order. AmountMoney includes TipMoney.
type Tender struct {
	ID            string             `json:"id"`
	LocationID    string             `json:"location_id,omitempty"`
	TransactionID string             `json:"transaction_id,omitempty"`
	CreatedAt     string             `json:"created_at,omitempty"`
	AmountMoney   *Money             `json:"amount_money"`
	TipMoney      *Money             `json:"tip_money,omitempty"`
	Type          string             `json:"type"`
	CardDetails   *TenderCardDetails `json:"card_details,omitempty"`
	CashDetails   *TenderCashDetails `json:"cash_details,omitempty"`
	PaymentID     string             `json:"payment_id,omitempty"`
}

// TenderCardDetails is a card tender's details.
type TenderCardDetails struct {
	Status      string `json:"status,omitempty"`
	Card        *Card  `json:"card,omitempty"`
	EntryMethod string `json:"entry_method,omitempty"`
}

// TenderCashDetails is a cash tender's details.
type TenderCashDetails struct {
	BuyerTenderedMoney *Money `json:"buyer_tendered_money,omitempty"`
	ChangeBackMoney    *Money `json:"change_back_money,omitempty"`
}

// Card is a payment card as Square shows it.
type Card struct {
	CardBrand string `json:"card_brand,omitempty"`
	Last4     string `json:"last_4,omitempty"`
}

// Refund is an order refund.
type Refund struct {
	ID          string `json:"id"`
	LocationID  string `json:"location_id"`
	TenderID    string `json:"tender_id,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
	Reason      string `json:"reason"`
	AmountMoney *Money `json:"amount_money"`
	Status      string `json:"status"`
}

// Payment is a Square Payment.
type Payment struct {
	ID           string              `json:"id"`
	CreatedAt    string              `json:"created_at"`
	UpdatedAt    string              `json:"updated_at"`
	AmountMoney  *Money              `json:"amount_money"`
	TipMoney     *Money              `json:"tip_money,omitempty"`
	TotalMoney   *Money              `json:"total_money"`
	Status       string              `json:"status"`
	SourceType   string              `json:"source_type"`
	CardDetails  *CardPaymentDetails `json:"card_details,omitempty"`
	LocationID   string              `json:"location_id"`
	OrderID      string              `json:"order_id,omitempty"`
	VersionToken string              `json:"version_token,omitempty"`
}

// CardPaymentDetails is a card payment's details.
type CardPaymentDetails struct {
	Status      string `json:"status,omitempty"`
	Card        *Card  `json:"card,omitempty"`
	EntryMethod string `json:"entry_method,omitempty"`
}

// Location is a Square location (the fields the stand-in fills).
type Location struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Currency   string `json:"currency"`
	MerchantID string `json:"merchant_id"`
	Timezone   string `json:"timezone"`
}
