package custom

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Default status lists of push_item.
var (
	defaultSuccess   = []int{http.StatusOK, http.StatusCreated, http.StatusNoContent}
	defaultRetryable = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
)

// Values of push_item.per.
const (
	PerVariation = "variation"
	PerItem      = "item"
)

// reasonNoPush is the reason every object gets without push_item.
const reasonNoPush = "manifest has no push_item"

// pushItem is a compiled PushSpec.
type pushItem struct {
	per       string
	req       request
	create    *request
	id        *program
	varIDs    *program // variation_ids
	success   map[int]bool
	retryable map[int]bool
}

func (a *Adapter) buildPush(ps *problems, p *PushSpec) *pushItem {
	pi := &pushItem{per: orDefault(p.Per, PerVariation)}
	if pi.per != PerVariation && pi.per != PerItem {
		ps.add("push_item.per", "must be variation or item (got %q)", p.Per)
	}
	sample := a.sampleData(map[string]any{"kind": pi.per, "aura_id": "sample", "vendor_id": "", "external_id": "sample"})
	pi.req = *a.buildRequest(ps, "push_item.request", &p.Request, sample)
	if p.Create != nil {
		pi.create = a.buildRequest(ps, "push_item.create", p.Create, sample)
		if pi.create.body == nil {
			pi.create.body = pi.req.body // the same payload, sent to another place
		}
	}
	if p.ID != "" {
		pi.id = a.compile(ps, "push_item.id", p.ID)
	}
	if p.VariationIDs != "" {
		if pi.per != PerItem {
			ps.add("push_item.variation_ids", "needs per: item (with per: variation each variation has its own id)")
		}
		pi.varIDs = a.compile(ps, "push_item.variation_ids", p.VariationIDs)
	}
	pi.success = statusList(ps, "push_item.success", p.Success, defaultSuccess)
	pi.retryable = statusList(ps, "push_item.retryable", p.Retryable, defaultRetryable)
	for s := range pi.success {
		if pi.retryable[s] {
			ps.add("push_item.retryable", "%d is also listed in success", s)
		}
	}
	return pi
}

// PushMenu sends each Aura variation (or item, with push_item.per: item)
// through the manifest's push_item request. Categories, modifier groups,
// modifiers and taxes are reported unsupported (they reach the vendor only
// inside the item payloads the manifest builds). Without push_item every
// object is unsupported. An object whose input (and the manifest's
// push_item) is unchanged since its last successful push is reported
// unchanged and not sent. A retryable status, an auth failure or a
// transport error stops the push: the remaining objects are reported
// failed and the *pos.VendorError is returned with the results.
func (a *Adapter) PushMenu(ctx context.Context, menu *model.Menu, opts pos.PushOptions) ([]pos.ObjectResult, error) {
	if a.push == nil {
		reason := reasonNoPush
		if a.m.PushUnsupported != "" {
			reason = a.m.PushUnsupported
		}
		return pos.UnsupportedAll(menu, reason), nil
	}
	if ps := menu.Validate(); len(ps) > 0 {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "push menu", Kind: pos.Invalid, Message: "menu is invalid", Err: ps}
	}
	reason := "push_item pushes " + a.push.per + "s only; this object reaches the vendor inside them"
	var results []pos.ObjectResult
	for _, c := range menu.Categories {
		results = append(results, pos.ObjectResult{Kind: pos.KindCategory, AuraID: c.ID, Status: pos.StatusUnsupported, Reason: reason})
	}
	for _, t := range menu.Taxes {
		results = append(results, pos.ObjectResult{Kind: pos.KindTax, AuraID: t.ID, Status: pos.StatusUnsupported, Reason: reason})
	}
	for _, g := range menu.ModifierGroups {
		results = append(results, pos.ObjectResult{Kind: pos.KindModifierGroup, AuraID: g.ID, Status: pos.StatusUnsupported, Reason: reason})
		for _, m := range g.Modifiers {
			results = append(results, pos.ObjectResult{Kind: pos.KindModifier, AuraID: m.ID, Status: pos.StatusUnsupported, Reason: reason})
		}
	}
	p := &pusher{a: a, dry: opts.DryRun}
	for i := range menu.Items {
		it := &menu.Items[i]
		base := itemInput(menu, it)
		if a.push.per == PerItem {
			r := p.one(ctx, pos.KindItem, it.ID, base)
			results = append(results, r)
			for _, v := range it.Variations {
				// Each variation went (or failed) inside its item's request.
				results = append(results, pos.ObjectResult{Kind: pos.KindVariation, AuraID: v.ID, Status: r.Status,
					Reason: orDefault(r.Reason, "sent inside item "+it.ID)})
			}
			continue
		}
		var vrs []pos.ObjectResult
		for j := range it.Variations {
			in := clone(base)
			in["variation"] = it.Variations[j]
			vrs = append(vrs, p.one(ctx, pos.KindVariation, it.Variations[j].ID, in))
		}
		results = append(results, combine(it.ID, vrs))
		results = append(results, vrs...)
	}
	return results, p.abort
}

// itemInput is what push_item's body sees for an item (README.md).
func itemInput(menu *model.Menu, it *model.Item) map[string]any {
	in := map[string]any{
		"menu":            map[string]any{"id": menu.ID, "currency": menu.Currency},
		"item":            it,
		"category":        nil,
		"taxes":           []model.Tax{},
		"modifier_groups": []model.ModifierGroup{},
	}
	for i := range menu.Categories {
		if menu.Categories[i].ID == it.CategoryID {
			in["category"] = menu.Categories[i]
		}
	}
	var taxes []model.Tax
	for _, id := range it.TaxIDs {
		if t := menu.TaxByID(id); t != nil {
			taxes = append(taxes, *t)
		}
	}
	if taxes != nil {
		in["taxes"] = taxes
	}
	var groups []model.ModifierGroup
	for _, id := range it.ModifierGroupIDs {
		if g := menu.Group(id); g != nil {
			groups = append(groups, *g)
		}
	}
	if groups != nil {
		in["modifier_groups"] = groups
	}
	return in
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+6)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// combine reports an item with the combined status of its variations:
// failed > created > updated > unchanged.
func combine(itemID string, vrs []pos.ObjectResult) pos.ObjectResult {
	r := pos.ObjectResult{Kind: pos.KindItem, AuraID: itemID, Status: pos.StatusUnchanged}
	rank := map[pos.Status]int{pos.StatusUnchanged: 0, pos.StatusUpdated: 1, pos.StatusCreated: 2, pos.StatusFailed: 3}
	for _, v := range vrs {
		if rank[v.Status] > rank[r.Status] {
			r.Status = v.Status
			r.Reason = v.Reason
		}
	}
	if len(vrs) == 1 {
		r.VendorID = vrs[0].VendorID
	}
	return r
}

// pusher carries one push.
type pusher struct {
	a     *Adapter
	dry   bool
	abort error // set when the push must stop
}

// one pushes one object.
func (p *pusher) one(ctx context.Context, kind pos.ObjectKind, auraID string, in map[string]any) pos.ObjectResult {
	a, spec := p.a, p.a.push
	res := pos.ObjectResult{Kind: kind, AuraID: auraID}
	fail := func(reason string) pos.ObjectResult {
		res.Status, res.Reason = pos.StatusFailed, reason
		return res
	}
	if p.abort != nil {
		return fail("not attempted after an earlier error")
	}
	mp, err := a.maps.Get(kind, auraID)
	if err != nil {
		p.abort = err
		return fail(err.Error())
	}
	in["kind"], in["aura_id"], in["settings"] = string(kind), auraID, a.settings
	now := a.now()
	vars := runVars{now: now}
	// build renders r as it would be sent for an object known to the
	// vendor as vendorID ("" before its first push).
	build := func(r *request, vendorID string) (*prepared, error) {
		ext := vendorID
		if ext == "" {
			ext = auraID
		}
		ids := map[string]any{"kind": string(kind), "aura_id": auraID, "vendor_id": vendorID, "external_id": ext}
		data := a.data(now, ids)
		in["vendor_id"], in["external_id"], in["now"] = vendorID, ext, data["now"]
		jin, err := toJQ(in)
		if err != nil {
			return nil, err
		}
		return a.prepare(ctx, r, data, jin, vars)
	}
	vendorID := ""
	res.Status = pos.StatusCreated
	r := &spec.req
	if mp == nil && spec.create != nil {
		r = spec.create
	}
	if mp != nil {
		vendorID, res.VendorID = mp.VendorID, mp.VendorID
		res.Status = pos.StatusUpdated
	}
	req, err := build(r, vendorID)
	if err != nil {
		return fail(err.Error())
	}
	// Unchanged: the update request would be exactly the one last sent.
	if mp != nil && mp.Hash == pos.Hash(req) {
		res.Status = pos.StatusUnchanged
		return res
	}
	if p.dry {
		return res
	}
	resp, body, err := a.sendPrepared(ctx, "push "+string(kind), req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var ve *pos.VendorError
	isVE := errors.As(err, &ve)
	bodyErr := isVE && status >= 200 && status < 300 // requester.error.when
	switch {
	case err == nil && status != 0 && spec.success[status]:
		// done
	case bodyErr && (ve.Kind == pos.Retryable || ve.Kind == pos.Auth):
		p.abort = ve
		return fail(ve.Error())
	case bodyErr:
		return fail(ve.Error())
	case status != 0 && spec.retryable[status]:
		if !isVE {
			ve = &pos.VendorError{Vendor: a.m.Vendor, Op: "push " + string(kind), Status: status}
		}
		ve.Kind = pos.Retryable
		p.abort = ve
		return fail(ve.Error())
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		p.abort = err
		return fail(err.Error())
	case err != nil && status == 0:
		p.abort = err // transport trouble or cancellation
		return fail(err.Error())
	case err != nil:
		return fail(err.Error())
	default:
		return fail(fmt.Sprintf("http %d is not in push_item.success", status))
	}
	newID := vendorID
	if newID == "" {
		newID = auraID
	}
	if spec.id != nil && body != nil {
		v, err := spec.id.optional(ctx, a.env, body, vars)
		if err == nil {
			var s string
			if s, err = scalarString("push_item.id", v); err == nil && s != "" {
				newID = s
			}
		}
		if err != nil {
			a.log.Warn("vendor id not read from push response", "aura_id", auraID, "err", err)
		}
	}
	if r != &spec.req || newID != vendorID {
		// Hash the update request the next push would compare with.
		if req, err = build(&spec.req, newID); err != nil {
			return fail("pushed, but the update request cannot be built: " + err.Error())
		}
	}
	if err := a.maps.Put(kind, auraID, pos.Mapping{VendorID: newID, Hash: pos.Hash(req)}); err != nil {
		p.abort = err
		return fail("pushed, but the id mapping was not saved: " + err.Error())
	}
	if spec.varIDs != nil && body != nil {
		if err := p.variations(ctx, in, body, newID, vars); err != nil {
			a.log.Warn("variation ids not recorded from the push answer", "aura_id", auraID, "err", err)
		}
	}
	res.VendorID = newID
	return res
}

// variations records the vendor ids push_item.variation_ids reads from an
// item's answer, parallel to the Aura item's variations.
func (p *pusher) variations(ctx context.Context, in map[string]any, body any, itemID string, vars runVars) error {
	a := p.a
	it, ok := in["item"].(*model.Item)
	if !ok {
		return nil
	}
	v, err := a.push.varIDs.optional(ctx, a.env, body, vars)
	if err != nil {
		return err
	}
	ids, ok := v.([]any)
	if !ok {
		return fmt.Errorf("push_item.variation_ids: want an array, got %s", typeName(v))
	}
	if len(ids) != len(it.Variations) {
		return fmt.Errorf("push_item.variation_ids: %d ids for %d variations", len(ids), len(it.Variations))
	}
	for i, x := range ids {
		id, err := scalarString("push_item.variation_ids", x)
		if err != nil || id == "" {
			return fmt.Errorf("push_item.variation_ids: variation %s has no id", it.Variations[i].ID)
		}
		if err := a.maps.Put(pos.KindVariation, it.Variations[i].ID, pos.Mapping{VendorID: id,
			Extra: map[string]string{"parent_id": itemID}}); err != nil {
			return err
		}
	}
	return nil
}
