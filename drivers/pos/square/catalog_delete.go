package square

import (
	"context"
	"net/http"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// maxDeletePerRequest bounds one BatchDeleteCatalogObjects call (Square
// documents no limit for it; 200 keeps a request small).
const maxDeletePerRequest = 200

// removal is an object pushed before and gone from the new menu.
type removal struct {
	pos.Removed
	parentKept *node // the item or list it stays under, for a removed child
	cascade    bool  // deleted with its removed parent
	status     pos.Status
	failed     string
}

type batchDeleteRequest struct {
	ObjectIDs []string `json:"object_ids"`
}

type batchDeleteResponse struct {
	Errors           []sqError `json:"errors"`
	DeletedObjectIDs []string  `json:"deleted_object_ids"`
	DeletedAt        string    `json:"deleted_at"`
}

// planDeletions finds the objects pushed before that the menu no longer
// has. Top-level objects (items, modifier lists, categories, taxes) are
// deleted with BatchDeleteCatalogObjects, which also deletes their
// variations or modifiers; a variation or modifier removed from a kept
// item or list goes with the full update of its parent.
func (p *pusher) planDeletions() error {
	gone, err := p.a.maps.RemovedObjects(p.menu, pos.KindItem, pos.KindVariation, pos.KindModifierGroup,
		pos.KindModifier, pos.KindCategory, pos.KindTax)
	if err != nil {
		return err
	}
	removedTop := map[string]bool{}
	for _, g := range gone {
		if g.Kind != pos.KindVariation && g.Kind != pos.KindModifier {
			removedTop[g.AuraID] = true
		}
	}
	byID := map[string]*node{}
	for _, n := range p.nodes {
		byID[n.auraID] = n
	}
	for _, g := range gone {
		r := &removal{Removed: g, status: pos.StatusDeleted}
		if g.Kind == pos.KindVariation || g.Kind == pos.KindModifier {
			parent := g.Mapping.Extra["parent"]
			switch {
			case removedTop[parent]:
				r.cascade = true
			case byID[parent] != nil:
				r.parentKept = byID[parent]
			default:
				// Parent unknown (never mapped, or removed earlier):
				// delete the object itself.
			}
		}
		p.removals = append(p.removals, r)
	}
	return nil
}

// deleteRemoved deletes the removed objects at Square and forgets their
// mappings. It runs after the upserts, so that items no longer point at a
// list or category being deleted.
func (p *pusher) deleteRemoved(ctx context.Context) error {
	var ids []string
	idOf := map[string]*removal{}
	for _, r := range p.removals {
		switch {
		case r.parentKept != nil:
			if r.parentKept.failed != "" || !r.parentKept.sent {
				r.failed = "its " + string(r.parentKept.kind) + " " + r.parentKept.auraID + " was not updated"
				if r.parentKept.failed != "" {
					r.failed += ": " + r.parentKept.failed
				}
			}
			continue // removed by the parent's full update (forgetRemovedChildren)
		case r.cascade:
			continue
		}
		ids = append(ids, r.Mapping.VendorID)
		idOf[r.Mapping.VendorID] = r
	}
	for len(ids) > 0 {
		n := min(len(ids), maxDeletePerRequest)
		chunk := ids[:n]
		ids = ids[n:]
		var resp batchDeleteResponse
		_, err := p.a.callWrite(ctx, "catalog batch-delete", http.MethodPost, "/v2/catalog/batch-delete",
			batchDeleteRequest{ObjectIDs: chunk}, &resp)
		if err != nil {
			for _, id := range append(chunk, ids...) {
				idOf[id].failed = err.Error()
			}
			p.failCascades()
			return err
		}
		deleted := map[string]bool{}
		for _, id := range resp.DeletedObjectIDs {
			deleted[id] = true
		}
		for _, id := range chunk {
			r := idOf[id]
			if !deleted[id] {
				// BatchDelete succeeds for the ids it could delete; an id
				// already gone at Square is just as gone.
				p.a.log.Info("square did not report a catalog object deleted; it was probably deleted already", "kind", r.Kind, "aura_id", r.AuraID, "square_id", id)
			}
			if err := p.a.maps.Delete(r.Kind, r.AuraID); err != nil {
				p.a.log.Warn("delete mapping", "kind", r.Kind, "aura_id", r.AuraID, "err", err)
			}
		}
	}
	p.failCascades()
	for _, r := range p.removals {
		if r.cascade && r.failed == "" {
			if err := p.a.maps.Delete(r.Kind, r.AuraID); err != nil {
				p.a.log.Warn("delete mapping", "kind", r.Kind, "aura_id", r.AuraID, "err", err)
			}
		}
	}
	return nil
}

// failCascades fails the children of parents whose deletion failed.
func (p *pusher) failCascades() {
	failed := map[string]string{}
	for _, r := range p.removals {
		if r.failed != "" {
			failed[r.AuraID] = r.failed
		}
	}
	for _, r := range p.removals {
		if r.cascade && r.failed == "" {
			if why, ok := failed[r.Mapping.Extra["parent"]]; ok {
				r.failed = why
			}
		}
	}
}

// removalResults reports the removals; a dry run says "would delete".
func (p *pusher) removalResults(dryRun bool) []pos.ObjectResult {
	out := make([]pos.ObjectResult, 0, len(p.removals))
	for _, r := range p.removals {
		res := pos.ObjectResult{Kind: r.Kind, AuraID: r.AuraID, VendorID: r.Mapping.VendorID, Status: r.status}
		switch {
		case r.failed != "":
			res.Status, res.Reason = pos.StatusFailed, "delete: "+r.failed
		case dryRun:
			res.Reason = pos.WouldDelete
		case r.cascade:
			res.Reason = "deleted with its parent"
		case r.parentKept != nil:
			res.Reason = "removed from " + string(r.parentKept.kind) + " " + r.parentKept.auraID
		}
		out = append(out, res)
	}
	return out
}
