package cloud

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/auraconnect/aura-edge/internal/cloud/command"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Deps are what the host hands the Client.
type Deps struct {
	// StoreID identifies the store: topic prefix, envelope source and the
	// signed command bytes. Required.
	StoreID string
	// DB is the store holding the commands_seen bucket (the outbox's DB).
	// Required.
	DB *store.DB
	// Queue is the outbox the sender drains and command results go to.
	// Required.
	Queue Queue
	// Log receives the link's log lines. Nil discards.
	Log *slog.Logger
	// Version is reported in the status message.
	Version string
	// Status supplies the store's facts (printers, sync, dead letters:
	// health.Sources) for the status message; their keys sit next to the
	// link's own, which win on clashes. Optional.
	Status StatusSource
	// Audit is told the outcome of every command. Optional.
	Audit AuditFunc
	// Now is the clock (tests). Nil means time.Now.
	Now func() time.Time
	// Delivered is told of every event the broker acknowledged, with the
	// time from publish to PUBACK (metrics). It must be quick. Optional.
	Delivered func(stream outbox.Stream, latency time.Duration)
}

// StatusSource supplies the store's facts for the status message:
// StatusFacts returns a value that encodes as a JSON object, such as
// health.Facts. It must be quick.
type StatusSource interface {
	StatusFacts() any
}

// StatusFactsFunc is a function as a StatusSource.
type StatusFactsFunc func() any

// StatusFacts returns f().
func (f StatusFactsFunc) StatusFacts() any { return f() }

// Connection states reported by State.
const (
	StateStopped    = "stopped"
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateWaiting    = "waiting" // backing off before the next attempt
)

// State is the link's health for the health package and the status API.
type State struct {
	State       string
	Connected   bool
	Broker      string
	Since       time.Time // when State last changed
	LastError   string
	Reconnects  uint64 // successful connections after the first
	Delivered   uint64 // rows acknowledged by the broker and deleted
	Commands    uint64 // command deliveries processed
	DeadLetters uint64 // events moved to the dead letters by this process
	// With receipts: events awaiting the cloud's receipt now, and how many
	// times a receipt did not come within the timeout (each time the
	// event was sent again).
	AwaitingReceipt int
	Unconfirmed     uint64
	ConnectedAt     time.Time
}

// Client is the MQTT link to the Aura cloud. It drains the outbox to the
// broker and runs the cloud's commands.
type Client struct {
	cfg      Config
	broker   *url.URL
	useTLS   bool
	storeID  string
	prefix   string
	clientID string
	source   string
	db       *store.DB
	q        Queue
	log      *slog.Logger
	version  string
	factsSrc StatusSource
	onAck    func(outbox.Stream, time.Duration)
	now      func() time.Time
	cmds     *command.Pipeline // the command pipeline; the link feeds it

	gen       atomic.Uint64
	ran       atomic.Bool
	startedAt time.Time

	statusReq chan struct{}
	cmdQueue  chan command.Delivery

	delivered   atomic.Uint64
	commands    atomic.Uint64
	deadLetters atomic.Uint64 // events this process moved to the dead letters
	poison      poisonState
	rcpt        *receiptBook // nil unless receipts are enabled

	mu    sync.Mutex
	cur   *conn
	state State
}

// New validates cfg and deps and builds a Client. It starts nothing and
// reads no files.
func New(cfg Config, deps Deps) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cloud config: %w", err)
	}
	if deps.StoreID == "" || strings.ContainsAny(deps.StoreID, "/+#\n\x00") {
		return nil, fmt.Errorf("cloud: store id %q must be non-empty without / + # or newlines", deps.StoreID)
	}
	if deps.DB == nil || deps.Queue == nil {
		return nil, errors.New("cloud: DB and Queue are required")
	}
	u, useTLS, err := parseBroker(cfg.Broker)
	if err != nil {
		return nil, fmt.Errorf("cloud config: broker: %w", err)
	}
	cmds, err := command.New(command.Config{
		StoreID: deps.StoreID, Keys: cfg.CommandKeys, AllowUnsigned: cfg.AllowUnsigned,
		Timeout: cfg.CommandTimeout, TTL: cfg.CommandTTL,
	}, command.Deps{DB: deps.DB, Queue: deps.Queue, Log: deps.Log, Audit: deps.Audit, Now: deps.Now})
	if err != nil {
		return nil, fmt.Errorf("cloud config: %w", err)
	}
	c := &Client{
		cfg:       cfg,
		broker:    u,
		useTLS:    useTLS,
		storeID:   deps.StoreID,
		prefix:    strings.ReplaceAll(cfg.TopicPrefix, "{store_id}", deps.StoreID),
		clientID:  cfg.ClientID,
		source:    "aura-edge://" + deps.StoreID,
		db:        deps.DB,
		q:         deps.Queue,
		log:       deps.Log,
		version:   deps.Version,
		factsSrc:  deps.Status,
		onAck:     deps.Delivered,
		now:       deps.Now,
		cmds:      cmds,
		statusReq: make(chan struct{}, 1),
		cmdQueue:  make(chan command.Delivery, 64),
	}
	if c.clientID == "" {
		c.clientID = "aura-edge-" + deps.StoreID
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.poison.load(c.db, c.log)
	if cfg.Receipts.Enabled {
		c.rcpt = newReceiptBook(cfg.Receipts)
		c.rcpt.loadLatency(c.db)
	}
	c.state = State{State: StateStopped, Broker: u.Redacted()}
	c.Handle("ping", c.handlePing)
	c.Handle("status.request", c.handleStatusRequest)
	return c, nil
}

// Handle registers the handler for a command type. It panics on an empty
// name, a nil handler or a name already registered ("ping" and
// "status.request" are built in).
func (c *Client) Handle(name string, h Handler) { c.cmds.Handle(name, h) }

// Topic returns the full topic for a level under the prefix, e.g.
// Topic("status").
func (c *Client) Topic(level string) string { return c.prefix + "/" + level }

// Connected reports whether a broker connection is up and serving.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.State == StateConnected && c.cur != nil && !c.cur.isLost()
}

// State returns the link's current health.
func (c *Client) State() State {
	c.mu.Lock()
	s := c.state
	c.mu.Unlock()
	s.Connected = s.State == StateConnected
	s.Delivered = c.delivered.Load()
	s.DeadLetters = c.deadLetters.Load()
	if c.rcpt != nil {
		s.AwaitingReceipt, s.Unconfirmed = c.rcpt.len(), c.rcpt.unconfirmed.Load()
	}
	s.Commands = c.commands.Load()
	return s
}

// AwaitingReceiptOnly is the number of events the broker acknowledged
// (PUBACK on the live connection) that wait only for the cloud's receipt:
// nothing more can be done for them now, so a stop need not wait for them
// (they stay in the outbox and are sent again after the restart if no
// receipt came). full: they fill cloud.receipts.max_pending, so no other
// event can be sent before a receipt comes. 0, false without receipts.
func (c *Client) AwaitingReceiptOnly() (n int, full bool) {
	if c.rcpt == nil {
		return 0, false
	}
	n = c.rcpt.ackedLen()
	return n, n >= c.rcpt.max
}

func (c *Client) setState(state string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.State != state {
		c.state.Since = c.now()
	}
	c.state.State = state
	if err != nil {
		c.state.LastError = err.Error()
	}
}

// PublishStatus asks for the retained status to be republished soon (for
// example after a printer changed state). It never blocks.
func (c *Client) PublishStatus() {
	select {
	case c.statusReq <- struct{}{}:
	default:
	}
}

// stableAfter is how long a connection must last before the backoff
// starts again from reconnect_min (a broker that accepts and then drops us
// at once gets slower and slower retries).
const stableAfter = 30 * time.Second

// Run connects, drains the outbox and serves commands until ctx ends,
// reconnecting with jittered backoff after any failure. It returns nil on
// cancel; a Client runs once.
func (c *Client) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	c.mu.Lock()
	c.startedAt = c.now()
	c.mu.Unlock()
	var wg sync.WaitGroup
	for range c.cfg.CommandWorkers {
		wg.Go(func() { c.commandWorker(ctx) })
	}
	wg.Go(func() { c.cmds.PruneLoop(ctx) })
	wg.Go(func() { c.inboxReplay(ctx) })
	defer func() {
		wg.Wait()
		c.setState(StateStopped, nil)
	}()

	bo := newBackoff(c.cfg.ReconnectMin, c.cfg.ReconnectMax, c.cfg.ReconnectSpread)
	connected := 0
	for ctx.Err() == nil {
		c.setState(StateConnecting, nil)
		cn, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait := bo.wait()
			c.logConnectError(err, wait)
			c.setState(StateWaiting, err)
			if !sleep(ctx, wait) {
				break
			}
			continue
		}
		connected++
		if connected > 1 {
			c.mu.Lock()
			c.state.Reconnects++
			c.mu.Unlock()
		}
		err = c.serve(ctx, cn)
		if ctx.Err() != nil {
			break
		}
		c.poison.lost() // the next connection finds out whether one event is the cause
		if c.now().Sub(cn.connectedAt) >= stableAfter {
			bo.reset()
		}
		wait := bo.wait()
		c.log.Warn("cloud connection lost", "err", err, "retry_in", wait.Round(time.Millisecond))
		c.setState(StateWaiting, err)
		if !sleep(ctx, wait) {
			break
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (c *Client) logConnectError(err error, wait time.Duration) {
	p := explain(err)
	args := []any{"reason", p.Reason, "hint", p.Hint, "broker", c.broker.Redacted(), "err", err, "retry_in", wait.Round(time.Millisecond)}
	switch {
	case p.TLS:
		c.log.Error("cloud TLS failure", args...)
	case p.Action:
		c.log.Error("cloud connect failed", args...)
	default:
		// An unreachable broker is expected during outages; the outbox
		// buffers meanwhile.
		c.log.Warn("cloud connect failed", args...)
	}
}

// connect opens one connection with a fresh paho client.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	cn := newConn(c.gen.Add(1))
	var tlsCfg *tls.Config
	if c.useTLS {
		tc, warnings, err := loadTLS(c.cfg.TLS, c.broker.Hostname(), c.now())
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			c.log.Error("cloud TLS failure", "reason", "client certificate not valid now", "hint", w)
		}
		tlsCfg = tc
	}
	opts := paho.NewClientOptions()
	opts.AddBroker(c.broker.String())
	opts.SetClientID(c.clientID)
	opts.SetCleanSession(true)
	opts.SetAutoReconnect(false)
	opts.SetConnectRetry(false)
	opts.SetOrderMatters(false)
	opts.SetProtocolVersion(4)
	opts.SetKeepAlive(c.cfg.KeepAlive)
	opts.SetPingTimeout(min(c.cfg.KeepAlive, 10*time.Second))
	opts.SetConnectTimeout(c.cfg.ConnectTimeout)
	opts.SetWriteTimeout(c.cfg.ConnectTimeout)
	if c.cfg.Username != "" {
		opts.SetUsername(c.cfg.Username)
		if c.cfg.PasswordFile != "" {
			pw, err := readPassword(c.cfg.PasswordFile)
			if err != nil {
				return nil, err
			}
			opts.SetPassword(pw)
		}
	}
	will, _ := c.offlineStatus("connection lost")
	opts.SetBinaryWill(c.Topic(topicStatus), will, 1, true)
	opts.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
		return cn.open(ctx, u, tlsCfg, c.cfg.ConnectTimeout)
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) { cn.markLost(fmt.Errorf("%w: %w", ErrConnectionLost, err)) })
	cn.pc = paho.NewClient(opts)
	tok := cn.pc.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		cn.drop(ctx.Err())
		<-tok.Done() // quick: the dial follows ctx and the socket is closed
		return nil, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		cn.drop(err)
		// A network error after our TLS handshake succeeded, without the
		// broker's alert: most likely it refused our client certificate.
		var opErr *net.OpError
		if c.useTLS && cn.handshaken() && errors.Is(err, packets.ErrorNetworkError) &&
			!(errors.As(err, &opErr) && opErr.Op == "remote error") {
			err = &closedAfterHandshake{err: err}
		}
		return nil, err
	}
	cn.connectedAt = c.now()
	c.log.Info("cloud connected", "broker", c.broker.Redacted(), "client_id", c.clientID, "generation", cn.gen)
	return cn, nil
}

// statusGrace bounds waiting for the broker to acknowledge a status
// publish or a subscription.
const statusGrace = 5 * time.Second

// shutdownGrace bounds waiting for in-flight messages and the offline
// status at shutdown.
const shutdownGrace = 2 * time.Second

// serve runs one connection: subscribe, announce, send and refresh status
// until the connection ends or ctx is cancelled.
func (c *Client) serve(ctx context.Context, cn *conn) error {
	c.mu.Lock()
	c.cur = cn
	c.state.ConnectedAt = cn.connectedAt
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cur = nil
		c.mu.Unlock()
		c.setState(StateWaiting, nil)
	}()

	tok := cn.pc.Subscribe(c.Topic(topicCmd)+"/#", 1, c.onCommand(ctx))
	if err := waitToken(ctx, cn, tok, statusGrace); err != nil {
		cn.drop(err)
		return fmt.Errorf("subscribe to commands: %w", err)
	}
	if c.rcpt != nil {
		c.rcpt.connectionEnded() // whatever the last connection had in flight is due again
		tok := cn.pc.Subscribe(c.Topic(topicReceipts), 1, c.onReceipt)
		if err := waitToken(ctx, cn, tok, statusGrace); err != nil {
			cn.drop(err)
			return fmt.Errorf("subscribe to receipts: %w", err)
		}
	}
	if err := c.publishStatus(ctx, cn); err != nil {
		cn.drop(err)
		return fmt.Errorf("publish status: %w", err)
	}
	c.setState(StateConnected, nil)

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	sendErr := make(chan error, 1)
	go func() { sendErr <- c.send(sctx, cn) }()
	tick := time.NewTicker(c.cfg.StatusInterval)
	defer tick.Stop()
	// shutdown ends the connection cleanly once the sender has stopped:
	// offline status, then DISCONNECT (so the broker drops the Last Will).
	shutdown := func(sendErr error) error {
		if sendErr == nil {
			off, _ := c.offlineStatus("shutdown")
			_ = waitToken(context.Background(), cn, cn.pc.Publish(c.Topic(topicStatus), 1, true, off), shutdownGrace)
		}
		cn.markLost(ctx.Err())
		cn.pc.Disconnect(250)
		c.log.Info("cloud disconnected", "broker", c.broker.Redacted())
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return shutdown(<-sendErr) // the sender lets in-flight messages finish first
		case err := <-sendErr:
			if err == nil && ctx.Err() != nil {
				return shutdown(nil)
			}
			if err == nil {
				err = errors.New("sender stopped")
			}
			cn.drop(err)
			return err
		case <-cn.lost:
			stop()
			<-sendErr
			cn.drop(cn.lostErr)
			return cn.lostErr
		case <-tick.C:
		case <-c.statusReq:
		}
		if err := c.publishStatus(ctx, cn); err != nil && ctx.Err() == nil {
			cn.drop(err)
			stop()
			<-sendErr
			return fmt.Errorf("publish status: %w", err)
		}
	}
}

// waitToken waits for a paho token without ever blocking on a bare
// Wait(): the connection's loss, ctx and a timeout all end the wait.
func waitToken(ctx context.Context, cn *conn, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
	case <-cn.lost:
		return cn.lostErr
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no answer from the broker within %s", timeout)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	if cn.isLost() {
		return ErrStaleAck
	}
	return nil
}
