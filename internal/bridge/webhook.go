package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/store"
)

// webhookTTL is how long a webhook event id is remembered for
// de-duplication (Square retries for up to 24 h, 72 h per older docs).
const webhookTTL = 7 * 24 * time.Hour

// WebhookReply is what the receiver answers the vendor.
type WebhookReply struct {
	Status int    `json:"-"`
	State  string `json:"status"` // accepted, duplicate, verification, rejected
	Error  string `json:"error,omitempty"`
}

// Webhook authenticates a delivery for integration id and triggers an
// immediate fetch of what it names. Webhooks are hints: polling stays on.
func (b *Bridge) Webhook(ctx context.Context, id string, req pos.WebhookRequest) WebhookReply {
	a, in, err := b.Adapter(id)
	if errors.Is(err, integrations.ErrNotFound) {
		return WebhookReply{Status: http.StatusNotFound, State: "rejected", Error: "unknown integration"}
	}
	if err != nil {
		b.d.Audit.Record(ctx, audit.Record{Type: "webhook", Status: audit.Failed, Integration: id, Message: err.Error()})
		return WebhookReply{Status: http.StatusServiceUnavailable, State: "rejected", Error: "integration unavailable"}
	}
	ev, err := a.VerifyWebhook(ctx, req)
	if err != nil {
		code, st := http.StatusBadRequest, audit.Failed
		if errors.Is(err, pos.ErrBadSignature) {
			code, st = http.StatusUnauthorized, audit.Rejected
		}
		// Anyone can post here: audit rejections at most once per
		// integration per rejectEvery, with a count of the rest, so a
		// flood cannot fill the store or push real records out.
		if n, ok := b.rejections.allow(id, b.d.Now()); ok {
			msg := err.Error()
			if n > 0 {
				msg = fmt.Sprintf("%s (and %d more rejected deliveries not recorded one by one)", msg, n)
			}
			b.d.Audit.Record(ctx, audit.Record{Type: "webhook", Status: st, Integration: id, Vendor: in.Vendor,
				Message: msg, RequestDigest: audit.Digest(req.Body)})
		}
		return WebhookReply{Status: code, State: "rejected", Error: http.StatusText(code)}
	}
	if ev.Verification != "" {
		b.d.Audit.Record(ctx, audit.Record{Type: "webhook", Status: audit.Success, Integration: id, Vendor: in.Vendor,
			Message: "webhook verification code received: " + ev.Verification + " (paste it into the vendor's dashboard)"})
		return WebhookReply{Status: http.StatusOK, State: "verification"}
	}
	if ev.ID != "" {
		dup, err := b.seen(id, ev.ID)
		if err != nil {
			return WebhookReply{Status: http.StatusServiceUnavailable, State: "rejected", Error: "store unavailable"}
		}
		if dup {
			b.d.Log.Debug("webhook redelivered", "integration", id, "event", ev.ID)
			return WebhookReply{Status: http.StatusOK, State: "duplicate"}
		}
	}
	if cw, ok := a.(pos.CatalogWebhooks); ok && cw.CatalogChanged(req) {
		b.TriggerDrift(id)
		if len(ev.OrderIDs) == 0 && len(ev.PaymentIDs) == 0 {
			b.d.Audit.Record(ctx, audit.Record{Type: "webhook", Status: audit.Success, Integration: id, Vendor: in.Vendor,
				Message: fmt.Sprintf("event %s: catalog changed at the POS; comparing with the menu pushed", ev.ID), RequestDigest: audit.Digest(req.Body)})
			return WebhookReply{Status: http.StatusOK, State: "accepted"}
		}
	}
	b.d.Audit.Record(ctx, audit.Record{Type: "webhook", Status: audit.Success, Integration: id, Vendor: in.Vendor,
		Message:       fmt.Sprintf("event %s: %d orders, %d payments to fetch", ev.ID, len(ev.OrderIDs), len(ev.PaymentIDs)),
		RequestDigest: audit.Digest(req.Body)})
	// Answer the vendor at once; fetch in the background.
	f, ok := a.(pos.OrderFetcher)
	if ok && len(ev.OrderIDs) > 0 {
		b.fetches.Add(1)
		go func() {
			defer b.fetches.Done()
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
			defer cancel()
			if err := b.fetch(fctx, id, f, ev.OrderIDs); err != nil && b.d.Scheduler != nil {
				b.d.Scheduler.Trigger(id + "/orders")
			}
		}()
	} else if b.d.Scheduler != nil {
		b.d.Scheduler.Trigger(id + "/orders")
	}
	return WebhookReply{Status: http.StatusOK, State: "accepted"}
}

// WaitFetches waits for webhook-triggered fetches in progress.
func (b *Bridge) WaitFetches() { b.fetches.Wait() }

func (b *Bridge) fetch(ctx context.Context, id string, f pos.OrderFetcher, ids []string) error {
	// One writer of an integration's records at a time: a fetch racing a
	// pull could otherwise commit an older revision after a newer one.
	l := b.lock(b.pullMu, id)
	l.Lock()
	defer l.Unlock()
	start := b.d.Now()
	pr, err := f.FetchOrders(health.WithOperation(ctx, "webhook_fetch"), ids)
	p := &page{PullResult: pr}
	if err == nil {
		err = b.commitPage(ctx, id, p, false)
	}
	st, msg := audit.Success, ""
	if err != nil {
		st, msg = statusOf(err), err.Error()
	} else {
		msg = fmt.Sprintf("fetched %d orders, %d payments (%d new) after webhook", len(pr.Orders), len(pr.Payments), p.newCount)
	}
	b.d.Audit.Record(ctx, audit.Record{Type: "order_fetch", Status: st, Integration: id, Message: msg,
		DurationMS: b.d.Now().Sub(start).Milliseconds(), Actor: "webhook"})
	return err
}

// seen records a webhook event id and reports whether it was seen before.
func (b *Bridge) seen(id, event string) (bool, error) {
	dup := false
	now := b.d.Now()
	err := b.d.DB.Update(func(tx *store.Tx) error {
		bk := tx.Bucket(store.WebhooksSeen, id)
		k := []byte(event)
		if raw := bk.Get(k); raw != nil {
			if t, err := time.Parse(time.RFC3339, string(raw)); err == nil && now.Sub(t) < webhookTTL {
				dup = true
				return nil
			}
		}
		return bk.Put(k, []byte(now.UTC().Format(time.RFC3339)))
	})
	return dup, err
}

// PruneWebhooks forgets event ids older than the TTL.
func (b *Bridge) PruneWebhooks() error {
	cutoff := b.d.Now().Add(-webhookTTL)
	return b.d.DB.Update(func(tx *store.Tx) error {
		top := tx.Bucket(store.WebhooksSeen)
		for _, id := range top.Buckets() {
			bk := top.Sub(id)
			var old [][]byte
			bk.ForEach(func(k, v []byte) error {
				if t, err := time.Parse(time.RFC3339, string(v)); err != nil || t.Before(cutoff) {
					old = append(old, append([]byte(nil), k...))
				}
				return nil
			})
			for _, k := range old {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// rejectEvery is how often a rejected webhook is audited per integration.
const rejectEvery = 10 * time.Second

// rejectLimiter counts rejected webhooks per integration between audits.
type rejectLimiter struct {
	mu     sync.Mutex
	last   map[string]time.Time
	silent map[string]int
}

// allow reports whether a rejection may be audited now, and how many were
// suppressed since the last one.
func (l *rejectLimiter) allow(id string, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.silent = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := l.last[id]; ok && now.Sub(t) < rejectEvery {
		l.silent[id]++
		return 0, false
	}
	n := l.silent[id]
	l.last[id], l.silent[id] = now, 0
	return n, true
}
