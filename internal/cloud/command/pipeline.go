package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
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

// Handler runs one command. Its result becomes the details of an ok
// result; an error becomes an error result (an *Error chooses the code).
// Handlers run on the link's worker pool, never on the MQTT client's
// goroutines; ctx ends at the command timeout or shutdown.
type Handler func(ctx context.Context, cmd Command) (any, error)

// Command is a verified command handed to a Handler.
type Command struct {
	ID      string
	Type    string
	Time    time.Time // zero when absent
	Expires time.Time // zero when absent
	Signed  bool
	KeyID   string
	Data    []byte // the raw JSON data member, nil when absent
}

// AuditFunc receives one event per command delivery.
type AuditFunc func(AuditEvent)

// AuditEvent is the outcome of one command delivery.
type AuditEvent struct {
	CommandID string
	Type      string
	Status    string // ok, error or rejected
	Code      string // CodeOK, CodeBadSignature, CodeReplayed, ...
	Message   string
	Signed    bool
	KeyID     string
	Duration  time.Duration // handler run time, 0 when not run
	At        time.Time
}

// Queue is what the pipeline needs from the outbox: results go to the
// cmd-results stream. *outbox.Outbox satisfies it.
type Queue interface {
	// Append writes entries durably (results not stored with a seen record).
	Append(ctx context.Context, entries ...outbox.Entry) ([]outbox.Appended, error)
	// AppendTx appends inside the caller's write transaction, so a
	// command's seen record and its result row commit together.
	AppendTx(tx *store.Tx, entries ...outbox.Entry) ([]outbox.Appended, error)
	// Notify wakes the sender after a committed AppendTx.
	Notify()
}

var _ Queue = (*outbox.Outbox)(nil)

// Config is the pipeline's part of the cloud section.
type Config struct {
	StoreID       string   // covered by every signature
	Keys          []string // trusted Ed25519 public keys (base64)
	AllowUnsigned []string // command types accepted without a signature
	Timeout       time.Duration
	TTL           time.Duration // how long executed ids are remembered
}

// Deps are what the host hands the pipeline.
type Deps struct {
	DB    *store.DB // holds commands_seen and commands_inbox
	Queue Queue
	Log   *slog.Logger     // nil discards
	Audit AuditFunc        // optional
	Now   func() time.Time // nil means time.Now
}

// Pipeline runs commands: one delivery's trip is Process.
type Pipeline struct {
	cfg     Config
	db      *store.DB
	q       Queue
	log     *slog.Logger
	auditFn AuditFunc
	now     func() time.Time
	verify  *verifier

	mu       sync.Mutex
	handlers map[string]Handler
	running  map[string]chan struct{} // command ids being handled, closed when done
	gate     func(cmdType string) *Error
}

// SetGate installs gate, asked before a new command (not a replay) is
// recorded and run: a non-nil answer is sent as the result and nothing is
// stored, so the same command id runs normally when the cloud sends it
// again. The daemon refuses, while it stops, commands whose parts have
// already stopped. Call it before Process.
func (p *Pipeline) SetGate(gate func(cmdType string) *Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate = gate
}

// New builds a pipeline. It fails on an unusable command key.
func New(cfg Config, deps Deps) (*Pipeline, error) {
	if deps.DB == nil || deps.Queue == nil {
		return nil, errors.New("command pipeline: DB and Queue are required")
	}
	v, err := newVerifier(cfg.StoreID, cfg.Keys, cfg.AllowUnsigned)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{
		cfg: cfg, db: deps.DB, q: deps.Queue, log: deps.Log, auditFn: deps.Audit, now: deps.Now, verify: v,
		handlers: map[string]Handler{}, running: map[string]chan struct{}{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Handle registers the handler for a command type. It panics on an empty
// name, a nil handler or a name already registered.
func (p *Pipeline) Handle(name string, h Handler) {
	if name == "" || strings.ContainsAny(name, "\n/+#") {
		panic(fmt.Sprintf("cloud: invalid command name %q", name))
	}
	if h == nil {
		panic("cloud: nil handler for " + name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.handlers[name]; dup {
		panic("cloud: duplicate handler for " + name)
	}
	p.handlers[name] = h
}

func (p *Pipeline) handler(name string) Handler {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handlers[name]
}

// trip is one delivery on its way through the pipeline.
type trip struct {
	name    string // the command type the topic names
	payload []byte
	env     *Envelope
	ev      AuditEvent
	cmd     Command
	rec     *seenRecord
	res     Result
}

// Process gives one delivery of the command topic name exactly one answer.
// Read top to bottom, a command's trip is:
//
//  1. decode: too large, malformed, topic/type mismatch or unknown type is
//     an error result, nothing stored;
//  2. verify: unsigned (unless allowed), bad signature or unknown key is a
//     rejected result, nothing stored;
//  3. claim: one worker per id in this process; an id this store already
//     executed gets its stored result again under its original event id
//     and the handler does not run (audit code "replayed"); a record found
//     running after a restart means the handler may have run when the
//     process died, so it is answered "interrupted", never run twice;
//     an expired command is rejected, nothing stored; otherwise the id is
//     recorded as running (committed) before the handler starts;
//  4. run: the handler, bounded by the command timeout, a panic becoming
//     an error;
//  5. record: the result audited, then stored with the seen record in the
//     same transaction as the result's outbox row;
//  6. answer: the sender woken to publish the result.
func (p *Pipeline) Process(ctx context.Context, name string, payload []byte) {
	t := &trip{name: name, payload: payload}
	if !p.decode(ctx, t) || !p.authenticate(ctx, t) {
		return
	}
	release, ok := p.claim(ctx, t)
	if !ok {
		return
	}
	defer release()
	p.run(ctx, t)
	if p.record(t) {
		p.answer(t)
	}
}

// decode parses the envelope and finds its handler (step 1).
func (p *Pipeline) decode(ctx context.Context, t *trip) bool {
	t.ev.At = p.now()
	env, err := Decode(t.payload)
	if err == nil && env.Type != t.name {
		err = malformed("topic names command %q but the envelope type is %q", t.name, env.Type)
	}
	if err == nil && p.handler(env.Type) == nil {
		err = &Error{Status: StatusError, Code: CodeUnknownType, Message: fmt.Sprintf("no handler for command type %q", env.Type)}
	}
	if err == nil {
		t.env = env
		t.ev.CommandID, t.ev.Type = env.ID, env.Type
		return true
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		cerr = malformed("%v", err)
	}
	t.ev.CommandID, t.ev.Type = bestEffortID(env, t.payload), t.name
	if env != nil && env.Type != "" {
		t.ev.Type = env.Type
	}
	p.refuse(ctx, t.ev, resultFor(t.ev.CommandID, t.ev.Type, cerr, nil))
	return false
}

// authenticate checks the signature (step 2). Freshness is checked when
// the id is claimed: a redelivered command gets its stored result even
// after it expired.
func (p *Pipeline) authenticate(ctx context.Context, t *trip) bool {
	signed, keyID, cerr := p.verify.verify(t.env)
	t.ev.Signed, t.ev.KeyID = signed, keyID
	if cerr != nil {
		p.refuse(ctx, t.ev, resultFor(t.env.ID, t.env.Type, cerr, nil))
		return false
	}
	return true
}

// claim takes the id for this delivery (step 3). It returns false when
// the delivery has had its answer already (a replay, an interrupted or
// expired command, a store failure) or shutdown came first.
func (p *Pipeline) claim(ctx context.Context, t *trip) (release func(), ok bool) {
	env := t.env
	// A second delivery while the first is handled waits for it, then
	// finds the stored result below.
	release, ok = p.lock(ctx, env.ID)
	if !ok {
		return nil, false // shutting down; nothing was recorded for this delivery
	}
	sum := sha256.Sum256(t.payload)
	digest := hex.EncodeToString(sum[:])
	rec, err := p.seen(env.ID)
	if err != nil {
		p.log.Error("read commands_seen failed", "command_id", env.ID, "err", err)
		p.refuse(ctx, t.ev, resultFor(env.ID, env.Type, &Error{Code: CodeHandler, Message: "store unavailable"}, nil))
		release()
		return nil, false
	}
	if rec != nil {
		p.answerSeen(ctx, t, rec, digest)
		release()
		return nil, false
	}
	exp, cerr := checkExpiry(env, t.ev.Signed, t.ev.At)
	if cerr != nil {
		p.refuse(ctx, t.ev, resultFor(env.ID, env.Type, cerr, nil))
		release()
		return nil, false
	}
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		if cerr := gate(env.Type); cerr != nil { // refused for now: nothing stored, a resend runs
			p.refuse(ctx, t.ev, resultFor(env.ID, env.Type, cerr, nil))
			release()
			return nil, false
		}
	}
	t.rec = &seenRecord{State: seenRunning, Type: env.Type, SeenAt: t.ev.At, Expires: exp, Digest: digest}
	if err := p.putSeen(env.ID, t.rec); err != nil {
		p.log.Error("record command failed", "command_id", env.ID, "err", err)
		p.refuse(ctx, t.ev, resultFor(env.ID, env.Type, &Error{Code: CodeHandler, Message: "store unavailable"}, nil))
		release()
		return nil, false
	}
	t.cmd = Command{ID: env.ID, Type: env.Type, Expires: exp, Signed: t.ev.Signed, KeyID: t.ev.KeyID, Data: env.Data}
	if env.Time != "" {
		t.cmd.Time, _ = time.Parse(time.RFC3339Nano, env.Time)
	}
	return release, true
}

// lock marks id as being handled by this process, waiting while another
// worker handles it. It returns false when ctx ends first.
func (p *Pipeline) lock(ctx context.Context, id string) (release func(), ok bool) {
	for {
		p.mu.Lock()
		busy, found := p.running[id]
		if !found {
			done := make(chan struct{})
			p.running[id] = done
			p.mu.Unlock()
			return func() {
				p.mu.Lock()
				delete(p.running, id)
				p.mu.Unlock()
				close(done)
			}, true
		}
		p.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// answerSeen answers a delivery of an id already recorded.
func (p *Pipeline) answerSeen(ctx context.Context, t *trip, rec *seenRecord, digest string) {
	env := t.env
	msg := "command already executed; its stored result was sent again"
	if rec.Digest != digest {
		msg = "command id already executed (the payload differs); its stored result was sent again"
	}
	if rec.State == seenDone {
		var res Result
		if err := json.Unmarshal(rec.Result, &res); err != nil {
			p.log.Error("stored command result unreadable", "command_id", env.ID, "err", err)
			res = resultFor(env.ID, env.Type, &Error{Code: CodeInterrupted, Message: "stored result unreadable"}, nil)
		}
		p.audit(t.ev, Result{Status: StatusRejected, Code: CodeReplayed, Message: msg})
		p.emitAs(ctx, res, rec.EventID)
		return
	}
	// Running, but not in this process: it was interrupted by a restart.
	t.rec = rec
	t.res = resultFor(env.ID, env.Type, &Error{Code: CodeInterrupted, Message: "aura-edge restarted while the command ran; it may or may not have taken effect and was not run again"}, nil)
	if p.record(t) {
		p.answer(t)
	}
}

// run calls the handler with the command timeout, turning a panic into an
// error (step 4).
func (p *Pipeline) run(ctx context.Context, t *trip) {
	start := p.now()
	out, herr := p.call(ctx, p.handler(t.cmd.Type), t.cmd)
	t.ev.Duration = p.now().Sub(start)
	var cerr *Error
	if herr != nil && !errors.As(herr, &cerr) {
		cerr = &Error{Code: CodeHandler, Message: herr.Error()}
	}
	t.res = resultFor(t.cmd.ID, t.cmd.Type, cerr, out)
}

func (p *Pipeline) call(ctx context.Context, h Handler, cmd Command) (out any, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("command handler panicked", "command_id", cmd.ID, "type", cmd.Type, "panic", fmt.Sprint(r))
			out, err = nil, &Error{Code: CodeHandler, Message: fmt.Sprintf("handler panicked: %v", r)}
		}
	}()
	out, err = h(ctx, cmd)
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		err = &Error{Code: CodeTimeout, Message: fmt.Sprintf("handler did not finish within %s: %v", p.cfg.Timeout, err)}
	}
	return out, err
}

// record audits the result, then stores it with the seen record and
// appends its outbox row, in one transaction (step 5). The result's event
// id is kept with the record so a redelivery gets the same event again.
func (p *Pipeline) record(t *trip) bool {
	p.audit(t.ev, t.res)
	e, err := resultEntry(t.res)
	if err == nil {
		done := *t.rec
		done.State = seenDone
		done.Result = e.Data
		err = p.db.Update(func(tx *store.Tx) error {
			app, err := p.q.AppendTx(tx, e)
			if err != nil {
				return err
			}
			done.EventID = app[0].ID
			v, err := json.Marshal(done)
			if err != nil {
				return err
			}
			return tx.Bucket(store.CommandsSeen).Put([]byte(t.res.CommandID), v)
		})
	}
	if err != nil {
		p.log.Error("store command result failed", "command_id", t.res.CommandID, "err", err)
		return false
	}
	return true
}

// answer wakes the sender to publish the recorded result (step 6).
func (p *Pipeline) answer(*trip) { p.q.Notify() }

// refuse audits and queues a result that is not stored with a seen
// record: the delivery ends before the handler runs.
func (p *Pipeline) refuse(ctx context.Context, ev AuditEvent, res Result) {
	p.audit(ev, res)
	p.emitAs(ctx, res, "")
}

// appendTimeout bounds writing a result at shutdown.
const appendTimeout = 10 * time.Second

// emitAs queues a result under the CloudEvents id eventID (a new id when
// empty).
func (p *Pipeline) emitAs(ctx context.Context, res Result, eventID string) {
	e, err := resultEntry(res)
	e.ID = eventID
	if err == nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), appendTimeout)
		_, err = p.q.Append(actx, e)
		cancel()
	}
	if err != nil {
		p.log.Error("queue command result failed", "command_id", res.CommandID, "err", err)
	}
}

func (p *Pipeline) audit(ev AuditEvent, res Result) {
	ev.Status, ev.Code, ev.Message = res.Status, res.Code, res.Message
	lvl := p.log.Info
	if res.Status != StatusOK {
		lvl = p.log.Warn
	}
	lvl("cloud command", "command_id", ev.CommandID, "type", ev.Type, "status", ev.Status, "code", ev.Code, "message", ev.Message)
	if p.auditFn != nil {
		p.auditFn(ev)
	}
}

// resultFor builds a result; cerr nil means ok.
func resultFor(id, typ string, cerr *Error, details any) Result {
	r := Result{CommandID: id, Type: typ, Status: StatusOK, Code: CodeOK, Details: json.RawMessage("null")}
	if details != nil {
		if b, err := marshalDetails(details); err != nil {
			cerr = &Error{Code: CodeHandler, Message: "handler result does not encode as JSON: " + err.Error()}
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

func bestEffortID(env *Envelope, payload []byte) string {
	if env != nil && env.ID != "" && len(env.ID) <= 200 && strings.IndexFunc(env.ID, isControl) < 0 {
		return env.ID
	}
	if len(payload) > 8*MaxSize {
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

func resultEntry(res Result) (outbox.Entry, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return outbox.Entry{}, fmt.Errorf("encode command result: %w", err)
	}
	return outbox.Entry{Stream: outbox.CmdResults, Type: ResultType, Subject: res.CommandID, Data: b}, nil
}
