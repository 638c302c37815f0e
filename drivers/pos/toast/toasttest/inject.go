package toasttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Order creation follows the Toast Orders API (Swagger "Toast Orders API"
// info.version 2.9.0, operation ordersPost: POST /orders/v2/orders with the
// Toast-Restaurant-External-ID header and an Order body; 200 answers the
// persisted Order with generated GUIDs and amounts; 400 for data the API
// does not support, 404 when "an entity referenced in the order does not
// exist", 415 without application/json) and the Toast Developer Guide's
// "Creating orders" and "Submitting your first order to the orders API":
// an order needs diningOption and a non-empty checks[], each check
// selections[] with item (a menu item GUID), itemGroup (the menu group it
// is ordered from) and quantity; modifiers name the option item and its
// optionGroup. Payments in a new order may be CASH, or OTHER with
// otherPayment naming an alternate payment type. externalId is the
// partner's reference ("{authority}:{identifier}", authority at most 16
// characters); GET /orders/v2/orders/{externalId} returns the order that
// carries it ("set an externalId for an order and then GET the order with
// that externalId", ExternalReference definition), and a second order with
// an externalId already taken is refused (409 here: the status Toast uses
// is not documented).
//
// The body is decoded strictly against the subset of the documented Order
// fields the stand-in knows, so a misspelt field fails the request.

// Stand-in configuration GUIDs for order creation.
const (
	DiningOptionGUID     = "d1000000-0000-4000-8000-000000000001" // "Online ordering" (TAKE_OUT)
	AlternatePaymentGUID = "a1000000-0000-4000-8000-000000000001" // alternate payment type "Aura"
)

// InjectSettings are the adapter settings order creation needs on this
// stand-in.
func InjectSettings() map[string]string {
	return map[string]string{"dining_option_guid": DiningOptionGUID, "other_payment_guid": AlternatePaymentGUID}
}

type reqRef struct {
	GUID       string `json:"guid"`
	EntityType string `json:"entityType"`
	ExternalID string `json:"externalId"`
}

type reqSelection struct {
	EntityType  string         `json:"entityType"`
	Item        *reqRef        `json:"item"`
	ItemGroup   *reqRef        `json:"itemGroup"`
	OptionGroup *reqRef        `json:"optionGroup"`
	Quantity    *strictNum     `json:"quantity"`
	Modifiers   []reqSelection `json:"modifiers"`
	DisplayName string         `json:"displayName"`
	PreModifier *reqRef        `json:"preModifier"`
	Price       *strictNum     `json:"externalPriceAmount"`
}

type reqPayment struct {
	EntityType   string     `json:"entityType"`
	Type         string     `json:"type"`
	OtherPayment *reqRef    `json:"otherPayment"`
	Amount       *strictNum `json:"amount"`
	TipAmount    *strictNum `json:"tipAmount"`
}

type reqCheck struct {
	EntityType    string         `json:"entityType"`
	DisplayNumber string         `json:"displayNumber"`
	Selections    []reqSelection `json:"selections"`
	Payments      []reqPayment   `json:"payments"`
	TabName       string         `json:"tabName"`
}

type reqOrder struct {
	EntityType    string     `json:"entityType"`
	ExternalID    string     `json:"externalId"`
	DiningOption  *reqRef    `json:"diningOption"`
	Checks        []reqCheck `json:"checks"`
	OpenedDate    string     `json:"openedDate"`
	RevenueCenter *reqRef    `json:"revenueCenter"`
}

// createOrder implements POST /orders/v2/orders.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request, body []byte) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, 415, errorBody(415, "The request did not have application/json in the Content-Type header"))
		return
	}
	var in reqOrder
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, 400, errorBody(400, "The request body is not a valid Order: "+err.Error()))
		return
	}
	s.mu.Lock()
	spec, refs, status, msg := s.checkOrderLocked(&in)
	if status == 0 && in.ExternalID != "" {
		if g := s.external[in.ExternalID]; g != "" {
			status, msg = 409, "An order with externalId "+in.ExternalID+" already exists: "+g
		}
	}
	lose := 0
	if status == 0 {
		spec.GUID = s.newGUID()
		if in.ExternalID != "" {
			s.external[in.ExternalID] = spec.GUID // taken from now on
		}
		if f, ok := s.TakeFault(func(f Fault) bool { return f.Path == createdFaultPath }); ok {
			lose = f.Status
		}
	}
	s.mu.Unlock()
	if status != 0 {
		writeJSON(w, status, errorBody(status, msg))
		return
	}
	guid := s.SeedOrder(spec)
	s.mu.Lock()
	o := s.orders[guid]
	o.body["externalId"] = nilIfEmpty(in.ExternalID)
	o.body["source"] = "API"
	o.body["diningOption"] = refTo(in.DiningOption.GUID, "DiningOption")
	checks, _ := o.body["checks"].([]any)
	for ci, c := range checks {
		cm, _ := c.(map[string]any)
		sels, _ := cm["selections"].([]any)
		for si, sel := range sels {
			sm, _ := sel.(map[string]any)
			ref := refs[ci][si]
			sm["item"], sm["itemGroup"] = refTo(ref.item, "MenuItem"), refTo(ref.group, "MenuGroup")
			mods, _ := sm["modifiers"].([]any)
			for mi, m := range mods {
				mm, _ := m.(map[string]any)
				mm["item"], mm["optionGroup"] = refTo(ref.mods[mi], "MenuItem"), refTo(OptionGroupGUID, "MenuOptionGroup")
			}
		}
		pays, _ := cm["payments"].([]any)
		for pi, p := range pays {
			pm, _ := p.(map[string]any)
			if in.Checks[ci].Payments[pi].OtherPayment != nil {
				pm["otherPayment"] = refTo(in.Checks[ci].Payments[pi].OtherPayment.GUID, "AlternatePaymentType")
			}
		}
	}
	s.creates++
	out, _ := json.Marshal(o.body)
	s.mu.Unlock()
	if lose != 0 {
		writeJSON(w, lose, errorBody(lose, http.StatusText(lose)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// selRefs are the GUIDs a created selection names.
type selRefs struct {
	item, group string
	mods        []string
}

// checkOrderLocked validates a create request against the documented shape
// and the stand-in's configuration, and builds the order to store.
func (s *Server) checkOrderLocked(in *reqOrder) (OrderSpec, [][]selRefs, int, string) {
	var spec OrderSpec
	switch {
	case in.DiningOption == nil || in.DiningOption.GUID == "":
		return spec, nil, 400, "diningOption is required: name the GUID of one of the restaurant's dining options"
	case in.DiningOption.GUID != DiningOptionGUID:
		return spec, nil, 404, "Dining option " + in.DiningOption.GUID + " does not exist at this restaurant"
	case len(in.Checks) == 0:
		return spec, nil, 400, "checks is required and must not be empty"
	case len(in.ExternalID) > 0 && !validExternalID(in.ExternalID):
		return spec, nil, 400, "externalId must be {authority}:{identifier} with an authority of at most 16 characters"
	}
	m := s.menuLocked()
	refs := make([][]selRefs, len(in.Checks))
	for ci, c := range in.Checks {
		cs := CheckSpec{DisplayNumber: fmt.Sprint(ci + 1)}
		if len(c.Selections) == 0 {
			return spec, nil, 400, fmt.Sprintf("checks[%d].selections must not be empty", ci)
		}
		for si, sel := range c.Selections {
			p := fmt.Sprintf("checks[%d].selections[%d]", ci, si)
			if sel.Item == nil || sel.Item.GUID == "" {
				return spec, nil, 400, p + ".item.guid is required"
			}
			if sel.ItemGroup == nil || sel.ItemGroup.GUID == "" {
				return spec, nil, 400, p + ".itemGroup.guid is required"
			}
			it := m.find(sel.Item.GUID, "")
			if it == nil || it.modifier {
				return spec, nil, 404, "Menu item " + sel.Item.GUID + " (" + p + ".item) does not exist at this restaurant"
			}
			if sel.ItemGroup.GUID != MenuGroupGUID {
				return spec, nil, 404, "Menu group " + sel.ItemGroup.GUID + " (" + p + ".itemGroup) does not contain menu item " + it.GUID
			}
			q, ok := quantity(sel.Quantity)
			if !ok {
				return spec, nil, 400, p + ".quantity must be a number greater than 0"
			}
			ss := SelectionSpec{Name: it.Name, Quantity: q, UnitPrice: decimal.NewFromFloat(it.Price).StringFixed(2)}
			sr := selRefs{item: it.GUID, group: MenuGroupGUID}
			for mi, mod := range sel.Modifiers {
				mp := fmt.Sprintf("%s.modifiers[%d]", p, mi)
				if mod.Item == nil || mod.Item.GUID == "" {
					return spec, nil, 400, mp + ".item.guid is required"
				}
				if mod.OptionGroup == nil || mod.OptionGroup.GUID == "" {
					return spec, nil, 400, mp + ".optionGroup.guid is required"
				}
				opt := m.find(mod.Item.GUID, "")
				if opt == nil || !opt.modifier {
					return spec, nil, 404, "Modifier option " + mod.Item.GUID + " (" + mp + ".item) does not exist at this restaurant"
				}
				if mod.OptionGroup.GUID != OptionGroupGUID {
					return spec, nil, 404, "Option group " + mod.OptionGroup.GUID + " (" + mp + ".optionGroup) does not contain option " + opt.GUID
				}
				mq, ok := quantity(mod.Quantity)
				if !ok {
					return spec, nil, 400, mp + ".quantity must be a number greater than 0"
				}
				ss.Modifiers = append(ss.Modifiers, ModifierSpec{Name: opt.Name, Price: decimal.NewFromFloat(opt.Price).StringFixed(2), Quantity: mq})
				sr.mods = append(sr.mods, opt.GUID)
			}
			cs.Selections = append(cs.Selections, ss)
			refs[ci] = append(refs[ci], sr)
		}
		cs.Status = "OPEN"
		for pi, pay := range c.Payments {
			pp := fmt.Sprintf("checks[%d].payments[%d]", ci, pi)
			switch pay.Type {
			case "CASH":
				if pay.OtherPayment != nil {
					return spec, nil, 400, pp + ".otherPayment is only for type OTHER"
				}
			case "OTHER":
				if pay.OtherPayment == nil || pay.OtherPayment.GUID == "" {
					return spec, nil, 400, pp + ".otherPayment.guid is required for type OTHER"
				}
				if pay.OtherPayment.GUID != AlternatePaymentGUID {
					return spec, nil, 404, "Alternate payment type " + pay.OtherPayment.GUID + " does not exist at this restaurant"
				}
			default:
				return spec, nil, 400, pp + ".type " + pay.Type + " cannot be used in a new order by this integration (CASH or OTHER)"
			}
			if pay.Amount == nil || pay.Amount.d.IsNegative() {
				return spec, nil, 400, pp + ".amount is required and must not be negative"
			}
			tip := ""
			if pay.TipAmount != nil {
				if pay.TipAmount.d.IsNegative() {
					return spec, nil, 400, pp + ".tipAmount must not be negative"
				}
				tip = pay.TipAmount.d.StringFixed(2)
			}
			cs.Payments = append(cs.Payments, PaymentSpec{Type: pay.Type, Amount: pay.Amount.d.StringFixed(2), Tip: tip})
			cs.Status = "CLOSED"
		}
		spec.Checks = append(spec.Checks, cs)
	}
	return spec, refs, 0, ""
}

func quantity(n *strictNum) (string, bool) {
	if n == nil || !n.d.IsPositive() {
		return "", false
	}
	return n.d.String(), true
}

// strictNum is a JSON number. Toast's quantities and amounts are numbers,
// so a quoted string is refused (the request fails with 400).
type strictNum struct{ d decimal.Decimal }

func (n *strictNum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return fmt.Errorf("%s must be a JSON number, not a string", b)
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	n.d = d
	return nil
}

func validExternalID(s string) bool {
	auth, id, ok := strings.Cut(s, ":")
	return ok && auth != "" && len(auth) <= 16 && id != "" && len(id) <= 256
}

// createdFaultPath marks a fault of FailAfterCreate.
const createdFaultPath = "\x00after-create"

// FailAfterCreate makes the next n order creations store the order and
// then answer status (e.g. 500 or 503) instead of the order: the answer is
// lost, the order exists.
func (s *Server) FailAfterCreate(n, status int) {
	s.FailNext(n, Fault{Status: status, Path: createdFaultPath})
}

// OrdersByExternalID returns the GUIDs of the orders carrying externalId ext.
func (s *Server) OrdersByExternalID(ext string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for g, o := range s.orders {
		if e, _ := o.body["externalId"].(string); e == ext {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// Creates counts the orders created through POST /orders/v2/orders.
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// RequestsTo returns the recorded requests with this method and path.
func (s *Server) RequestsTo(method, path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// voidOrder implements POST /orders/v2/orders/{orderGuid}/void (Toast
// Orders API voidOrder; developer guide "Void an order"): the body must
// void all selections and payments; only an order paid with OTHER
// payments, without discounts, not already voided or deleted, can be
// voided. The order, its checks, selections and payments become voided
// (paymentStatus VOIDED, guestOrderStatus VOIDED) and its modifiedDate
// moves.
func (s *Server) voidOrder(w http.ResponseWriter, guid string, body []byte) {
	var in struct {
		Selections *struct {
			VoidAll bool `json:"voidAll"`
		} `json:"selections"`
		Payments *struct {
			VoidAll bool `json:"voidAll"`
		} `json:"payments"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Selections == nil || in.Payments == nil || !in.Selections.VoidAll || !in.Payments.VoidAll {
		writeJSON(w, 400, errorBody(400, "To void an order, send selections and payments with voidAll true"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[guid]
	if !ok {
		writeJSON(w, 404, errorBody(404, "Order not found"))
		return
	}
	if v, _ := o.body["voided"].(bool); v {
		writeJSON(w, 400, errorBody(400, "The order is already voided"))
		return
	}
	checks, _ := o.body["checks"].([]any)
	for _, c := range checks {
		cm, _ := c.(map[string]any)
		if d, _ := cm["appliedDiscounts"].([]any); len(d) > 0 {
			writeJSON(w, 400, errorBody(400, "Orders with discounts cannot be voided"))
			return
		}
		pays, _ := cm["payments"].([]any)
		for _, p := range pays {
			if pm, _ := p.(map[string]any); pm["type"] != "OTHER" {
				writeJSON(w, 400, errorBody(400, "Only orders with OTHER payment types can be voided"))
				return
			}
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	for _, c := range checks {
		cm, _ := c.(map[string]any)
		cm["voided"], cm["paymentStatus"] = true, "VOIDED"
		sels, _ := cm["selections"].([]any)
		for _, sel := range sels {
			if sm, ok := sel.(map[string]any); ok {
				sm["voided"] = true
			}
		}
		pays, _ := cm["payments"].([]any)
		for _, p := range pays {
			if pm, ok := p.(map[string]any); ok {
				pm["paymentStatus"] = "VOIDED"
			}
		}
	}
	o.body["voided"], o.body["guestOrderStatus"] = true, "VOIDED"
	o.body["voidDate"] = now.Format(TimeLayout)
	o.modified = now
	o.body["modifiedDate"] = now.Format(TimeLayout)
	s.voids++
	writeJSON(w, 200, o.body)
}

// Voids counts the orders voided through the API.
func (s *Server) Voids() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.voids
}

// prices implements POST /orders/v2/prices (Toast Orders API pricesPost):
// the same validation as a create ("validates the order you submit to
// ensure all referenced data exists"), nothing stored, and the Order
// answered with the checks' computed amounts and no GUIDs.
func (s *Server) prices(w http.ResponseWriter, r *http.Request, body []byte) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, 415, errorBody(415, "The request did not have application/json in the Content-Type header"))
		return
	}
	var in reqOrder
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, 400, errorBody(400, "The request body is not a valid Order: "+err.Error()))
		return
	}
	s.mu.Lock()
	spec, _, status, msg := s.checkOrderLocked(&in)
	now := s.now()
	s.mu.Unlock()
	if status != 0 {
		writeJSON(w, status, errorBody(status, msg))
		return
	}
	spec.GUID, spec.Modified, spec.Opened = "priced", now.UTC().Truncate(time.Millisecond), now.UTC().Truncate(time.Millisecond)
	ts := func(t time.Time) string { return t.UTC().Format(TimeLayout) }
	checks := []map[string]any{}
	for ci, c := range spec.Checks {
		ch := s.buildCheck(spec, ci, c, ts)
		delete(ch, "guid")
		checks = append(checks, ch)
	}
	s.pricings++
	writeJSON(w, 200, map[string]any{"entityType": "Order", "diningOption": refTo(in.DiningOption.GUID, "DiningOption"), "checks": checks})
}

// Pricings counts POST /orders/v2/prices requests answered.
func (s *Server) Pricings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pricings
}
