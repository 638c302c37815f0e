package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Applied is the menu version last pushed successfully to an integration.
type Applied struct {
	MenuID    string    `json:"menu_id"`
	Version   string    `json:"version"`
	AppliedAt time.Time `json:"applied_at"`
}

// retry is a menu push waiting for another attempt. Only the newest menu
// matters, so there is at most one per integration.
type retry struct {
	Menu      model.Menu `json:"menu"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	Actor     string     `json:"actor"`
	Enqueued  time.Time  `json:"enqueued"`
	// AllowDeletions carries the command's consent to the retries.
	AllowDeletions bool `json:"allow_deletions,omitempty"`
}

// PushOptions modify a menu push.
type PushOptions struct {
	DryRun bool
	// AllowDeletions lets a push delete more than Menu.MaxDeleteShare of
	// the objects pushed before.
	AllowDeletions bool
}

// PushMenu validates menu and pushes it to integration target ("" for
// all), returning one result per integration with one entry per object.
// A dry run returns each adapter's plan without writing to the vendor.
// Retryable failures are queued and retried with backoff.
func (b *Bridge) PushMenu(ctx context.Context, menu *model.Menu, target string, dryRun bool, actor string) ([]Result, error) {
	return b.PushMenuWith(ctx, menu, target, PushOptions{DryRun: dryRun}, actor)
}

// PushMenuWith is PushMenu with options. A push that would delete more
// than the configured share of the objects pushed before is refused
// (status "refused") unless opts.AllowDeletions.
func (b *Bridge) PushMenuWith(ctx context.Context, menu *model.Menu, target string, opts PushOptions, actor string) ([]Result, error) {
	dryRun := opts.DryRun
	if ps := menu.Validate(); ps != nil {
		return nil, ps
	}
	if !dryRun {
		b.saveLatest(menu)
	}
	ins, err := b.targets(target)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(ins))
	for i, in := range ins {
		res, err := b.pushOne(ctx, in, menu, opts, actor, 1)
		if err != nil && !dryRun && retryable(res, err) {
			if qerr := b.saveRetry(in.ID, menu, 1, err, actor, opts.AllowDeletions); qerr == nil {
				delay := scheduler.Backoff(1, firstRetry, firstRetry)
				if ra := pos.RetryAfterOf(err); ra > 0 {
					delay = scheduler.PacedDelay(ra, scheduler.DefaultMaxRetryAfter)
				}
				res.Status = "retrying"
				res.Message += fmt.Sprintf(" (queued for retry in %s)", delay.Round(time.Second))
				if b.d.Scheduler != nil {
					// Honour the vendor's Retry-After for the first retry too;
					// later ones back off in the scheduler.
					key := in.ID + "/menu-retry"
					time.AfterFunc(delay, func() { b.d.Scheduler.Trigger(key) })
				}
			}
		}
		results[i] = res
	}
	return results, nil
}

// firstRetry is the base delay before a failed push is tried again.
const firstRetry = 2 * time.Second

// retryable says whether a failed push is worth another attempt.
func retryable(res Result, err error) bool {
	switch pos.KindOf(err) {
	case pos.Retryable, pos.Conflict:
		return true
	}
	return res.Status == "partial"
}

func (b *Bridge) pushOne(ctx context.Context, in integrations.Integration, menu *model.Menu, opts PushOptions, actor string, attempt int) (Result, error) {
	l := b.lock(b.pushMu, in.ID)
	l.Lock()
	defer l.Unlock()
	dryRun := opts.DryRun
	res := Result{IntegrationID: in.ID, Vendor: in.Vendor}
	start := b.d.Now()
	a, _, err := b.Adapter(in.ID)
	var objs []pos.ObjectResult
	var refused string
	if err == nil && !dryRun && !opts.AllowDeletions && b.pushedBefore(in.ID) {
		// The guard: plan first (no vendor writes) and count deletions.
		plan, perr := a.PushMenu(ctx, menu, pos.PushOptions{DryRun: true})
		if perr == nil {
			if why := b.deletionGuard(plan); why != "" {
				objs, refused = plan, why
			}
		}
	}
	if err == nil && refused == "" {
		objs, err = a.PushMenu(health.WithOperation(ctx, "menu_push"), menu, pos.PushOptions{DryRun: dryRun})
	}
	res.Objects = objs
	counts := countStatuses(objs)
	st := audit.Success
	switch {
	case refused != "":
		res.Status, res.Message, st = "refused", refused, audit.Rejected
		err = &pos.VendorError{Vendor: in.Vendor, Op: "menu push", Kind: pos.Invalid, Message: refused}
	case err != nil:
		res.Status, res.Message = "failed", err.Error()
		if pos.KindOf(err) == pos.Unsupported {
			res.Status = "unsupported"
		}
		st = statusOf(err)
	case dryRun:
		res.Status, res.Message = "dry_run", "plan: "+counts
	case len(objs) > 0 && counts == fmt.Sprintf("%d unsupported", len(objs)):
		res.Status, res.Message, st = "unsupported", counts, audit.Unsupported
		err = &pos.VendorError{Vendor: in.Vendor, Op: "menu push", Kind: pos.Unsupported, Message: firstReason(objs)}
	case strings.Contains(counts, "failed"):
		res.Status, res.Message, st = "partial", counts, audit.Failed
		err = errors.New("some objects failed: " + firstReason(objs))
	default:
		res.Status, res.Message = "success", counts
	}
	// The attempt's record comes before the menu is marked applied (and its
	// queued retry removed): whoever sees the push done in the status finds
	// its record in the sync logs.
	details, _ := json.Marshal(map[string]any{"menu_id": menu.ID, "version": menu.Version, "dry_run": dryRun,
		"allow_deletions": opts.AllowDeletions, "objects": objs})
	b.d.Audit.Record(ctx, audit.Record{
		Type: "menu_push", Status: st, Message: fmt.Sprintf("menu %s version %s: %s", menu.ID, menu.Version, res.Message),
		Integration: in.ID, Vendor: in.Vendor, Attempt: attempt, DurationMS: b.d.Now().Sub(start).Milliseconds(),
		RequestDigest: digest(menu), Actor: actor, Details: details,
	})
	if res.Status == "success" {
		b.markApplied(in.ID, menu)
	}
	if !dryRun && (res.Status == "success" || res.Status == "partial") {
		// Whatever reached the vendor is what drift is measured against.
		b.savePushed(in.ID, menu)
		if _, ok := a.(pos.AvailabilitySetter); ok {
			b.reapplyAvailability(ctx, in)
		}
	}
	return res, err
}

func firstReason(objs []pos.ObjectResult) string {
	for _, o := range objs {
		if o.Status == pos.StatusFailed || o.Status == pos.StatusUnsupported {
			return fmt.Sprintf("%s %s: %s", o.Kind, o.AuraID, o.Reason)
		}
	}
	return ""
}

// countStatuses summarises object results, e.g. "2 created, 9 unchanged".
func countStatuses(objs []pos.ObjectResult) string {
	n := map[pos.Status]int{}
	for _, o := range objs {
		n[o.Status]++
	}
	var keys []string
	for k := range n {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", n[pos.Status(k)], k))
	}
	if len(parts) == 0 {
		return "no objects"
	}
	return strings.Join(parts, ", ")
}

func (b *Bridge) markApplied(id string, menu *model.Menu) {
	v, _ := json.Marshal(Applied{MenuID: menu.ID, Version: menu.Version, AppliedAt: b.d.Now().UTC()})
	err := b.d.DB.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(store.Menus).Put([]byte(id), v); err != nil {
			return err
		}
		// A successful push supersedes a queued retry of an older menu.
		return tx.Bucket(store.Retries).Delete([]byte(id))
	})
	if err != nil {
		b.d.Log.Error("record applied menu", "integration", id, "err", err)
	}
}

// AppliedMenu returns what was last pushed successfully to id, or nil.
func (b *Bridge) AppliedMenu(id string) *Applied {
	var a *Applied
	b.d.DB.View(func(tx *store.Tx) error {
		if raw := tx.Bucket(store.Menus).Get([]byte(id)); raw != nil {
			a = &Applied{}
			return json.Unmarshal(raw, a)
		}
		return nil
	})
	return a
}

func (b *Bridge) saveRetry(id string, menu *model.Menu, attempts int, cause error, actor string, allowDeletions bool) error {
	v, err := json.Marshal(retry{Menu: *menu, Attempts: attempts, LastError: fmtErr(cause), Actor: actor, Enqueued: b.d.Now().UTC(),
		AllowDeletions: allowDeletions})
	if err != nil {
		return err
	}
	return b.d.DB.Update(func(tx *store.Tx) error { return tx.Bucket(store.Retries).Put([]byte(id), v) })
}

func (b *Bridge) loadRetry(id string) (*retry, error) {
	var r *retry
	err := b.d.DB.View(func(tx *store.Tx) error {
		raw := tx.Bucket(store.Retries).Get([]byte(id))
		if raw == nil {
			return nil
		}
		r = &retry{}
		return json.Unmarshal(raw, r)
	})
	return r, err
}

func (b *Bridge) pendingRetry(id string) bool {
	r, _ := b.loadRetry(id)
	return r != nil
}

// retryPush runs the queued push of id, if any. It returns an error while
// the push is still pending, so the scheduler backs off and calls again.
func (b *Bridge) retryPush(ctx context.Context, id string) error {
	r, err := b.loadRetry(id)
	if err != nil || r == nil {
		return err
	}
	in, err := b.d.Integrations.Get(id)
	if err != nil {
		return nil // deleted meanwhile
	}
	attempt := r.Attempts + 1
	res, perr := b.pushOne(ctx, in, &r.Menu, PushOptions{AllowDeletions: r.AllowDeletions}, r.Actor, attempt)
	if perr == nil {
		return nil // markApplied removed the retry
	}
	max := b.schedule(id).MaxAttempts
	if !retryable(res, perr) || attempt >= max {
		return b.deadLetter(ctx, in, r, attempt, perr)
	}
	if err := b.saveRetry(id, &r.Menu, attempt, perr, r.Actor, r.AllowDeletions); err != nil {
		return err
	}
	return perr
}

// deadLetter moves a push that will not succeed out of the retry queue.
func (b *Bridge) deadLetter(ctx context.Context, in integrations.Integration, r *retry, attempts int, cause error) error {
	r.Attempts, r.LastError = attempts, fmtErr(cause)
	v, _ := json.Marshal(r)
	key, _ := uuid.NewV7()
	err := b.d.DB.Update(func(tx *store.Tx) error {
		if err := tx.Bucket(store.DeadLetters, in.ID).Put([]byte(key.String()), v); err != nil {
			return err
		}
		return tx.Bucket(store.Retries).Delete([]byte(in.ID))
	})
	if err != nil {
		return err
	}
	b.d.Audit.Record(ctx, audit.Record{Type: "menu_push", Status: audit.Failed, Integration: in.ID, Vendor: in.Vendor,
		Attempt: attempts, Actor: r.Actor,
		Message: fmt.Sprintf("menu %s version %s moved to dead letters after %d attempts: %s", r.Menu.ID, r.Menu.Version, attempts, fmtErr(cause))})
	return nil
}

// Queue reports pending retries and dead letters per integration.
func (b *Bridge) Queue() (retries map[string]int, dead map[string]int) {
	retries, dead = map[string]int{}, map[string]int{}
	b.d.DB.View(func(tx *store.Tx) error {
		tx.Bucket(store.Retries).ForEach(func(k, v []byte) error {
			retries[string(k)]++
			return nil
		})
		dl := tx.Bucket(store.DeadLetters)
		for _, id := range dl.Buckets() {
			dl.Sub(id).ForEach(func(k, v []byte) error { dead[id]++; return nil })
		}
		return nil
	})
	return retries, dead
}

var latestKey = []byte("latest_menu")

// saveLatest keeps the newest menu received, so that a sync without a menu
// re-pushes it.
func (b *Bridge) saveLatest(menu *model.Menu) {
	v, err := json.Marshal(menu)
	if err == nil {
		err = b.d.DB.Update(func(tx *store.Tx) error { return tx.Bucket(store.Meta).Put(latestKey, v) })
	}
	if err != nil {
		b.d.Log.Error("store latest menu", "err", err)
	}
}

// LatestMenu returns the newest menu received, or nil.
func (b *Bridge) LatestMenu() (*model.Menu, error) {
	var m *model.Menu
	err := b.d.DB.View(func(tx *store.Tx) error {
		raw := tx.Bucket(store.Meta).Get(latestKey)
		if raw == nil {
			return nil
		}
		m = &model.Menu{}
		return json.Unmarshal(raw, m)
	})
	return m, err
}

// deadLetterRetention is how long failed pushes are kept for an operator.
const deadLetterRetention = 30 * 24 * time.Hour

// PruneDeadLetters deletes dead letters older than the retention (their
// keys are UUIDv7, so the key tells the age).
func (b *Bridge) PruneDeadLetters() (int, error) {
	cutoff := b.d.Now().Add(-deadLetterRetention)
	n := 0
	err := b.d.DB.Update(func(tx *store.Tx) error {
		top := tx.Bucket(store.DeadLetters)
		for _, id := range top.Buckets() {
			bk := top.Sub(id)
			var old [][]byte
			bk.ForEach(func(k, v []byte) error {
				if u, err := uuid.ParseBytes(k); err == nil && time.Unix(u.Time().UnixTime()).Before(cutoff) {
					old = append(old, append([]byte(nil), k...))
				}
				return nil
			})
			for _, k := range old {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
			n += len(old)
		}
		return nil
	})
	return n, err
}

// deletionGuard returns why a push planned as plan must not run without
// allow_deletions, or "": it would remove more than the configured share of
// the objects pushed before (those not being created now).
func (b *Bridge) deletionGuard(plan []pos.ObjectResult) string {
	removed, before := 0, 0
	for _, o := range plan {
		if o.Status.IsRemoval() {
			removed++
		}
		if o.Status != pos.StatusCreated && o.Status != pos.StatusUnsupported {
			before++
		}
	}
	share := b.d.Menu.maxDeleteShare()
	if removed == 0 || before == 0 || float64(removed) <= share*float64(before) {
		return ""
	}
	return fmt.Sprintf("this push would delete %d of the %d objects pushed before (%.0f%%, more than the %.0f%% allowed); "+
		"check the menu, or send it again with allow_deletions: true if the deletions are meant",
		removed, before, 100*float64(removed)/float64(before), 100*share)
}

// savePushed keeps the menu last pushed to integration id, for drift
// detection.
func (b *Bridge) savePushed(id string, menu *model.Menu) {
	v, err := json.Marshal(menu)
	if err == nil {
		err = b.d.DB.Update(func(tx *store.Tx) error { return tx.Bucket(store.PushedMenus).Put([]byte(id), v) })
	}
	if err != nil {
		b.d.Log.Error("store pushed menu", "integration", id, "err", err)
	}
}

// PushedMenu returns the menu last pushed to integration id, or nil.
func (b *Bridge) PushedMenu(id string) (*model.Menu, error) {
	var m *model.Menu
	err := b.d.DB.View(func(tx *store.Tx) error {
		raw := tx.Bucket(store.PushedMenus).Get([]byte(id))
		if raw == nil {
			return nil
		}
		m = &model.Menu{}
		return json.Unmarshal(raw, m)
	})
	return m, err
}

// pushedBefore reports whether a menu reached integration id before (only
// then can a push delete anything, so only then is the guard's plan run).
func (b *Bridge) pushedBefore(id string) bool {
	if b.AppliedMenu(id) != nil {
		return true
	}
	m, _ := b.PushedMenu(id)
	return m != nil
}
