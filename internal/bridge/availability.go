package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/store"
)

// MenuOptions are the store-wide menu settings (config key menu).
type MenuOptions struct {
	// MaxDeleteShare is the largest share (0..1) of the objects pushed
	// before that a push may delete without allow_deletions. Default 0.2.
	MaxDeleteShare float64
	// ClosingTime is the store's closing time, "HH:MM" in Location, used by
	// "until close". Empty means "until close" is refused.
	ClosingTime string
	// Location is the store's time zone (default time.Local).
	Location *time.Location
}

func (o MenuOptions) maxDeleteShare() float64 {
	if o.MaxDeleteShare <= 0 {
		return 0.2
	}
	return o.MaxDeleteShare
}

// ErrBadAvailability is wrapped by errors about an availability request
// (unknown kinds, bad times): the caller's input, not the vendor.
var ErrBadAvailability = errors.New("bad availability request")

// AvailabilityRequest takes objects off sale until a time, or puts them
// back on sale.
type AvailabilityRequest struct {
	// IntegrationID targets one integration; "" means every integration.
	IntegrationID string `json:"integration_id,omitempty"`
	// Objects are the items, variations or modifiers (Aura ids).
	Objects []AvailabilityObject `json:"objects"`
	// Available true puts the objects back on sale now.
	Available bool `json:"available"`
	// Until is when they come back; the zero time means until further
	// notice. Ignored when Available.
	Until time.Time `json:"until,omitzero"`
	// Reason is free text for the audit log.
	Reason string `json:"reason,omitempty"`
}

// AvailabilityObject names one object.
type AvailabilityObject struct {
	Kind pos.ObjectKind `json:"kind"`
	ID   string         `json:"id"`
	// VendorID names the vendor's object directly (Toast GUIDs, where Aura
	// does not push the menu).
	VendorID string `json:"vendor_id,omitempty"`
}

// Unavailable is one object taken off sale, as stored in bbolt until it
// comes back.
type Unavailable struct {
	IntegrationID string         `json:"integration_id"`
	Kind          pos.ObjectKind `json:"kind"`
	AuraID        string         `json:"aura_id"`
	VendorID      string         `json:"vendor_id,omitempty"`
	Since         time.Time      `json:"since"`
	Until         time.Time      `json:"until,omitzero"` // zero: until further notice
	Actor         string         `json:"actor,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	// Failures counts failed restore attempts; LastError is the latest.
	Failures  int    `json:"failures,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

func (u Unavailable) key() []byte {
	return []byte(u.IntegrationID + "\x00" + string(u.Kind) + "\x00" + u.AuraID + "\x00" + u.VendorID)
}

// ParseUntil turns the request forms into a time: "close" (the store's
// closing time, next occurrence), a duration such as "2h" or "90m", an
// RFC 3339 time, or "" for until further notice.
func (b *Bridge) ParseUntil(until, forDur string) (time.Time, error) {
	now := b.d.Now()
	switch {
	case until != "" && forDur != "":
		return time.Time{}, fmt.Errorf("%w: give either until or for, not both", ErrBadAvailability)
	case forDur != "":
		d, err := time.ParseDuration(forDur)
		if err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("%w: for must be a positive duration such as \"2h\" or \"90m\" (got %q)", ErrBadAvailability, forDur)
		}
		return now.Add(d).UTC(), nil
	case until == "" || until == "further_notice":
		return time.Time{}, nil
	case until == "close":
		return b.nextClose(now)
	}
	t, err := time.Parse(time.RFC3339, until)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: until must be \"close\", \"further_notice\" or a time such as 2026-12-03T23:00:00Z (got %q)", ErrBadAvailability, until)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%w: until %s is in the past", ErrBadAvailability, until)
	}
	return t.UTC(), nil
}

// nextClose is the next closing time after now.
func (b *Bridge) nextClose(now time.Time) (time.Time, error) {
	ct := b.d.Menu.ClosingTime
	if ct == "" {
		return time.Time{}, fmt.Errorf("%w: \"until close\" needs the store's closing time: set menu.closing_time in the config", ErrBadAvailability)
	}
	hm, err := time.Parse("15:04", ct)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: menu.closing_time %q is not HH:MM", ErrBadAvailability, ct)
	}
	loc := b.d.Menu.Location
	if loc == nil {
		loc = time.Local
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	if !t.After(n) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, hm.Hour(), hm.Minute(), 0, 0, loc)
	}
	return t.UTC(), nil
}

var availabilityKinds = map[pos.ObjectKind]bool{pos.KindItem: true, pos.KindVariation: true, pos.KindModifier: true}

// SetAvailability applies req to its integrations and records what stays
// off sale (and until when) in bbolt, in the same run as the vendor call.
// Every integration gets one audit record.
func (b *Bridge) SetAvailability(ctx context.Context, req AvailabilityRequest, actor string) ([]Result, error) {
	if len(req.Objects) == 0 {
		return nil, fmt.Errorf("%w: name at least one object", ErrBadAvailability)
	}
	for i, o := range req.Objects {
		if !availabilityKinds[o.Kind] {
			return nil, fmt.Errorf("%w: objects[%d].kind must be item, variation or modifier (got %q)", ErrBadAvailability, i, o.Kind)
		}
		if o.ID == "" && o.VendorID == "" {
			return nil, fmt.Errorf("%w: objects[%d] needs an id", ErrBadAvailability, i)
		}
	}
	if req.Available {
		req.Until = time.Time{}
	}
	ins, err := b.targets(req.IntegrationID)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(ins))
	for _, in := range ins {
		changes := make([]pos.AvailabilityChange, len(req.Objects))
		for i, o := range req.Objects {
			changes[i] = pos.AvailabilityChange{Kind: o.Kind, AuraID: o.ID, VendorID: o.VendorID, Available: req.Available}
		}
		res, _ := b.applyAvailability(ctx, in, changes, req.Until, req.Reason, actor, "set")
		out = append(out, res)
	}
	b.wakeRestorer()
	return out, nil
}

// applyAvailability calls the adapter and stores or clears the schedule
// entries of the objects it changed.
func (b *Bridge) applyAvailability(ctx context.Context, in integrations.Integration, changes []pos.AvailabilityChange,
	until time.Time, reason, actor, why string) (Result, error) {
	l := b.lock(b.pushMu, in.ID)
	l.Lock()
	defer l.Unlock()
	return b.applyAvailabilityLocked(ctx, in, changes, until, reason, actor, why)
}

// applyAvailabilityLocked is applyAvailability with the integration's push
// lock held.
func (b *Bridge) applyAvailabilityLocked(ctx context.Context, in integrations.Integration, changes []pos.AvailabilityChange,
	until time.Time, reason, actor, why string) (Result, error) {
	start := b.d.Now()
	b.fillNames(in.ID, changes)
	res := Result{IntegrationID: in.ID, Vendor: in.Vendor}
	a, _, err := b.Adapter(in.ID)
	var objs []pos.ObjectResult
	if err == nil {
		setter, ok := a.(pos.AvailabilitySetter)
		if !ok {
			err = &pos.VendorError{Vendor: in.Vendor, Op: "set availability", Kind: pos.Unsupported,
				Message: in.Vendor + " availability is not supported by this adapter"}
			for _, c := range changes {
				objs = append(objs, pos.ObjectResult{Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Status: pos.StatusUnsupported, Reason: err.Error()})
			}
		} else {
			objs, err = setter.SetAvailability(ctx, changes)
		}
	}
	res.Objects = objs
	ok := 0
	for i, o := range objs {
		if i >= len(changes) || o.Status != pos.StatusUpdated {
			continue
		}
		ok++
		c := changes[i]
		u := Unavailable{IntegrationID: in.ID, Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Since: start.UTC(),
			Until: until, Actor: actor, Reason: reason}
		if serr := b.storeAvailability(u, c.Available); serr != nil && err == nil {
			err = serr
		}
	}
	counts := countStatuses(objs)
	st := audit.Success
	switch {
	case err != nil && ok == 0:
		res.Status, res.Message, st = "failed", fmtErr(err), statusOf(err)
		if pos.KindOf(err) == pos.Unsupported {
			res.Status = "unsupported"
		}
	case ok < len(changes):
		res.Status, res.Message, st = "partial", counts+": "+firstReason(objs), audit.Failed
		if err == nil {
			err = errors.New("some objects failed: " + firstReason(objs))
		}
	default:
		res.Status, res.Message = "success", counts
	}
	what := "available again"
	if len(changes) > 0 && !changes[0].Available {
		what = "unavailable until further notice"
		if !until.IsZero() {
			what = "unavailable until " + until.Format(time.RFC3339)
		}
	}
	var ids []string
	for _, c := range changes {
		ids = append(ids, string(c.Kind)+" "+firstNonEmpty(c.AuraID, c.VendorID))
	}
	details, _ := json.Marshal(map[string]any{"why": why, "until": until, "reason": reason, "objects": objs})
	b.d.Audit.Record(ctx, audit.Record{Type: "menu_availability", Status: st, Integration: in.ID, Vendor: in.Vendor,
		Actor: actor, DurationMS: b.d.Now().Sub(start).Milliseconds(), Details: details,
		Message: fmt.Sprintf("%s %s (%s): %s", strings.Join(ids, ", "), what, why, res.Message)})
	return res, err
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (b *Bridge) storeAvailability(u Unavailable, available bool) error {
	return b.d.DB.Update(func(tx *store.Tx) error {
		bk := tx.Bucket(store.Availability)
		if available {
			return bk.Delete(u.key())
		}
		v, err := json.Marshal(u)
		if err != nil {
			return err
		}
		return bk.Put(u.key(), v)
	})
}

// Unavailables lists the objects off sale (all integrations when id is ""),
// soonest back first, those until further notice last.
func (b *Bridge) Unavailables(id string) ([]Unavailable, error) {
	var out []Unavailable
	err := b.d.DB.View(func(tx *store.Tx) error {
		return tx.Bucket(store.Availability).ForEach(func(k, v []byte) error {
			var u Unavailable
			if json.Unmarshal(v, &u) != nil {
				return nil
			}
			if id == "" || u.IntegrationID == id {
				out = append(out, u)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i].Until, out[j].Until
		if a.IsZero() != c.IsZero() {
			return c.IsZero()
		}
		return a.Before(c)
	})
	return out, err
}

// restoreRetry is how long a failed restore waits before the next try.
const restoreRetry = 30 * time.Second

// maxRestoreWait bounds the restorer's sleep, so a changed clock is noticed.
const maxRestoreWait = time.Minute

// RestoreDue puts back on sale every object whose time has come, and
// returns when the next one is due (zero when none is scheduled). Entries
// stay in bbolt until the vendor confirms, so a crash or a vendor outage
// only delays the restore.
func (b *Bridge) RestoreDue(ctx context.Context) time.Time {
	all, err := b.Unavailables("")
	if err != nil {
		b.d.Log.Error("read availability schedule", "err", err)
		return b.d.Now().Add(restoreRetry)
	}
	now := b.d.Now()
	due := map[string][]Unavailable{}
	var next time.Time
	for _, u := range all {
		if u.Until.IsZero() {
			continue
		}
		at := u.Until
		if u.Failures > 0 {
			at = at.Add(time.Duration(min(u.Failures, 10)) * restoreRetry)
		}
		if at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		due[u.IntegrationID] = append(due[u.IntegrationID], u)
	}
	ids := make([]string, 0, len(due))
	for id := range due {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		us := due[id]
		in, err := b.d.Integrations.Get(id)
		if err != nil {
			// The integration is gone: nothing to restore.
			for _, u := range us {
				_ = b.storeAvailability(u, true)
			}
			continue
		}
		changes := make([]pos.AvailabilityChange, len(us))
		for i, u := range us {
			changes[i] = pos.AvailabilityChange{Kind: u.Kind, AuraID: u.AuraID, VendorID: u.VendorID, Available: true}
		}
		res, err := b.applyAvailability(ctx, in, changes, time.Time{}, "scheduled end of unavailability", "scheduler", "expired")
		for i, u := range us {
			if i < len(res.Objects) && res.Objects[i].Status == pos.StatusUpdated {
				continue // applyAvailability removed the entry
			}
			u.Failures++
			u.LastError = fmtErr(err)
			if i < len(res.Objects) && res.Objects[i].Reason != "" {
				u.LastError = res.Objects[i].Reason
			}
			if serr := b.storeAvailability(u, false); serr != nil {
				b.d.Log.Error("store availability retry", "err", serr)
			}
			at := u.Until.Add(time.Duration(min(u.Failures, 10)) * restoreRetry)
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	return next
}

// wakeRestorer makes the restore loop look at the schedule again.
func (b *Bridge) wakeRestorer() {
	select {
	case b.restoreWake <- struct{}{}:
	default:
	}
}

// runRestorer restores expired unavailability until ctx is done. Entries
// whose time passed while the daemon was stopped are restored at once.
func (b *Bridge) runRestorer(ctx context.Context) {
	for {
		next := b.RestoreDue(ctx)
		wait := maxRestoreWait
		if !next.IsZero() {
			wait = min(max(next.Sub(b.d.Now()), 10*time.Millisecond), maxRestoreWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-b.restoreWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// reapplyAvailability takes objects that are still off sale off sale again
// after a menu push (a full-object update at the vendor puts them back).
func (b *Bridge) reapplyAvailability(ctx context.Context, in integrations.Integration) {
	us, err := b.Unavailables(in.ID)
	if err != nil || len(us) == 0 {
		return
	}
	now := b.d.Now()
	byUntil := map[time.Time][]pos.AvailabilityChange{}
	reasons := map[time.Time]string{}
	for _, u := range us {
		if !u.Until.IsZero() && !u.Until.After(now) {
			continue // the restorer puts it back
		}
		byUntil[u.Until] = append(byUntil[u.Until], pos.AvailabilityChange{Kind: u.Kind, AuraID: u.AuraID, VendorID: u.VendorID})
		reasons[u.Until] = u.Reason
	}
	for until, changes := range byUntil {
		if _, err := b.applyAvailabilityLocked(ctx, in, changes, until, reasons[until], "bridge", "re-applied after menu push"); err != nil {
			b.d.Log.Warn("re-apply unavailability after push", "integration", in.ID, "err", err)
		}
	}
}

// AvailabilityInput is the shape of the menu.availability command's data
// and of POST /v1/menu/availability.
type AvailabilityInput struct {
	IntegrationID string               `json:"integration_id,omitempty"`
	Objects       []AvailabilityObject `json:"objects"`
	// Available true puts the objects back on sale now.
	Available bool `json:"available"`
	// Until is "close", "further_notice" (the default) or an RFC 3339 time.
	Until string `json:"until,omitempty"`
	// For is a duration such as "2h" (instead of Until).
	For    string `json:"for,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Request checks in and resolves its time.
func (b *Bridge) Request(in AvailabilityInput) (AvailabilityRequest, error) {
	req := AvailabilityRequest{IntegrationID: in.IntegrationID, Objects: in.Objects, Available: in.Available, Reason: in.Reason}
	if in.Available {
		if in.Until != "" || in.For != "" {
			return req, fmt.Errorf("%w: until and for apply to taking objects off sale (available: false)", ErrBadAvailability)
		}
		return req, nil
	}
	until, err := b.ParseUntil(in.Until, in.For)
	req.Until = until
	return req, err
}

// fillNames gives each change the names its object has in the menu last
// pushed (or received), for adapters that match objects by name (Toast).
func (b *Bridge) fillNames(id string, changes []pos.AvailabilityChange) {
	menu, _ := b.PushedMenu(id)
	if menu == nil {
		menu, _ = b.LatestMenu()
	}
	if menu == nil {
		return
	}
	names := map[string][]string{}
	for _, it := range menu.Items {
		names[it.ID] = []string{it.Name}
		for _, v := range it.Variations {
			n := []string{it.Name + " " + v.Name, v.Name}
			if len(it.Variations) == 1 {
				n = append([]string{it.Name}, n...)
			}
			names[v.ID] = n
		}
	}
	for _, g := range menu.ModifierGroups {
		for _, m := range g.Modifiers {
			names[m.ID] = []string{m.Name, g.Name + ": " + m.Name}
		}
	}
	for i := range changes {
		if len(changes[i].Names) == 0 {
			changes[i].Names = names[changes[i].AuraID]
		}
	}
}

// forgetMenu removes a deleted integration's pushed menu, last drift and
// availability schedule.
func (b *Bridge) forgetMenu(id string) error {
	return b.d.DB.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(store.PushedMenus).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(store.Drift).Delete([]byte(id)); err != nil {
			return err
		}
		av := tx.Bucket(store.Availability)
		var keys [][]byte
		prefix := id + "\x00"
		av.ForEach(func(k, _ []byte) error {
			if strings.HasPrefix(string(k), prefix) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range keys {
			if err := av.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
