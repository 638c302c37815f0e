package square

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// hashVersion is part of every object hash; bump it when the mapping from
// Aura to Square changes so that the next push re-sends everything.
const hashVersion = "square/1"

// soldOutNote explains why a sold-out object was pushed as available.
const soldOutNote = "sold_out is not settable through the Catalog API (Square sets it from inventory or the seller); pushed as available"

// node is one Aura object in a push plan.
type node struct {
	kind     pos.ObjectKind
	auraID   string
	typ      string // Square CatalogObjectType
	hash     string
	status   pos.Status // created, updated or unchanged before the push
	parent   *node      // item of a variation, group of a modifier
	children []*node
	refs     []*node // categories, taxes and groups an item points at

	vendorID string
	version  int64
	failed   string // reason, when the push of this object failed
	note     string // reason attached to a successful status
	sent     bool

	tax       *model.Tax
	category  *model.Category
	group     *model.ModifierGroup
	modifier  *model.Modifier
	item      *model.Item
	variation *model.Variation
}

// unit is one top-level object in a batch: a node alone, or a parent sent
// whole with all its children (Square has no sparse updates).
type unit struct {
	n     *node
	whole bool
}

func (u unit) size() int {
	if u.whole {
		return 1 + len(u.n.children)
	}
	return 1
}

func (u unit) nodes() []*node {
	if u.whole {
		return append([]*node{u.n}, u.n.children...)
	}
	return []*node{u.n}
}

// pusher holds the state of one PushMenu call.
type pusher struct {
	a     *Adapter
	menu  *model.Menu
	nodes []*node // in result order
	units []unit  // in send order: taxes, categories, groups, items
	// removals are objects pushed before and gone from the menu.
	removals []*removal
}

// PushMenu makes the Square catalog match menu. See pos.Adapter.
func (a *Adapter) PushMenu(ctx context.Context, menu *model.Menu, opts pos.PushOptions) ([]pos.ObjectResult, error) {
	if ps := menu.Validate(); ps != nil {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "push menu", Kind: pos.Invalid, Message: "menu is invalid", Err: ps}
	}
	p := &pusher{a: a, menu: menu}
	if err := p.plan(); err != nil {
		return nil, err
	}
	if err := p.planDeletions(); err != nil {
		return nil, err
	}
	if opts.DryRun {
		return append(p.results(), p.removalResults(true)...), nil
	}
	err := p.push(ctx)
	if err == nil {
		err = p.deleteRemoved(ctx)
	} else {
		for _, r := range p.removals {
			r.failed = "not attempted: " + err.Error()
		}
	}
	return append(p.results(), p.removalResults(false)...), err
}

// plan builds the node graph, reads the mappings and decides what to send.
func (p *pusher) plan() error {
	cur := p.menu.Currency
	byID := map[string]*node{}
	add := func(n *node) error {
		m, err := p.a.maps.Get(n.kind, n.auraID)
		if err != nil {
			return err
		}
		switch {
		case m == nil || m.VendorID == "":
			n.status = pos.StatusCreated
		case m.Hash != n.hash:
			n.status = pos.StatusUpdated
		default:
			n.status = pos.StatusUnchanged
		}
		if m != nil {
			n.vendorID = m.VendorID
			n.version, _ = strconv.ParseInt(m.Version, 10, 64)
		}
		byID[n.auraID] = n
		p.nodes = append(p.nodes, n)
		return nil
	}
	for i := range p.menu.Taxes {
		t := &p.menu.Taxes[i]
		n := &node{kind: pos.KindTax, typ: "TAX", auraID: t.ID, tax: t,
			hash: pos.Hash([]any{hashVersion, t.Name, strings.TrimSpace(t.Percentage), t.Inclusive})}
		if err := add(n); err != nil {
			return err
		}
	}
	for i := range p.menu.Categories {
		c := &p.menu.Categories[i]
		n := &node{kind: pos.KindCategory, typ: "CATEGORY", auraID: c.ID, category: c,
			hash: pos.Hash([]any{hashVersion, c.Name})}
		if err := add(n); err != nil {
			return err
		}
	}
	for i := range p.menu.ModifierGroups {
		g := &p.menu.ModifierGroups[i]
		var modIDs []string
		for _, m := range g.Modifiers {
			modIDs = append(modIDs, m.ID)
		}
		n := &node{kind: pos.KindModifierGroup, typ: "MODIFIER_LIST", auraID: g.ID, group: g,
			hash: pos.Hash([]any{hashVersion, g.Name, g.Min, g.Max, modIDs})}
		if err := add(n); err != nil {
			return err
		}
		for j := range g.Modifiers {
			m := &g.Modifiers[j]
			c := &node{kind: pos.KindModifier, typ: "MODIFIER", auraID: m.ID, modifier: m, parent: n,
				hash: pos.Hash([]any{hashVersion, g.ID, m.Name, m.Price.Amount, cur, m.Availability.IsAvailable()})}
			if m.Availability == model.SoldOut {
				c.note = soldOutNote
			}
			if err := add(c); err != nil {
				return err
			}
			n.children = append(n.children, c)
		}
	}
	for i := range p.menu.Items {
		it := &p.menu.Items[i]
		var varIDs []string
		for _, v := range it.Variations {
			varIDs = append(varIDs, v.ID)
		}
		n := &node{kind: pos.KindItem, typ: "ITEM", auraID: it.ID, item: it,
			hash: pos.Hash([]any{hashVersion, it.Name, it.Description, it.CategoryID, it.TaxIDs, it.ModifierGroupIDs,
				it.Availability == model.Unavailable, varIDs})}
		if it.Availability == model.SoldOut {
			n.note = soldOutNote
		}
		if it.CategoryID != "" {
			n.refs = append(n.refs, byID[it.CategoryID])
		}
		for _, id := range it.TaxIDs {
			n.refs = append(n.refs, byID[id])
		}
		for _, id := range it.ModifierGroupIDs {
			n.refs = append(n.refs, byID[id])
		}
		if err := add(n); err != nil {
			return err
		}
		for j := range it.Variations {
			v := &it.Variations[j]
			c := &node{kind: pos.KindVariation, typ: "ITEM_VARIATION", auraID: v.ID, variation: v, parent: n,
				hash: pos.Hash([]any{hashVersion, it.ID, v.Name, v.SKU, v.Price.Amount, cur, v.Availability.IsAvailable()})}
			if v.Availability == model.SoldOut {
				c.note = soldOutNote
			}
			if err := add(c); err != nil {
				return err
			}
			n.children = append(n.children, c)
		}
	}
	// Units: a changed parent goes whole; otherwise its changed children go
	// alone (a price change sends just that variation or modifier).
	for _, n := range p.nodes {
		if n.parent != nil {
			continue
		}
		switch {
		case n.status != pos.StatusUnchanged:
			p.units = append(p.units, unit{n: n, whole: true})
		default:
			for _, c := range n.children {
				if c.status != pos.StatusUnchanged {
					p.units = append(p.units, unit{n: c})
				}
			}
		}
	}
	return nil
}

// push sends the units in chunks of at most batch_size objects, one batch
// per request, so that ids created by one chunk are known to the next and a
// failed batch is attributed to its own objects.
func (p *pusher) push(ctx context.Context) error {
	var chunks [][]unit
	var cur []unit
	size := 0
	for _, u := range p.units {
		if size > 0 && size+u.size() > p.a.set.batchSize {
			chunks = append(chunks, cur)
			cur, size = nil, 0
		}
		cur = append(cur, u)
		size += u.size()
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	for i, chunk := range chunks {
		if err := p.pushChunk(ctx, i, chunk); err != nil {
			// Transport, auth or rate-limit trouble: everything not yet sent
			// fails with the same reason, and the scheduler gets the error.
			for _, rest := range chunks[i:] {
				for _, u := range rest {
					for _, n := range u.nodes() {
						if n.failed == "" && !n.sent {
							n.failed = err.Error()
						}
					}
				}
			}
			return err
		}
	}
	return nil
}

// pushChunk sends one chunk. It returns an error only for failures that
// should stop the whole push (retryable, auth); an invalid or conflicting
// batch fails its own objects and the push goes on.
func (p *pusher) pushChunk(ctx context.Context, idx int, chunk []unit) error {
	for attempt := 0; ; attempt++ {
		var objs []catalogObject
		var sent []unit
		for _, u := range chunk {
			obj, err := p.object(u.n)
			if err != nil {
				for _, n := range u.nodes() {
					n.failed = err.Error()
				}
				continue
			}
			objs = append(objs, obj)
			sent = append(sent, u)
		}
		if len(objs) == 0 {
			return nil
		}
		body, err := json.Marshal(objs)
		if err != nil {
			return err
		}
		req := batchUpsertRequest{
			IdempotencyKey: p.idempotencyKey(idx, attempt, body),
			Batches:        []catalogBatch{{Objects: objs}},
		}
		var resp batchUpsertResponse
		_, err = p.a.callWrite(ctx, "catalog batch-upsert", http.MethodPost, "/v2/catalog/batch-upsert", req, &resp)
		if err == nil && len(resp.Errors) > 0 {
			// A 200 that carries errors: the batch was disregarded.
			code := resp.Errors[0].Code
			err = classify(&pos.VendorError{Vendor: Vendor, Op: "catalog batch-upsert", Status: http.StatusOK,
				Code: code, Message: joinErrors(resp.Errors), Kind: pos.Invalid})
		}
		if err == nil {
			return p.apply(sent, &resp)
		}
		kind := pos.KindOf(err)
		if (kind == pos.Conflict || codeOf(err) == "NOT_FOUND") && attempt == 0 {
			// Someone changed (or deleted) an object in Square since our
			// last push: re-read versions and try once more.
			p.a.log.Info("square catalog objects changed elsewhere; re-reading", "chunk", idx, "err", err)
			if rerr := p.reread(ctx, sent); rerr != nil {
				return rerr
			}
			continue
		}
		if kind == pos.Retryable || kind == pos.Auth || ctx.Err() != nil {
			return err
		}
		for _, u := range sent {
			for _, n := range u.nodes() {
				n.failed = err.Error()
			}
		}
		return nil
	}
}

// apply records the ids and versions Square returned for a chunk.
func (p *pusher) apply(sent []unit, resp *batchUpsertResponse) error {
	ids := map[string]string{}
	for _, m := range resp.IDMappings {
		ids[m.ClientObjectID] = m.ObjectID
	}
	versions := map[string]int64{}
	walkObjects(resp.Objects, func(o *catalogObject) { versions[o.ID] = o.Version })
	var firstErr error
	for _, u := range sent {
		for _, n := range u.nodes() {
			n.sent = true
			if n.vendorID == "" {
				n.vendorID = ids["#"+n.auraID]
			}
			if n.vendorID == "" {
				n.failed = "square returned no id mapping for #" + n.auraID
				continue
			}
			if v, ok := versions[n.vendorID]; ok {
				n.version = v
			}
			m := pos.Mapping{VendorID: n.vendorID, Version: strconv.FormatInt(n.version, 10), Hash: n.hash}
			if n.parent != nil {
				m.Extra = map[string]string{"parent": n.parent.auraID, "parent_id": n.parent.vendorID}
			}
			if err := p.a.maps.Put(n.kind, n.auraID, m); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("store mapping %s/%s: %w", n.kind, n.auraID, err)
			}
		}
		if u.whole && u.n.status == pos.StatusUpdated {
			p.forgetRemovedChildren(u.n)
		}
	}
	return firstErr
}

// forgetRemovedChildren deletes mappings of variations or modifiers that
// were under parent before and are not any more: the full-object update
// just removed them from Square (verify: Square deletes omitted variations).
func (p *pusher) forgetRemovedChildren(parent *node) {
	kind := pos.KindVariation
	if parent.kind == pos.KindModifierGroup {
		kind = pos.KindModifier
	}
	keep := map[string]bool{}
	for _, c := range parent.children {
		keep[c.auraID] = true
	}
	prefix := "map/" + string(kind) + "/"
	all, err := p.a.cfg.State.List(prefix)
	if err != nil {
		p.a.log.Warn("list mappings", "err", err)
		return
	}
	for key, b := range all {
		id := strings.TrimPrefix(key, prefix)
		var m pos.Mapping
		if json.Unmarshal(b, &m) != nil || m.Extra["parent"] != parent.auraID || keep[id] {
			continue
		}
		if err := p.a.maps.Delete(kind, id); err != nil {
			p.a.log.Warn("delete mapping", "kind", kind, "aura_id", id, "err", err)
		}
	}
}

// reread refreshes the versions of the chunk's existing objects from
// Square (batch-retrieve). Objects Square no longer has are created anew.
func (p *pusher) reread(ctx context.Context, sent []unit) error {
	var ids []string
	for _, u := range sent {
		for _, n := range u.nodes() {
			if n.vendorID != "" {
				ids = append(ids, n.vendorID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var resp batchRetrieveCatalogResponse
	if _, err := p.a.call(ctx, "catalog batch-retrieve", http.MethodPost, "/v2/catalog/batch-retrieve", nil,
		batchRetrieveCatalogRequest{ObjectIDs: ids}, &resp); err != nil {
		return err
	}
	live := map[string]int64{}
	walkObjects(resp.Objects, func(o *catalogObject) {
		if !o.IsDeleted {
			live[o.ID] = o.Version
		}
	})
	for _, u := range sent {
		for _, n := range u.nodes() {
			if n.vendorID == "" {
				continue
			}
			if v, ok := live[n.vendorID]; ok {
				n.version = v
				continue
			}
			p.a.log.Info("square catalog object gone; creating it again", "kind", n.kind, "aura_id", n.auraID)
			n.vendorID, n.version, n.status = "", 0, pos.StatusCreated
		}
	}
	return nil
}

// walkObjects calls fn for each object and its nested variations and
// modifiers.
func walkObjects(objs []catalogObject, fn func(*catalogObject)) {
	for i := range objs {
		o := &objs[i]
		fn(o)
		if o.ItemData != nil {
			walkObjects(o.ItemData.Variations, fn)
		}
		if o.ModifierListData != nil {
			walkObjects(o.ModifierListData.Modifiers, fn)
		}
	}
}

func codeOf(err error) string {
	var ve *pos.VendorError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}

var errDependency = errors.New("depends on an object that failed")

// ref is the id to use for n in a payload: its Square id, or "#<aura id>"
// when it is being created in this chunk.
func (p *pusher) ref(n *node) (string, error) {
	if n.failed != "" {
		return "", fmt.Errorf("%w: %s %s", errDependency, n.kind, n.auraID)
	}
	if n.vendorID != "" {
		return n.vendorID, nil
	}
	return "#" + n.auraID, nil
}

func ptr[T any](v T) *T { return &v }

// object builds the full Square CatalogObject for n; a group or an item
// carries all its children.
func (p *pusher) object(n *node) (catalogObject, error) {
	id, err := p.ref(n)
	if err != nil {
		return catalogObject{}, err
	}
	cur := p.menu.Currency
	o := catalogObject{Type: n.typ, ID: id, PresentAtAllLocations: ptr(true)}
	if n.vendorID != "" {
		o.Version = n.version
	}
	switch n.kind {
	case pos.KindTax:
		inclusion := "ADDITIVE"
		if n.tax.Inclusive {
			inclusion = "INCLUSIVE"
		}
		o.TaxData = &catalogTax{Name: n.tax.Name, CalculationPhase: "TAX_SUBTOTAL_PHASE", InclusionType: inclusion,
			Percentage: strings.TrimSpace(n.tax.Percentage), Enabled: ptr(true)}
	case pos.KindCategory:
		o.CategoryData = &catalogCategory{Name: n.category.Name}
	case pos.KindModifierGroup:
		g := n.group
		sel := "MULTIPLE"
		if g.Max == 1 {
			sel = "SINGLE"
		}
		o.ModifierListData = &catalogModifierList{Name: g.Name, SelectionType: sel,
			MinSelectedModifiers: ptr(int64(g.Min)), MaxSelectedModifiers: ptr(int64(g.Max))}
		for _, c := range n.children {
			co, err := p.object(c)
			if err != nil {
				return o, err
			}
			co.ModifierData.ModifierListID = "" // implied by nesting
			o.ModifierListData.Modifiers = append(o.ModifierListData.Modifiers, co)
		}
	case pos.KindModifier:
		m := n.modifier
		o.PresentAtAllLocations = ptr(m.Availability != model.Unavailable)
		parent, err := p.ref(n.parent)
		if err != nil {
			return o, err
		}
		o.ModifierData = &catalogModifier{Name: m.Name, PriceMoney: &money{Amount: m.Price.Amount, Currency: cur},
			ModifierListID: parent}
	case pos.KindItem:
		it := n.item
		d := &catalogItem{Name: it.Name, Description: it.Description, IsArchived: ptr(it.Availability == model.Unavailable)}
		for _, r := range n.refs {
			rid, err := p.ref(r)
			if err != nil {
				return o, err
			}
			switch r.kind {
			case pos.KindCategory:
				d.Categories = append(d.Categories, catalogObjectCategory{ID: rid})
			case pos.KindTax:
				d.TaxIDs = append(d.TaxIDs, rid)
			case pos.KindModifierGroup:
				d.ModifierListInfo = append(d.ModifierListInfo, catalogItemModifierList{ModifierListID: rid, Enabled: ptr(true)})
			}
		}
		for _, c := range n.children {
			co, err := p.object(c)
			if err != nil {
				return o, err
			}
			d.Variations = append(d.Variations, co)
		}
		o.ItemData = d
	case pos.KindVariation:
		v := n.variation
		o.PresentAtAllLocations = ptr(v.Availability != model.Unavailable)
		parent, err := p.ref(n.parent)
		if err != nil {
			return o, err
		}
		o.ItemVariationData = &catalogItemVariation{ItemID: parent, Name: v.Name, SKU: v.SKU,
			PricingType: "FIXED_PRICING", PriceMoney: &money{Amount: v.Price.Amount, Currency: cur}}
	}
	return o, nil
}

// idempotencyKey derives the key from the integration, the menu id and
// version, the chunk index, the attempt and the exact objects sent: a
// resend of the same payload (say after a timeout) reuses the key and
// Square answers with the original result, while a different payload never
// collides with an earlier one (IDEMPOTENCY_KEY_REUSED).
func (p *pusher) idempotencyKey(chunk, attempt int, objects []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00", p.a.cfg.IntegrationID, p.menu.ID, p.menu.Version, chunk, attempt)
	h.Write(objects)
	return "aura-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// results lists one ObjectResult per Aura object, in menu order.
func (p *pusher) results() []pos.ObjectResult {
	out := make([]pos.ObjectResult, 0, len(p.nodes))
	for _, n := range p.nodes {
		r := pos.ObjectResult{Kind: n.kind, AuraID: n.auraID, VendorID: n.vendorID, Status: n.status, Reason: n.note}
		if n.failed != "" {
			r.Status, r.Reason = pos.StatusFailed, n.failed
		}
		out = append(out, r)
	}
	return out
}
