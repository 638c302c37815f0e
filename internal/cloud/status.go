package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"time"
)

// QueueStatus is one outbox stream in the status message.
type QueueStatus struct {
	Stream           outbox.Stream `json:"stream"`
	Depth            int           `json:"depth"`
	Bytes            int64         `json:"bytes"`
	OldestAgeSeconds float64       `json:"oldest_age_seconds"`
	Full             bool          `json:"full,omitempty"`
	Dropped          uint64        `json:"dropped,omitempty"`
	Refused          uint64        `json:"refused,omitempty"`
}

// Status builds the status message: the store's facts (Deps.Status) plus
// online, store_id, version, time, started_at, uptime_seconds,
// connected_at and queues (depth and oldest age per outbox stream).
func (c *Client) Status(online bool) map[string]any {
	m := map[string]any{}
	for k, v := range c.storeFacts() {
		m[k] = v
	}
	return c.linkStatus(m, online)
}

// storeFacts returns the status source's facts as JSON fields; a source
// that fails or does not encode as an object is logged and left out, so it
// never keeps the link from announcing itself.
func (c *Client) storeFacts() (fields map[string]json.RawMessage) {
	if c.factsSrc == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("status source panicked", "panic", fmt.Sprint(r))
			fields = nil
		}
	}()
	b, err := json.Marshal(c.factsSrc.StatusFacts())
	if err == nil {
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		c.log.Error("the store's status facts do not encode as a JSON object; left out of the status", "err", err)
		return nil
	}
	return fields
}

// linkStatus adds the link's own fields to m and returns it.
func (c *Client) linkStatus(m map[string]any, online bool) map[string]any {
	now := c.now()
	m["online"] = online
	m["store_id"] = c.storeID
	m["version"] = c.version
	m["time"] = now.UTC().Format(time.RFC3339Nano)
	c.mu.Lock()
	if !c.startedAt.IsZero() {
		m["started_at"] = c.startedAt.UTC().Format(time.RFC3339Nano)
		m["uptime_seconds"] = int64(now.Sub(c.startedAt).Seconds())
	}
	if c.cur != nil {
		m["connected_at"] = c.cur.connectedAt.UTC().Format(time.RFC3339Nano)
	}
	c.mu.Unlock()
	stats := c.q.Stats()
	qs := make([]QueueStatus, 0, len(stats))
	for _, s := range stats {
		qs = append(qs, QueueStatus{
			Stream: s.Stream, Depth: s.Depth, Bytes: s.Bytes, OldestAgeSeconds: s.OldestAge.Seconds(),
			Full: s.Full, Dropped: s.Dropped, Refused: s.Refused,
		})
	}
	m["queues"] = qs
	return m
}

// offlineStatus is the retained payload for a link that is gone: the Last
// Will ("connection lost") and the clean shutdown message ("shutdown").
func (c *Client) offlineStatus(reason string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"online":   false,
		"store_id": c.storeID,
		"version":  c.version,
		"reason":   reason,
		"time":     c.now().UTC().Format(time.RFC3339Nano),
	})
}

// publishStatus publishes the retained online status on cn and waits for
// the broker's PUBACK.
func (c *Client) publishStatus(ctx context.Context, cn *conn) error {
	_, err := c.publishStatusMap(ctx, cn)
	return err
}

func (c *Client) publishStatusMap(ctx context.Context, cn *conn) (map[string]any, error) {
	m := c.Status(true)
	b, err := json.Marshal(m)
	if err != nil {
		return m, fmt.Errorf("encode status: %w", err)
	}
	return m, waitToken(ctx, cn, cn.pc.Publish(c.Topic(topicStatus), 1, true, b), statusGrace)
}
