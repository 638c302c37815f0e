package square

// Wire types: the subset of Square's API objects (api.json, Square-Version
// 2025-08-20) that the adapter sends or reads. Field names follow the spec;
// optional fields are pointers or omitempty so that nothing the spec marks
// readOnly is ever sent.

// money is Square's Money: an integer amount in the currency's smallest unit.
type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
}

func (m *money) amount() int64 {
	if m == nil {
		return 0
	}
	return m.Amount
}

func (m *money) currency() string {
	if m == nil {
		return ""
	}
	return m.Currency
}

// sqError is one entry of Square's {"errors": [...]} body.
type sqError struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Detail   string `json:"detail,omitempty"`
	Field    string `json:"field,omitempty"`
}

type errorBody struct {
	Errors []sqError `json:"errors"`
}

// --- Catalog ---

type catalogObject struct {
	Type                  string                `json:"type"`
	ID                    string                `json:"id"`
	Version               int64                 `json:"version,omitempty"`
	IsDeleted             bool                  `json:"is_deleted,omitempty"`
	PresentAtAllLocations *bool                 `json:"present_at_all_locations,omitempty"`
	ItemData              *catalogItem          `json:"item_data,omitempty"`
	ItemVariationData     *catalogItemVariation `json:"item_variation_data,omitempty"`
	ModifierListData      *catalogModifierList  `json:"modifier_list_data,omitempty"`
	ModifierData          *catalogModifier      `json:"modifier_data,omitempty"`
	TaxData               *catalogTax           `json:"tax_data,omitempty"`
	CategoryData          *catalogCategory      `json:"category_data,omitempty"`
}

type catalogItem struct {
	Name             string                    `json:"name"`
	Description      string                    `json:"description,omitempty"`
	Categories       []catalogObjectCategory   `json:"categories,omitempty"`
	TaxIDs           []string                  `json:"tax_ids,omitempty"`
	ModifierListInfo []catalogItemModifierList `json:"modifier_list_info,omitempty"`
	Variations       []catalogObject           `json:"variations,omitempty"`
	IsArchived       *bool                     `json:"is_archived,omitempty"`
	ProductType      string                    `json:"product_type,omitempty"`
}

type catalogObjectCategory struct {
	ID string `json:"id"`
}

type catalogItemModifierList struct {
	ModifierListID string `json:"modifier_list_id"`
	Enabled        *bool  `json:"enabled,omitempty"`
}

type catalogItemVariation struct {
	ItemID      string `json:"item_id,omitempty"`
	Name        string `json:"name"`
	SKU         string `json:"sku,omitempty"`
	PricingType string `json:"pricing_type,omitempty"`
	PriceMoney  *money `json:"price_money,omitempty"`
}

type catalogModifierList struct {
	Name                 string          `json:"name"`
	SelectionType        string          `json:"selection_type,omitempty"`
	MinSelectedModifiers *int64          `json:"min_selected_modifiers,omitempty"`
	MaxSelectedModifiers *int64          `json:"max_selected_modifiers,omitempty"`
	Modifiers            []catalogObject `json:"modifiers,omitempty"`
}

type catalogModifier struct {
	Name           string `json:"name"`
	PriceMoney     *money `json:"price_money,omitempty"`
	ModifierListID string `json:"modifier_list_id,omitempty"`
}

type catalogTax struct {
	Name             string `json:"name"`
	CalculationPhase string `json:"calculation_phase,omitempty"`
	InclusionType    string `json:"inclusion_type,omitempty"`
	Percentage       string `json:"percentage,omitempty"`
	Enabled          *bool  `json:"enabled,omitempty"`
}

type catalogCategory struct {
	Name string `json:"name"`
}

type batchUpsertRequest struct {
	IdempotencyKey string         `json:"idempotency_key"`
	Batches        []catalogBatch `json:"batches"`
}

type catalogBatch struct {
	Objects []catalogObject `json:"objects"`
}

type idMapping struct {
	ClientObjectID string `json:"client_object_id"`
	ObjectID       string `json:"object_id"`
}

type batchUpsertResponse struct {
	Errors     []sqError       `json:"errors"`
	Objects    []catalogObject `json:"objects"`
	IDMappings []idMapping     `json:"id_mappings"`
}

type batchRetrieveCatalogRequest struct {
	ObjectIDs []string `json:"object_ids"`
}

type batchRetrieveCatalogResponse struct {
	Errors  []sqError       `json:"errors"`
	Objects []catalogObject `json:"objects"`
}

// --- Orders ---

type order struct {
	ID          string `json:"id"`
	LocationID  string `json:"location_id"`
	ReferenceID string `json:"reference_id"`
	Source      *struct {
		Name string `json:"name"`
	} `json:"source"`
	TicketName              string               `json:"ticket_name"`
	State                   string               `json:"state"`
	Version                 int64                `json:"version"`
	CreatedAt               string               `json:"created_at"`
	UpdatedAt               string               `json:"updated_at"`
	ClosedAt                string               `json:"closed_at"`
	LineItems               []orderLineItem      `json:"line_items"`
	Taxes                   []orderTax           `json:"taxes"`
	Discounts               []orderDiscount      `json:"discounts"`
	ServiceCharges          []orderServiceCharge `json:"service_charges"`
	Tenders                 []tender             `json:"tenders"`
	Refunds                 []orderRefund        `json:"refunds"`
	RoundingAdjustment      *roundingAdjustment  `json:"rounding_adjustment"`
	TotalMoney              *money               `json:"total_money"`
	TotalTaxMoney           *money               `json:"total_tax_money"`
	TotalDiscountMoney      *money               `json:"total_discount_money"`
	TotalTipMoney           *money               `json:"total_tip_money"`
	TotalServiceChargeMoney *money               `json:"total_service_charge_money"`
}

type orderLineItem struct {
	UID                      string                  `json:"uid"`
	Name                     string                  `json:"name"`
	Quantity                 string                  `json:"quantity"`
	Note                     string                  `json:"note"`
	CatalogObjectID          string                  `json:"catalog_object_id"`
	VariationName            string                  `json:"variation_name"`
	ItemType                 string                  `json:"item_type"`
	Modifiers                []orderLineItemModifier `json:"modifiers"`
	AppliedTaxes             []appliedRef            `json:"applied_taxes"`
	AppliedDiscounts         []appliedRef            `json:"applied_discounts"`
	BasePriceMoney           *money                  `json:"base_price_money"`
	VariationTotalPriceMoney *money                  `json:"variation_total_price_money"`
	GrossSalesMoney          *money                  `json:"gross_sales_money"`
	TotalMoney               *money                  `json:"total_money"`
}

type orderLineItemModifier struct {
	UID             string `json:"uid"`
	CatalogObjectID string `json:"catalog_object_id"`
	Name            string `json:"name"`
	Quantity        string `json:"quantity"`
	BasePriceMoney  *money `json:"base_price_money"`
	TotalPriceMoney *money `json:"total_price_money"`
}

// appliedRef is OrderLineItemAppliedTax / OrderLineItemAppliedDiscount.
type appliedRef struct {
	UID          string `json:"uid"`
	TaxUID       string `json:"tax_uid"`
	DiscountUID  string `json:"discount_uid"`
	AppliedMoney *money `json:"applied_money"`
}

type orderTax struct {
	UID          string `json:"uid"`
	Name         string `json:"name"`
	Type         string `json:"type"` // ADDITIVE, INCLUSIVE, UNKNOWN_TAX
	Percentage   string `json:"percentage"`
	Scope        string `json:"scope"`
	AppliedMoney *money `json:"applied_money"`
}

type orderDiscount struct {
	UID          string `json:"uid"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Percentage   string `json:"percentage"`
	AmountMoney  *money `json:"amount_money"`
	AppliedMoney *money `json:"applied_money"`
	Scope        string `json:"scope"`
}

type orderServiceCharge struct {
	UID           string       `json:"uid"`
	Name          string       `json:"name"`
	Percentage    string       `json:"percentage"`
	AmountMoney   *money       `json:"amount_money"`
	AppliedMoney  *money       `json:"applied_money"`
	TotalMoney    *money       `json:"total_money"`
	TotalTaxMoney *money       `json:"total_tax_money"`
	AppliedTaxes  []appliedRef `json:"applied_taxes"`
}

type roundingAdjustment struct {
	UID         string `json:"uid"`
	Name        string `json:"name"`
	AmountMoney *money `json:"amount_money"`
}

type tender struct {
	ID          string       `json:"id"`
	CreatedAt   string       `json:"created_at"`
	Type        string       `json:"type"`
	AmountMoney *money       `json:"amount_money"`
	TipMoney    *money       `json:"tip_money"`
	CardDetails *cardDetails `json:"card_details"`
	PaymentID   string       `json:"payment_id"`
}

type cardDetails struct {
	Status string `json:"status"`
	Card   *card  `json:"card"`
}

type card struct {
	CardBrand string `json:"card_brand"`
	Last4     string `json:"last_4"`
}

type orderRefund struct {
	ID          string `json:"id"`
	TenderID    string `json:"tender_id"`
	CreatedAt   string `json:"created_at"`
	Reason      string `json:"reason"`
	AmountMoney *money `json:"amount_money"`
	Status      string `json:"status"`
}

type timeRange struct {
	StartAt string `json:"start_at,omitempty"`
	EndAt   string `json:"end_at,omitempty"`
}

type searchOrdersRequest struct {
	LocationIDs []string          `json:"location_ids"`
	Cursor      string            `json:"cursor,omitempty"`
	Query       searchOrdersQuery `json:"query"`
	Limit       int               `json:"limit,omitempty"`
}

type searchOrdersQuery struct {
	Filter searchOrdersFilter `json:"filter"`
	Sort   searchOrdersSort   `json:"sort"`
}

type searchOrdersFilter struct {
	StateFilter    *stateFilter   `json:"state_filter,omitempty"`
	DateTimeFilter dateTimeFilter `json:"date_time_filter"`
}

type stateFilter struct {
	States []string `json:"states"`
}

type dateTimeFilter struct {
	UpdatedAt timeRange `json:"updated_at"`
}

type searchOrdersSort struct {
	SortField string `json:"sort_field"`
	SortOrder string `json:"sort_order"`
}

type searchOrdersResponse struct {
	Orders []order   `json:"orders"`
	Cursor string    `json:"cursor"`
	Errors []sqError `json:"errors"`
}

type batchRetrieveOrdersRequest struct {
	OrderIDs []string `json:"order_ids"`
}

type batchRetrieveOrdersResponse struct {
	Orders []order   `json:"orders"`
	Errors []sqError `json:"errors"`
}

// --- Payments ---

type payment struct {
	ID          string       `json:"id"`
	CreatedAt   string       `json:"created_at"`
	UpdatedAt   string       `json:"updated_at"`
	AmountMoney *money       `json:"amount_money"`
	TipMoney    *money       `json:"tip_money"`
	TotalMoney  *money       `json:"total_money"`
	Status      string       `json:"status"`
	SourceType  string       `json:"source_type"`
	CardDetails *cardDetails `json:"card_details"`
	LocationID  string       `json:"location_id"`
	OrderID     string       `json:"order_id"`
	VersionTok  string       `json:"version_token"`
}

type listPaymentsResponse struct {
	Payments []payment `json:"payments"`
	Cursor   string    `json:"cursor"`
	Errors   []sqError `json:"errors"`
}

type getPaymentResponse struct {
	Payment *payment `json:"payment"`
}

// --- OAuth ---

type obtainTokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
}

type obtainTokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresAt    string `json:"expires_at"`
	MerchantID   string `json:"merchant_id"`
	RefreshToken string `json:"refresh_token"`
}
