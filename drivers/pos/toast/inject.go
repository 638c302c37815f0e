package toast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Order creation follows Toast's "Orders API" (Swagger "Toast Orders API"
// info.version 2.9.0, operation ordersPost, POST /orders/v2/orders) and the
// Toast Developer Guide pages "Creating orders" and "Submitting your first
// order to the orders API": an Order with a diningOption GUID and checks[]
// whose selections[] name a menu item GUID (item) and the GUID of the menu
// group it is ordered from (itemGroup) with a quantity; modifiers are
// selections naming the option's item and its optionGroup. A payment taken
// elsewhere goes into the check's payments[] as type CASH, or as type OTHER
// with otherPayment naming the restaurant's alternate payment type. Toast
// computes every price itself.
//
// External reference and idempotency: the order's externalId is
// "<authority>:<Aura order id>" (Toast's external identifier form,
// "{authority-name}:{identifier}", the authority at most 16 characters).
// Toast's ExternalReference definition says "You can use the orders API to
// set an externalId for an order and then GET the order with that
// externalId": before each attempt the adapter reads GET
// /orders/v2/orders/{externalId}; 404 means no earlier attempt created it.
// Should Toast refuse an externalId there (400, "The GUID was malformed"),
// the adapter searches ordersBulk from the Aura order's creation time to
// now for the order carrying the externalId instead.
// A create that fails is followed by the same lookup (an externalId already
// taken makes Toast refuse the create), so a retry, a lost answer or a
// restart gives one order.
//
// Refunds (refund.go): a full refund of an order paid with an OTHER payment
// type voids it; anything else is unsupported.

var (
	_ pos.OrderInjector = (*Adapter)(nil)
	_ pos.LineMapper    = (*Adapter)(nil)
)

// DefaultExternalIDAuthority names aura-edge in the externalId of the
// orders it creates ("AURA:<order id>").
const DefaultExternalIDAuthority = "AURA"

// ExternalID is the externalId of the Toast order created for Aura order
// auraID.
func (a *Adapter) ExternalID(auraID string) string { return a.authority + ":" + auraID }

// injectedAuraID returns the Aura order id in an externalId this adapter
// set, or "".
func (a *Adapter) injectedAuraID(ext string) string {
	id, ok := strings.CutPrefix(ext, a.authority+":")
	if !ok {
		return ""
	}
	return id
}

// Wire types of the create request (only what is sent).
type guidRef struct {
	GUID       string `json:"guid"`
	EntityType string `json:"entityType,omitempty"`
}

type newSelection struct {
	EntityType  string         `json:"entityType"`
	Item        guidRef        `json:"item"`
	ItemGroup   *guidRef       `json:"itemGroup,omitempty"`
	OptionGroup *guidRef       `json:"optionGroup,omitempty"`
	Quantity    json.Number    `json:"quantity"`
	Modifiers   []newSelection `json:"modifiers"`
}

type newPayment struct {
	Type         string      `json:"type"`
	OtherPayment *guidRef    `json:"otherPayment,omitempty"`
	Amount       json.Number `json:"amount"`
	TipAmount    json.Number `json:"tipAmount"`
}

type newCheck struct {
	EntityType string         `json:"entityType"`
	Selections []newSelection `json:"selections"`
	Payments   []newPayment   `json:"payments,omitempty"`
}

type newOrder struct {
	EntityType   string     `json:"entityType"`
	ExternalID   string     `json:"externalId"`
	DiningOption guidRef    `json:"diningOption"`
	Checks       []newCheck `json:"checks"`
}

// MissingInjectSettings names the settings an order needs that are not
// set (pos.InjectPreflight): the dining option always, the alternate
// payment type for a payment that is not cash.
func (a *Adapter) MissingInjectSettings(_ *model.Order, pay *model.Payment) []pos.MissingSetting {
	var out []pos.MissingSetting
	if a.diningOption == "" {
		out = append(out, pos.MissingSetting{Name: "dining_option_guid",
			Hint: "the GUID of the Toast dining option for Aura orders (Toast Web > Dining options, or the configuration API's /diningOptions)"})
	}
	if pay != nil && pay.Method != model.MethodCash && a.otherPayment == "" {
		out = append(out, pos.MissingSetting{Name: "other_payment_guid",
			Hint: "the GUID of the alternate (OTHER) payment type that payments taken by Aura are recorded as (Toast Web > Payment options > Alternate payment types)"})
	}
	return out
}

// InjectOrder creates req.Order at Toast (see the comment at the top of
// this file), unless an earlier attempt did.
func (a *Adapter) InjectOrder(ctx context.Context, req pos.InjectRequest) (*pos.InjectResult, error) {
	if a.diningOption == "" {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid,
			Message: "no dining option is set: put the GUID of the Toast dining option for Aura orders in settings.dining_option_guid " +
				"(Toast Web > Dining options, or the configuration API's /diningOptions)"}
	}
	ext := a.ExternalID(req.Order.ID)
	if found, err := a.findInjected(ctx, ext, req.Order.CreatedAt); err != nil {
		return nil, fmt.Errorf("looking for an earlier attempt: %w", err)
	} else if found != nil {
		return found, nil
	}
	body, err := a.newOrder(ext, req)
	if err != nil {
		return nil, err
	}
	if err := a.checkPrice(ctx, body, req.Payment); err != nil {
		return nil, err
	}
	var o order
	if _, err := a.call(ctx, "create order", http.MethodPost, "/orders/v2/orders", nil, body, &o); err != nil {
		// The create may have happened (answer lost), or an earlier attempt
		// holds the externalId: look again before reporting the error.
		if found, ferr := a.findInjected(ctx, ext, req.Order.CreatedAt); ferr == nil && found != nil {
			return found, nil
		}
		return nil, err
	}
	if o.GUID == "" {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Retryable, Message: "Toast answered without an order GUID"}
	}
	return injectResult(&o, false), nil
}

// newOrder builds the create request.
func (a *Adapter) newOrder(ext string, req pos.InjectRequest) (*newOrder, error) {
	chk := newCheck{EntityType: "Check"}
	for _, l := range req.Lines {
		if l.VendorItemID == "" || l.VendorGroupID == "" {
			return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid,
				Message: fmt.Sprintf("line %q has no Toast menu item and menu group", l.Name)}
		}
		q := decimal.New(l.Quantity.Milli(), -3)
		if !q.IsPositive() {
			return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid,
				Message: fmt.Sprintf("line %q has quantity %s: Toast needs a positive quantity", l.Name, l.Quantity)}
		}
		sel := newSelection{EntityType: "MenuItemSelection", Item: guidRef{GUID: l.VendorItemID, EntityType: "MenuItem"},
			ItemGroup: &guidRef{GUID: l.VendorGroupID, EntityType: "MenuGroup"}, Quantity: json.Number(q.String()), Modifiers: []newSelection{}}
		for i, item := range l.VendorModifierIDs {
			var group string
			if i < len(l.VendorModifierGroupIDs) {
				group = l.VendorModifierGroupIDs[i]
			}
			mq := decimal.NewFromInt(1)
			if i < len(l.Modifiers) && l.Modifiers[i].Quantity.Milli() > 0 {
				mq = decimal.New(l.Modifiers[i].Quantity.Milli(), -3)
			}
			sel.Modifiers = append(sel.Modifiers, newSelection{EntityType: "MenuItemSelection",
				Item: guidRef{GUID: item, EntityType: "MenuItem"}, OptionGroup: &guidRef{GUID: group, EntityType: "MenuOptionGroup"},
				Quantity: json.Number(mq.String()), Modifiers: []newSelection{}})
		}
		chk.Selections = append(chk.Selections, sel)
	}
	if len(chk.Selections) == 0 {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid, Message: "the order has no lines: Toast needs at least one selection"}
	}
	if p := req.Payment; p != nil {
		np := newPayment{Type: "CASH", Amount: number(p.Amount), TipAmount: number(p.Tip)}
		if p.Method != model.MethodCash {
			if a.otherPayment == "" {
				return nil, &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid,
					Message: "a " + string(p.Method) + " payment taken elsewhere is recorded at Toast as an alternate (OTHER) payment type: " +
						"put its GUID in settings.other_payment_guid (Toast Web > Payment options > Alternate payment types); nothing was created"}
			}
			np.Type, np.OtherPayment = "OTHER", &guidRef{GUID: a.otherPayment}
		}
		chk.Payments = []newPayment{np}
	}
	return &newOrder{EntityType: "Order", ExternalID: ext, DiningOption: guidRef{GUID: a.diningOption, EntityType: "DiningOption"},
		Checks: []newCheck{chk}}, nil
}

// checkPrice asks Toast what the order costs (POST /orders/v2/prices, the
// guide's "the only reliable and supported way to determine the payment
// amount for a check") and compares it with the payment taken elsewhere.
// On a difference the order is created anyway and the difference logged
// (staff settle it, as Toast's guide says), unless settings.price_mismatch
// is "refuse": then nothing is created and the outcome says both amounts.
func (a *Adapter) checkPrice(ctx context.Context, body *newOrder, pay *model.Payment) error {
	if pay == nil {
		return nil
	}
	priced := *body
	priced.ExternalID = ""
	priced.Checks = make([]newCheck, len(body.Checks))
	for i, c := range body.Checks {
		c.Payments = nil
		priced.Checks[i] = c
	}
	var o order
	if _, err := a.call(ctx, "get prices", http.MethodPost, "/orders/v2/prices", nil, &priced, &o); err != nil {
		return err
	}
	var total decimal.Decimal
	for _, c := range o.Checks {
		if c.TotalAmount != nil {
			total = total.Add(*c.TotalAmount)
		}
	}
	paid := minor(pay.Amount)
	if total.Equal(paid) {
		return nil
	}
	msg := fmt.Sprintf("Toast prices this order at %s %s, the payment taken elsewhere is %s %s",
		total.StringFixed(int32(model.MinorDigits(pay.Amount.Currency))), pay.Amount.Currency, paid.StringFixed(int32(model.MinorDigits(pay.Amount.Currency))), pay.Amount.Currency)
	if a.priceMismatch == "refuse" {
		return &pos.VendorError{Vendor: Vendor, Op: "create order", Kind: pos.Invalid,
			Message: msg + ": nothing was created (check the item prices in Toast Web, or set settings.price_mismatch to accept to create such orders and let staff settle the difference)"}
	}
	a.log.Warn("creating the order although the amounts differ: staff settle the difference at the POS", "external_id", body.ExternalID, "detail", msg)
	return nil
}

// number renders money as a JSON number (Toast's amounts are numbers;
// decimal.Decimal would marshal a quoted string).
func number(m model.Money) json.Number {
	return json.Number(minor(m).StringFixed(int32(model.MinorDigits(m.Currency))))
}

// minor renders money as Toast's decimal amount.
func minor(m model.Money) decimal.Decimal {
	return decimal.New(m.Amount, -int32(model.MinorDigits(m.Currency)))
}

// findInjected reads the order with externalId ext, or nil when Toast has
// none.
func (a *Adapter) findInjected(ctx context.Context, ext string, since time.Time) (*pos.InjectResult, error) {
	var o order
	if _, err := a.call(ctx, "find order", http.MethodGet, "/orders/v2/orders/"+url.PathEscape(ext), nil, nil, &o); err != nil {
		switch {
		case pos.IsStatus(err, http.StatusNotFound):
			return nil, nil
		case pos.IsStatus(err, http.StatusBadRequest):
			// This restaurant's API does not take an externalId in place of
			// a GUID ("The GUID was malformed"): search the orders modified
			// since the Aura order was taken instead.
			a.log.Debug("order lookup by externalId refused; searching ordersBulk", "external_id", ext, "err", err)
			return a.searchInjected(ctx, ext, since)
		}
		return nil, err
	}
	if o.GUID == "" || o.ExternalID != ext {
		return nil, nil
	}
	return injectResult(&o, true), nil
}

// searchInjected pages through ordersBulk from since (a minute before, or
// a day ago when unknown) to now, in windows of at most max_window, for the
// order carrying externalId ext.
func (a *Adapter) searchInjected(ctx context.Context, ext string, since time.Time) (*pos.InjectResult, error) {
	now := a.now().UTC().Add(time.Minute)
	start := since.UTC().Add(-time.Minute)
	if since.IsZero() || now.Sub(start) > 7*24*time.Hour {
		start = now.Add(-24 * time.Hour)
	}
	for ws := start; ws.Before(now); ws = ws.Add(a.maxWindow) {
		we := ws.Add(a.maxWindow)
		if we.After(now) {
			we = now
		}
		for page := 1; ; page++ {
			var orders []order
			q := url.Values{"startDate": {FormatTime(ws)}, "endDate": {FormatTime(we)}, "pageSize": {strconv.Itoa(PageSize)}, "page": {strconv.Itoa(page)}}
			if _, err := a.call(ctx, "find order", http.MethodGet, "/orders/v2/ordersBulk", q, nil, &orders); err != nil {
				return nil, err
			}
			for i := range orders {
				if orders[i].ExternalID == ext && orders[i].GUID != "" {
					return injectResult(&orders[i], true), nil
				}
			}
			if len(orders) < PageSize {
				break
			}
		}
	}
	return nil, nil
}

func injectResult(o *order, existing bool) *pos.InjectResult {
	res := &pos.InjectResult{VendorOrderID: o.GUID, Existing: existing}
	for _, c := range o.Checks {
		for _, p := range c.Payments {
			if p.GUID != "" {
				res.VendorPaymentID = p.GUID
				return res
			}
		}
	}
	return res
}

// menuIndex is what an injection needs of the published menus: menu items
// by GUID (with the group they are ordered from) and by lower-case name,
// and modifier options with their option group.
type menuIndex struct {
	group   map[string]string   // item guid -> menu group guid
	byName  map[string][]string // lower-case item name -> item guids
	options map[string]string   // option item guid -> option group guid
	optName map[string][]string // lower-case option name -> option item guids
}

// readMenu reads GET /menus/v2/menus.
func (a *Adapter) readMenu(ctx context.Context) (*menuIndex, error) {
	var m toastMenus
	if _, err := a.call(ctx, "get menus", http.MethodGet, "/menus/v2/menus", nil, nil, &m); err != nil {
		return nil, err
	}
	return indexMenus(&m), nil
}

// indexMenus indexes a menus API answer.
func indexMenus(m *toastMenus) *menuIndex {
	ix := &menuIndex{group: map[string]string{}, byName: map[string][]string{}, options: map[string]string{}, optName: map[string][]string{}}
	var walk func(gs []toastGroup)
	walk = func(gs []toastGroup) {
		for _, g := range gs {
			for _, it := range g.MenuItems {
				if _, dup := ix.group[it.GUID]; !dup {
					ix.group[it.GUID] = g.GUID
					k := normName(it.Name)
					ix.byName[k] = append(ix.byName[k], it.GUID)
				}
			}
			walk(g.MenuGroups)
		}
	}
	for _, menu := range m.Menus {
		walk(menu.MenuGroups)
	}
	for _, og := range m.ModifierGroupReferences {
		for _, ref := range og.ModifierOptionReferences {
			opt, ok := m.ModifierOptionReferences[ref.String()]
			if !ok || opt.GUID == "" {
				continue
			}
			if _, dup := ix.options[opt.GUID]; !dup {
				ix.options[opt.GUID] = og.GUID
				k := normName(opt.Name)
				ix.optName[k] = append(ix.optName[k], opt.GUID)
			}
		}
	}
	return ix
}

func normName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// MapOrderLines maps the order's lines to Toast menu items. Toast owns the
// menu (nothing is pushed), so a line's item is, in order: the Toast GUID
// recorded for its Aura variation or item (by an earlier match, or named by
// the menu availability command), its variation or item id when that is
// itself a Toast menu item GUID (an order built from pulled Toast orders),
// or the one menu item named "<name> <variation name>" or else "<name>"
// (case and spacing aside). A match is recorded. The menu group comes from
// the same menus read. Every line that matches nothing is named in one
// *pos.UnknownItemError.
//
// The menus read is reused for menuCacheTTL (the host maps an order twice:
// before storing the job and when it runs), but an order with a line that
// the cached menus do not match is mapped again against a fresh read
// before it is refused.
func (a *Adapter) MapOrderLines(ctx context.Context, o *model.Order) ([]pos.InjectLine, error) {
	ix, cached, err := a.menu(ctx, false)
	if err != nil {
		return nil, err
	}
	lines, err := a.mapLines(ix, o)
	var ue *pos.UnknownItemError
	if cached && errors.As(err, &ue) {
		if ix, _, err = a.menu(ctx, true); err != nil {
			return nil, err
		}
		lines, err = a.mapLines(ix, o)
	}
	return lines, err
}

// menuCacheTTL is how long a menus read is reused for mapping lines.
const menuCacheTTL = time.Minute

// menu returns the menus index, from the cache unless fresh is set or it
// is older than menuCacheTTL; cached says it came from the cache.
func (a *Adapter) menu(ctx context.Context, fresh bool) (ix *menuIndex, cached bool, err error) {
	a.menuMu.Lock()
	defer a.menuMu.Unlock()
	if !fresh && a.menuIx != nil && a.now().Sub(a.menuAt) < menuCacheTTL {
		return a.menuIx, true, nil
	}
	ix, err = a.readMenu(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("reading the Toast menus: %w", err)
	}
	a.menuIx, a.menuAt = ix, a.now()
	return ix, false, nil
}

func (a *Adapter) mapLines(ix *menuIndex, o *model.Order) ([]pos.InjectLine, error) {
	maps := pos.Mappings{S: a.cfg.State}
	var unknown []string
	lines := make([]pos.InjectLine, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		name := li.Name
		if name == "" {
			name = "line " + li.ID
		}
		guid, err := a.matchItem(maps, ix, li)
		if err != nil {
			return nil, err
		}
		if guid == "" {
			unknown = append(unknown, describeLine(li)+" (no menu item on the published Toast menus has its id or name)")
		}
		l := pos.InjectLine{LineItem: li, VendorItemID: guid, VendorGroupID: ix.group[guid]}
		for _, m := range li.Modifiers {
			opt, err := a.matchOption(maps, ix, m)
			if err != nil {
				return nil, err
			}
			if opt == "" {
				unknown = append(unknown, fmt.Sprintf("modifier %q of %s (no Toast modifier option has its id or name)", m.Name, name))
				continue
			}
			l.VendorModifierIDs = append(l.VendorModifierIDs, opt)
			l.VendorModifierGroupIDs = append(l.VendorModifierGroupIDs, ix.options[opt])
		}
		lines = append(lines, l)
	}
	if len(unknown) > 0 {
		return nil, &pos.UnknownItemError{Items: unknown, Hint: "Toast menus are edited in Toast Web only: add the item there " +
			"(with the same name) and publish, or remove it from the order"}
	}
	return lines, nil
}

func describeLine(li model.LineItem) string {
	n := li.Name
	if li.VariationName != "" {
		n += " " + li.VariationName
	}
	id := li.VariationID
	if id == "" {
		id = li.ItemID
	}
	if id != "" {
		n += " [" + id + "]"
	}
	return n
}

// matchItem finds the Toast menu item GUID of li, recording a name match.
func (a *Adapter) matchItem(maps pos.Mappings, ix *menuIndex, li model.LineItem) (string, error) {
	type cand struct {
		kind pos.ObjectKind
		id   string
	}
	var ids []cand
	if li.VariationID != "" {
		ids = append(ids, cand{pos.KindVariation, li.VariationID})
	}
	if li.ItemID != "" {
		ids = append(ids, cand{pos.KindItem, li.ItemID})
	}
	for _, c := range ids {
		m, err := maps.Get(c.kind, c.id)
		if err != nil {
			return "", err
		}
		if m != nil {
			if _, ok := ix.group[m.VendorID]; ok {
				return m.VendorID, nil
			}
		}
		if _, ok := ix.group[c.id]; ok {
			return c.id, nil
		}
	}
	var names []string
	if li.VariationName != "" {
		names = append(names, li.Name+" "+li.VariationName)
	}
	names = append(names, li.Name)
	for _, n := range names {
		if g := ix.byName[normName(n)]; len(g) == 1 {
			if len(ids) > 0 {
				if err := maps.Put(ids[0].kind, ids[0].id, pos.Mapping{VendorID: g[0], Extra: map[string]string{"matched_name": n}}); err != nil {
					return "", err
				}
			}
			return g[0], nil
		}
	}
	return "", nil
}

// matchOption finds the Toast modifier option (its item reference GUID) of
// m, recording a name match.
func (a *Adapter) matchOption(maps pos.Mappings, ix *menuIndex, m model.LineModifier) (string, error) {
	if m.ModifierID != "" {
		mp, err := maps.Get(pos.KindModifier, m.ModifierID)
		if err != nil {
			return "", err
		}
		if mp != nil {
			if _, ok := ix.options[mp.VendorID]; ok {
				return mp.VendorID, nil
			}
		}
		if _, ok := ix.options[m.ModifierID]; ok {
			return m.ModifierID, nil
		}
	}
	if g := ix.optName[normName(m.Name)]; len(g) == 1 {
		if m.ModifierID != "" {
			if err := maps.Put(pos.KindModifier, m.ModifierID, pos.Mapping{VendorID: g[0], Extra: map[string]string{"matched_name": m.Name}}); err != nil {
				return "", err
			}
		}
		return g[0], nil
	}
	return "", nil
}
