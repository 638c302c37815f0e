package lightspeed

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

func pathEscape(s string) string { return url.PathEscape(s) }

// Wire types. Money fields are decimal.Decimal: its UnmarshalJSON parses the
// number's text exactly (never through float64). Both the flat 2.x line
// shape (price, tax, price_total...) and the nested 2026-07 shape (pricing{},
// tax{}, product{}) are accepted.

type saleCollection struct {
	Data    []json.RawMessage `json:"data"`
	Version struct {
		Min *int64 `json:"min"`
		Max *int64 `json:"max"`
	} `json:"version"`
}

type sale struct {
	ID            string `json:"id"`
	OutletID      string `json:"outlet_id"`
	Date          string `json:"date"`
	SaleDate      string `json:"sale_date"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
	DeletedAt     string `json:"deleted_at"`
	State         string `json:"state"`
	Status        string `json:"status"`
	Version       *int64 `json:"version"`
	ReceiptNumber string `json:"receipt_number"`
	InvoiceNumber string `json:"invoice_number"`
	Note          string `json:"note"`
	ReturnFor     string `json:"return_for"`
	Return        *struct {
		IsReturn       bool   `json:"is_return"`
		OriginalSaleID string `json:"original_sale_id"`
	} `json:"return"`
	Metadata *struct {
		Version *int64 `json:"version"`
	} `json:"_metadata"`
	Source *struct {
		OutletID string `json:"outlet_id"`
		Type     string `json:"type"` // "Aura" on sales InjectOrder created
		ID       string `json:"id"`   // then the Aura order id
	} `json:"source"`
	LineItems   []lineItem       `json:"line_items"`
	Payments    []salePayment    `json:"payments"`
	Taxes       []saleTax        `json:"taxes"`
	Totals      *saleTotals      `json:"totals"`
	TotalPrice  *decimal.Decimal `json:"total_price"` // 2.x flat totals
	TotalTax    *decimal.Decimal `json:"total_tax"`
	Adjustments []adjustment     `json:"adjustments"`
}

func (s *sale) version() (int64, bool) {
	if s.Version != nil {
		return *s.Version, true
	}
	if s.Metadata != nil && s.Metadata.Version != nil {
		return *s.Metadata.Version, true
	}
	return 0, false
}

type saleTotals struct {
	Price        *decimal.Decimal `json:"price"`
	Tax          *decimal.Decimal `json:"tax"`
	PriceInclTax *decimal.Decimal `json:"price_incl_tax"`
	TotalPrice   *decimal.Decimal `json:"total_price"`
	TotalTax     *decimal.Decimal `json:"total_tax"`
}

type saleTax struct {
	ID   string           `json:"id"`
	Name string           `json:"name"`
	Tax  *decimal.Decimal `json:"tax"`
	// older shape
	Amount *decimal.Decimal `json:"amount"`
}

type adjustment struct {
	Type  string           `json:"adjustment_type"`
	Name  string           `json:"name"`
	Total *decimal.Decimal `json:"total"`
}

type lineItem struct {
	ID            string           `json:"id"`
	ProductID     string           `json:"product_id"`
	Name          string           `json:"name"`
	Note          string           `json:"note"`
	Status        string           `json:"status"`
	Sequence      *int             `json:"sequence"`
	Quantity      decimal.Decimal  `json:"quantity"`
	Price         *decimal.Decimal `json:"price"`
	PriceTotal    *decimal.Decimal `json:"price_total"`
	Discount      *decimal.Decimal `json:"discount"`
	DiscountTotal *decimal.Decimal `json:"discount_total"`
	Tax           lineTax          `json:"tax"`
	TaxTotal      *decimal.Decimal `json:"tax_total"`
	TaxID         string           `json:"tax_id"`
	IsReturn      bool             `json:"is_return"`
	Product       *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"product"`
	Pricing *struct {
		Price         *decimal.Decimal `json:"price"`
		Discount      *decimal.Decimal `json:"discount"`
		DiscountTotal *decimal.Decimal `json:"discount_total"`
		Total         *decimal.Decimal `json:"total"`
	} `json:"pricing"`
	Meta *struct {
		Sequence *int `json:"sequence"`
	} `json:"_metadata"`
}

// lineTax is either a number (2.x: the unit tax) or an object (2026-07:
// {id, amount, total}).
type lineTax struct {
	Unit  *decimal.Decimal
	Total *decimal.Decimal
	ID    string
}

func (t *lineTax) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '{' {
		var o struct {
			ID     string           `json:"id"`
			Amount *decimal.Decimal `json:"amount"`
			Total  *decimal.Decimal `json:"total"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		t.ID, t.Unit, t.Total = o.ID, o.Amount, o.Total
		return nil
	}
	var d decimal.Decimal
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Unit = &d
	return nil
}

type salePayment struct {
	ID          string          `json:"id"`
	Amount      decimal.Decimal `json:"amount"`
	Date        string          `json:"date"`
	PaymentDate string          `json:"payment_date"`
	DeletedAt   string          `json:"deleted_at"`
	Name        string          `json:"name"`
	Type        *struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		ConfigID string `json:"config_id"`
	} `json:"type"`
	ExternalAttributes []struct {
		CardLastFourDigits string `json:"card_last_four_digits"`
	} `json:"external_attributes"`
}

// cursor is the opaque PullOrders cursor. Version is the highest sale
// version seen; After is set while paging through one pull.
type cursor struct {
	Version int64  `json:"version"`
	After   *int64 `json:"after,omitempty"`
}

// PullOrders reads one page of GET /sales?after=<version>. A pull starts
// overlap_versions below the last version seen (re-reading recent sales so
// that nothing committed out of order is missed; the host de-duplicates by
// Source.Key) and pages with after=version.max until a page is empty.
func (a *Adapter) PullOrders(ctx context.Context, cur []byte) (*pos.PullResult, error) {
	var c cursor
	if len(bytes.TrimSpace(cur)) > 0 {
		if err := json.Unmarshal(cur, &c); err != nil {
			return nil, &pos.VendorError{Vendor: Vendor, Op: "pull sales", Kind: pos.Invalid, Message: "bad cursor", Err: err}
		}
	}
	after := max(c.Version-a.overlap, 0)
	if c.After != nil {
		after = *c.After
	}
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "page_size": {strconv.Itoa(a.pageSize)}}
	var page saleCollection
	if _, err := a.call(ctx, "list sales", http.MethodGet, "/sales", q, nil, &page); err != nil {
		return nil, err
	}
	res := &pos.PullResult{}
	next := cursor{Version: c.Version}
	if len(page.Data) > 0 {
		top := after
		if page.Version.Max != nil {
			top = max(top, *page.Version.Max)
		}
		for _, raw := range page.Data {
			var s sale
			if json.Unmarshal(raw, &s) == nil {
				if v, ok := s.version(); ok {
					top = max(top, v)
				}
			}
		}
		if top <= after {
			return nil, pos.Errorf(Vendor, "list sales", pos.Invalid, "page of %d sales did not advance the version past %d", len(page.Data), after)
		}
		next.Version = max(next.Version, top)
		next.After = &top
		res.More = true
	}
	if err := a.normalisePage(ctx, page.Data, res); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(next)
	res.Next = b
	return res, nil
}

// FetchOrders reads the named sales now (after a webhook).
func (a *Adapter) FetchOrders(ctx context.Context, ids []string) (*pos.PullResult, error) {
	var raws []json.RawMessage
	for _, id := range ids {
		var one struct {
			Data json.RawMessage `json:"data"`
		}
		if _, err := a.call(ctx, "get sale", http.MethodGet, "/sales/"+pathEscape(id), nil, nil, &one); err != nil {
			if pos.IsStatus(err, http.StatusNotFound) {
				a.log.Warn("sale not found", "sale_id", id)
				continue
			}
			return nil, err
		}
		raws = append(raws, one.Data)
	}
	res := &pos.PullResult{}
	if err := a.normalisePage(ctx, raws, res); err != nil {
		return nil, err
	}
	return res, nil
}

// normalisePage turns raw sales into orders; a sale that cannot be
// represented is returned in res.Rejected (audited and set aside by the
// host) so that it does not block the cursor forever.
func (a *Adapter) normalisePage(ctx context.Context, raws []json.RawMessage, res *pos.PullResult) error {
	lk := &lookup{a: a, ctx: ctx}
	for _, raw := range raws {
		var s sale
		if err := json.Unmarshal(raw, &s); err != nil {
			a.log.Error("sale undecodable, set aside", "err", err)
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			res.Reject("order", id.ID, raw, pos.Unreadable("sale", err))
			continue
		}
		o, err := a.normalise(&s, lk)
		if err != nil {
			if pos.KindOf(err) == pos.Retryable || pos.KindOf(err) == pos.Auth {
				return err
			}
			a.log.Error("sale not representable, set aside", "sale_id", s.ID, "err", err)
			res.Reject("order", s.ID, raw, err)
			continue
		}
		res.Orders = append(res.Orders, *o)
		res.Payments = append(res.Payments, o.Payments...)
		if s.Source != nil && s.Source.Type == "Aura" && s.Source.ID != "" {
			res.MarkEcho(o.ID, s.Source.ID) // created by InjectOrder: not a new store order
		}
	}
	return nil
}

// lookup resolves X-Series product ids to Aura ids and names: first from
// the push mappings, then from a product name cache in State, then by
// GET /products/{id} (cached).
type lookup struct {
	a       *Adapter
	ctx     context.Context
	loaded  bool
	byProd  map[string]prodRef
	fetched map[string]string
}

type prodRef struct {
	Kind       pos.ObjectKind
	AuraID     string
	ItemID     string
	Name       string
	Variation  string
	ModGroupID string
	ModName    string
}

func (l *lookup) load() {
	if l.loaded {
		return
	}
	l.loaded = true
	l.byProd = map[string]prodRef{}
	l.fetched = map[string]string{}
	all, err := l.a.cfg.State.List("map/")
	if err != nil {
		l.a.log.Warn("list mappings", "err", err)
		return
	}
	for k, b := range all {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) != 3 {
			continue
		}
		var m pos.Mapping
		if json.Unmarshal(b, &m) != nil || m.VendorID == "" {
			continue
		}
		kind := pos.ObjectKind(parts[1])
		ref := prodRef{Kind: kind, AuraID: parts[2], Name: m.Extra["name"]}
		switch kind {
		case pos.KindVariation:
			ref.ItemID, ref.Variation = m.Extra["item"], m.Extra["variation"]
			l.byProd[m.VendorID] = ref // a variation wins over its single-product item
		case pos.KindModifier:
			ref.ModGroupID, ref.ModName = m.Extra["group"], m.Extra["modifier_name"]
			l.byProd[m.VendorID] = ref
		case pos.KindItem:
			ref.ItemID = parts[2]
			if _, ok := l.byProd[m.VendorID]; !ok {
				l.byProd[m.VendorID] = ref
			}
		}
	}
}

func (l *lookup) ref(productID string) (prodRef, bool) {
	l.load()
	r, ok := l.byProd[productID]
	return r, ok
}

// productNameKey caches product names fetched from X-Series.
func productNameKey(id string) string { return "product_name/" + id }

// name returns a display name for a product that aura-edge did not push.
func (l *lookup) name(productID string) (string, error) {
	l.load()
	if productID == "" {
		return "", nil
	}
	if n, ok := l.fetched[productID]; ok {
		return n, nil
	}
	if b, err := l.a.cfg.State.Get(productNameKey(productID)); err == nil && len(b) > 0 {
		l.fetched[productID] = string(b)
		return string(b), nil
	}
	var out struct {
		Data struct {
			Name        string `json:"name"`
			VariantName string `json:"variant_name"`
		} `json:"data"`
	}
	_, err := l.a.call(l.ctx, "get product", http.MethodGet, "/products/"+pathEscape(productID), nil, nil, &out)
	if err != nil {
		if k := pos.KindOf(err); k == pos.Retryable || k == pos.Auth {
			return "", err
		}
		l.a.log.Warn("product name lookup failed", "product_id", productID, "err", err)
		l.fetched[productID] = ""
		return "", nil
	}
	n := out.Data.VariantName
	if n == "" {
		n = out.Data.Name
	}
	l.fetched[productID] = n
	if n != "" {
		if err := l.a.cfg.State.Put(productNameKey(productID), []byte(n)); err != nil {
			l.a.log.Warn("cache product name", "err", err)
		}
	}
	return n, nil
}
