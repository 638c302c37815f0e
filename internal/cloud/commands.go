package cloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/store"
)

// ResultType is the CloudEvents type of command results.
const ResultType = "com.auraconnect.command.result.v1"

// Result is the data of a cmd-results event; its subject is CommandID.
type Result struct {
	CommandID string          `json:"command_id"`
	Type      string          `json:"type"`
	Status    string          `json:"status"` // ok, error or rejected
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Details   json.RawMessage `json:"details"` // the handler's result, null when none
}

// seenRecord is a commands_seen value: written "running" before the
// handler starts and "done" with the result, in the same transaction as
// the result's outbox row.
type seenRecord struct {
	State   string          `json:"state"` // running or done
	Type    string          `json:"type"`
	SeenAt  time.Time       `json:"seen_at"`
	Expires time.Time       `json:"expires,omitzero"`
	Digest  string          `json:"digest"` // SHA-256 of the payload
	Result  json.RawMessage `json:"result,omitempty"`
	// EventID is the CloudEvents id the result was first sent with; a
	// redelivered command gets its result again under the same id.
	EventID string `json:"event_id,omitempty"`
}

const (
	seenRunning = "running"
	seenDone    = "done"
)

// cmdJob is one received command message.
type cmdJob struct {
	topic    string
	payload  []byte
	inboxKey []byte // the durable copy, removed once the command has its result
}

// onCommand is paho's callback for cmd/#. With OrderMatters(false) paho
// calls it on its own goroutine, so waiting for room in the bounded worker
// queue holds back only this message's PUBACK, never paho's router.
func (c *Client) onCommand(ctx context.Context) paho.MessageHandler {
	return func(_ paho.Client, m paho.Message) {
		job := cmdJob{topic: m.Topic(), payload: bytes.Clone(m.Payload())}
		// Stored before this callback returns, which is before paho sends
		// the PUBACK: a crash from here on replays it at the next start.
		job.inboxKey = c.inboxPut(job)
		select {
		case c.cmdQueue <- job:
		case <-ctx.Done():
		}
	}
}

func (c *Client) commandWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-c.cmdQueue:
			c.handleCommand(ctx, job)
			if ctx.Err() == nil {
				c.inboxDone(job.inboxKey)
			}
		}
	}
}

// handleCommand gives one delivery exactly one answer:
//
//  1. too large, malformed, topic/type mismatch, unknown type, unsigned,
//     bad signature, unknown key: an error or rejected result, nothing stored;
//  2. an id this store already executed: the stored result is sent again
//     and the handler does not run (audit code "replayed");
//  3. expired: a rejected result, nothing stored;
//  4. otherwise the id is recorded as running (committed), the handler
//     runs, and its result is stored with the record in the same
//     transaction as the result's outbox row.
//
// A record found running after a restart means the handler may have run
// when the process died: its answer is an "interrupted" error, never a
// second run.
func (c *Client) handleCommand(ctx context.Context, job cmdJob) {
	c.commands.Add(1)
	now := c.now()
	name := strings.TrimPrefix(job.topic, c.Topic(topicCmd)+"/")
	env, err := DecodeCommand(job.payload)
	if err == nil && env.Type != name {
		err = malformed("topic names command %q but the envelope type is %q", name, env.Type)
	}
	if err == nil && c.handler(env.Type) == nil {
		err = &CommandError{Status: StatusError, Code: CodeUnknownType, Message: fmt.Sprintf("no handler for command type %q", env.Type)}
	}
	var cerr *CommandError
	if err != nil {
		if !errors.As(err, &cerr) {
			cerr = malformed("%v", err)
		}
		id, typ := bestEffortID(env, job.payload), name
		if env != nil && env.Type != "" {
			typ = env.Type
		}
		c.answer(ctx, AuditEvent{CommandID: id, Type: typ, At: now}, resultFor(id, typ, cerr, nil))
		return
	}
	ev := AuditEvent{CommandID: env.ID, Type: env.Type, At: now}
	signed, keyID, cerr := c.verify.verify(env)
	ev.Signed, ev.KeyID = signed, keyID
	if cerr != nil {
		c.answer(ctx, ev, resultFor(env.ID, env.Type, cerr, nil))
		return
	}

	// Claim the id in this process. A second delivery while the first is
	// handled waits for it, then finds the stored result below.
	release, ok := c.claim(ctx, env.ID)
	if !ok {
		return // shutting down; nothing was recorded for this delivery
	}
	defer release()

	digest := sha256.Sum256(job.payload)
	rec, err := c.seen(env.ID)
	if err != nil {
		c.log.Error("read commands_seen failed", "command_id", env.ID, "err", err)
		c.answer(ctx, ev, resultFor(env.ID, env.Type, &CommandError{Code: CodeHandler, Message: "store unavailable"}, nil))
		return
	}
	if rec != nil {
		c.answerSeen(ctx, ev, env, rec, hex.EncodeToString(digest[:]))
		return
	}
	exp, cerr := checkExpiry(env, signed, now)
	if cerr != nil {
		c.answer(ctx, ev, resultFor(env.ID, env.Type, cerr, nil))
		return
	}
	if cerr := c.gated(env.Type); cerr != nil { // refused for now: nothing stored, a resend runs
		c.answer(ctx, ev, resultFor(env.ID, env.Type, cerr, nil))
		return
	}
	rec = &seenRecord{State: seenRunning, Type: env.Type, SeenAt: now, Expires: exp, Digest: hex.EncodeToString(digest[:])}
	if err := c.putSeen(env.ID, rec); err != nil {
		c.log.Error("record command failed", "command_id", env.ID, "err", err)
		c.answer(ctx, ev, resultFor(env.ID, env.Type, &CommandError{Code: CodeHandler, Message: "store unavailable"}, nil))
		return
	}
	cmd := Command{ID: env.ID, Type: env.Type, Expires: exp, Signed: signed, KeyID: keyID, Data: env.Data}
	if env.Time != "" {
		cmd.Time, _ = time.Parse(time.RFC3339Nano, env.Time)
	}
	start := c.now()
	out, herr := c.run(ctx, c.handler(env.Type), cmd)
	ev.Duration = c.now().Sub(start)
	res := resultFor(env.ID, env.Type, nil, out)
	if herr != nil {
		if !errors.As(herr, &cerr) {
			cerr = &CommandError{Code: CodeHandler, Message: herr.Error()}
		}
		res = resultFor(env.ID, env.Type, cerr, out)
	}
	c.finish(ctx, ev, rec, res)
}

// claim marks id as being handled by this process, waiting while another
// worker handles it. It returns false when ctx ends first.
func (c *Client) claim(ctx context.Context, id string) (release func(), ok bool) {
	for {
		c.mu.Lock()
		busy, found := c.running[id]
		if !found {
			done := make(chan struct{})
			c.running[id] = done
			c.mu.Unlock()
			return func() {
				c.mu.Lock()
				delete(c.running, id)
				c.mu.Unlock()
				close(done)
			}, true
		}
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// answerSeen answers a delivery of an id already recorded.
func (c *Client) answerSeen(ctx context.Context, ev AuditEvent, env *CommandEnvelope, rec *seenRecord, digest string) {
	msg := "command already executed; its stored result was sent again"
	if rec.Digest != digest {
		msg = "command id already executed (the payload differs); its stored result was sent again"
	}
	if rec.State == seenDone {
		var res Result
		if err := json.Unmarshal(rec.Result, &res); err != nil {
			c.log.Error("stored command result unreadable", "command_id", env.ID, "err", err)
			res = resultFor(env.ID, env.Type, &CommandError{Code: CodeInterrupted, Message: "stored result unreadable"}, nil)
		}
		c.audit(ev, Result{Status: StatusRejected, Code: CodeReplayed, Message: msg})
		c.emitAs(ctx, res, rec.EventID)
		return
	}
	// Running, but not in this process: it was interrupted by a restart.
	res := resultFor(env.ID, env.Type, &CommandError{Code: CodeInterrupted, Message: "aura-edge restarted while the command ran; it may or may not have taken effect and was not run again"}, nil)
	c.finish(ctx, ev, rec, res)
}

// run calls h with the command timeout, turning a panic into an error.
func (c *Client) run(ctx context.Context, h Handler, cmd Command) (out any, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CommandTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("command handler panicked", "command_id", cmd.ID, "type", cmd.Type, "panic", fmt.Sprint(r))
			out, err = nil, &CommandError{Code: CodeHandler, Message: fmt.Sprintf("handler panicked: %v", r)}
		}
	}()
	out, err = h(ctx, cmd)
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		err = &CommandError{Code: CodeTimeout, Message: fmt.Sprintf("handler did not finish within %s: %v", c.cfg.CommandTimeout, err)}
	}
	return out, err
}

// resultFor builds a result; cerr nil means ok.
func resultFor(id, typ string, cerr *CommandError, details any) Result {
	r := Result{CommandID: id, Type: typ, Status: StatusOK, Code: CodeOK, Details: json.RawMessage("null")}
	if details != nil {
		if b, err := marshalDetails(details); err != nil {
			cerr = &CommandError{Code: CodeHandler, Message: "handler result does not encode as JSON: " + err.Error()}
		} else {
			r.Details = b
		}
	}
	if cerr != nil {
		r.Status, r.Code, r.Message = cerr.Status, cerr.Code, cerr.Message
		if r.Status == "" {
			r.Status = StatusError
		}
	}
	return r
}

func marshalDetails(v any) (json.RawMessage, error) {
	switch d := v.(type) {
	case json.RawMessage:
		if json.Valid(d) {
			return d, nil
		}
		return nil, errors.New("invalid raw JSON")
	case []byte:
		if json.Valid(d) {
			return d, nil
		}
		return nil, errors.New("invalid raw JSON")
	}
	return json.Marshal(v)
}

func bestEffortID(env *CommandEnvelope, payload []byte) string {
	if env != nil && env.ID != "" && len(env.ID) <= 200 && strings.IndexFunc(env.ID, isControl) < 0 {
		return env.ID
	}
	if len(payload) > 8*MaxCommandSize {
		return ""
	}
	var probe struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(payload, &probe) != nil || len(probe.ID) > 200 || strings.IndexFunc(probe.ID, isControl) >= 0 {
		return ""
	}
	return probe.ID
}

func (c *Client) audit(ev AuditEvent, res Result) {
	ev.Status, ev.Code, ev.Message = res.Status, res.Code, res.Message
	lvl := c.log.Info
	if res.Status != StatusOK {
		lvl = c.log.Warn
	}
	lvl("cloud command", "command_id", ev.CommandID, "type", ev.Type, "status", ev.Status, "code", ev.Code, "message", ev.Message)
	if c.auditFn != nil {
		c.auditFn(ev)
	}
}

func resultEntry(res Result) (outbox.Entry, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return outbox.Entry{}, fmt.Errorf("encode command result: %w", err)
	}
	return outbox.Entry{Stream: outbox.CmdResults, Type: ResultType, Subject: res.CommandID, Data: b}, nil
}

// appendTimeout bounds writing a result at shutdown.
const appendTimeout = 10 * time.Second

// answer audits and queues a result that is not stored with a seen record.
func (c *Client) answer(ctx context.Context, ev AuditEvent, res Result) {
	c.audit(ev, res)
	c.emit(ctx, res)
}

// emit queues a result in the cmd-results stream.
func (c *Client) emit(ctx context.Context, res Result) { c.emitAs(ctx, res, "") }

// emitAs queues a result under the CloudEvents id eventID (a new id when
// empty).
func (c *Client) emitAs(ctx context.Context, res Result, eventID string) {
	e, err := resultEntry(res)
	e.ID = eventID
	if err == nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), appendTimeout)
		_, err = c.q.Append(actx, e)
		cancel()
	}
	if err != nil {
		c.log.Error("queue command result failed", "command_id", res.CommandID, "err", err)
	}
}

// finish stores the result with the seen record and queues it, in one
// transaction, then audits.
func (c *Client) finish(_ context.Context, ev AuditEvent, rec *seenRecord, res Result) {
	c.audit(ev, res)
	e, err := resultEntry(res)
	if err == nil {
		done := *rec
		done.State = seenDone
		done.Result = e.Data
		err = c.db.Update(func(tx *store.Tx) error {
			app, err := c.q.AppendTx(tx, e)
			if err != nil {
				return err
			}
			done.EventID = app[0].ID
			v, err := json.Marshal(done)
			if err != nil {
				return err
			}
			return tx.Bucket(store.CommandsSeen).Put([]byte(res.CommandID), v)
		})
	}
	if err != nil {
		c.log.Error("store command result failed", "command_id", res.CommandID, "err", err)
		return
	}
	c.q.Notify()
}

func (c *Client) seen(id string) (*seenRecord, error) {
	var raw []byte
	if err := c.db.View(func(tx *store.Tx) error {
		raw = tx.Bucket(store.CommandsSeen).Get([]byte(id))
		return nil
	}); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, nil
	}
	var rec seenRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("commands_seen %q: %w", id, err)
	}
	return &rec, nil
}

func (c *Client) putSeen(id string, rec *seenRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return c.db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.CommandsSeen).Put([]byte(id), v)
	})
}

// pruneEvery is how often old commands_seen records are removed.
const pruneEvery = time.Hour

func (c *Client) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if n, err := c.pruneSeen(c.now()); err != nil {
			c.log.Warn("prune commands_seen failed", "err", err)
		} else if n > 0 {
			c.log.Debug("pruned commands_seen", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneSeen removes records older than command_ttl whose command has also
// expired (so a replay can never find its id forgotten while the signature
// is still fresh).
func (c *Client) pruneSeen(now time.Time) (int, error) {
	cutoff := now.Add(-c.cfg.CommandTTL)
	var n int
	err := c.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.CommandsSeen)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec seenRecord
			if json.Unmarshal(v, &rec) != nil || (rec.SeenAt.Before(cutoff) && rec.Expires.Before(now)) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}

// handlePing answers the built-in "ping".
func (c *Client) handlePing(_ context.Context, _ Command) (any, error) {
	return map[string]any{"pong": true, "time": c.now().UTC().Format(time.RFC3339Nano)}, nil
}

// handleStatusRequest republishes the retained status and returns it.
func (c *Client) handleStatusRequest(ctx context.Context, _ Command) (any, error) {
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil {
		return c.Status(false), nil
	}
	m, err := c.publishStatusMap(ctx, cn)
	if err != nil {
		return m, fmt.Errorf("republish status: %w", err)
	}
	return m, nil
}
