package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/daemon"
	"github.com/auraconnect/aura-edge/internal/logging"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/receipt"
)

//go:embed menu.json
var menuJSON []byte

// Options tune a demo run.
type Options struct {
	Duration time.Duration // how long the simulated terminal takes orders
	DataDir  string        // "" makes a temporary one, removed afterwards
	Verbose  bool          // daemon logs to out as well
}

const storeID = "demo-store"

// cloudSide is the stand-in Aura cloud: an embedded broker and an inline
// subscriber that records what the store sends.
type cloudSide struct {
	mu      sync.Mutex
	addr    string
	broker  *cloudtest.Mochi
	seen    map[string]int             // envelope id -> deliveries
	orders  map[string]bool            // order ids received
	results map[string]json.RawMessage // command id -> result data
	say     func(string, ...any)
	quiet   bool
}

func prefix() string { return "aura/v1/stores/" + storeID }

func (c *cloudSide) start() error {
	m, err := cloudtest.NewMochi(cloudtest.MochiOptions{Addr: c.addr})
	if err != nil {
		return err
	}
	c.broker = m
	c.addr = m.Addr()
	return m.Server.Subscribe(prefix()+"/#", 1, c.receive)
}

func (c *cloudSide) stop() { c.broker.Close() }

func (c *cloudSide) receive(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
	topic := strings.TrimPrefix(pk.TopicName, prefix()+"/")
	if strings.HasPrefix(topic, "cmd/") || topic == "status" {
		return
	}
	var env struct {
		ID       string          `json:"id"`
		Subject  string          `json:"subject"`
		Sequence uint64          `json:"sequence"`
		Data     json.RawMessage `json:"data"`
	}
	if json.Unmarshal(pk.Payload, &env) != nil {
		c.say("cloud received an undecodable message on %s", topic)
		return
	}
	c.mu.Lock()
	c.seen[env.ID]++
	dup := c.seen[env.ID] > 1
	quiet := c.quiet
	switch topic {
	case "events/orders":
		c.orders[env.Subject] = true
	case "cmd-results":
		c.results[env.Subject] = env.Data
	}
	c.mu.Unlock()
	if dup || quiet || topic == "events/sync-logs" {
		return
	}
	switch topic {
	case "events/orders":
		var o model.Order
		json.Unmarshal(env.Data, &o)
		c.say("  cloud <- events/orders   %s  %-10s %-24s total %s (rev %d)", o.ID, o.Source.Vendor, o.Source.ExternalID, o.Totals.Total, env.Sequence)
	case "events/payments":
		var p model.Payment
		json.Unmarshal(env.Data, &p)
		c.say("  cloud <- events/payments %s  %-10s %s %s %s", p.ID, p.Source.Vendor, p.Method, p.Total(), strings.TrimSpace(p.CardBrand+" "+p.Last4))
	}
}

// command signs and publishes a command, then waits for its result.
func (c *cloudSide) command(key ed25519.PrivateKey, id, typ string, data any) (json.RawMessage, error) {
	raw, _ := json.Marshal(data)
	env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: typ, Time: time.Now().UTC().Format(time.RFC3339),
		Expires: time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339), Data: raw}
	env.Sign(storeID, key)
	payload, err := env.Marshal()
	if err != nil {
		return nil, err
	}
	if err := c.broker.Server.Publish(prefix()+"/cmd/"+typ, payload, false, 1); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		r, ok := c.results[id]
		c.mu.Unlock()
		if ok {
			return r, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("no result for command %s", id)
}

func (c *cloudSide) counts() (events, dups, orders int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.seen {
		events++
		dups += n - 1
	}
	return events, dups, len(c.orders)
}

// Run plays the main job end to end and narrates it to out.
func Run(ctx context.Context, out io.Writer, opts Options) error {
	if opts.Duration <= 0 {
		opts.Duration = 15 * time.Second
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(out, format+"\n", args...)
	}
	dir := opts.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "aura-edge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	printerDir := filepath.Join(dir, "printer")
	if err := os.MkdirAll(printerDir, 0o755); err != nil {
		return err
	}

	say("== aura-edge demo: one store, its POS, its printer and the Aura cloud, all on this machine ==")
	cs := &cloudSide{seen: map[string]int{}, orders: map[string]bool{}, results: map[string]json.RawMessage{}, say: say}
	if err := cs.start(); err != nil {
		return fmt.Errorf("start stand-in cloud: %w", err)
	}
	defer func() { cs.stop() }()
	say("stand-in Aura cloud: embedded MQTT broker on %s (topics under %s)", cs.addr, prefix())

	sq := squaretest.New()
	sq.Listen()
	defer sq.Close()
	seedSquare(sq)
	say("stand-in Square API: %s (3 orders taken on the POS, with modifiers, discounts, tax, tips, split payments)", sq.URL())

	pub, key, _ := ed25519.GenerateKey(nil)
	cfg := config.Defaults()
	cfg.StoreID, cfg.DataDir, cfg.API.Listen = storeID, dir, "127.0.0.1:0"
	cfg.Cloud.Broker = "tcp://" + cs.addr
	cfg.Cloud.CommandKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	cfg.Cloud.ReconnectMax = 2 * time.Second
	cfg.Receipt = receipt.Settings{Header: []string{"Corner Café", "12 Market Street"}, Footer: []string{"Thank you!"},
		QRTemplate: "https://r.example.com/{store_id}/{order_id}", Locale: "en-US"}
	// No scheduled pulls: step 3 shows the cloud's orders.sync bringing in
	// Square's orders. A scheduled pull runs within the jitter (up to 6 s)
	// after connecting; when it came first, the sync's window (10 min of
	// overlap before the last pull) no longer reached the oldest seeded
	// order and its result said "2 orders, 3 payments (0 new)".
	cfg.Integrations = []config.Integration{{ID: "square-main", Vendor: "square", Disabled: true}}
	cfg.Printers = []config.Printer{{Name: "front", Connection: "file://" + printerDir, Profile: "TM-T88V", Columns: 42, AutoPrint: "customer"}}
	logw := io.Discard
	if opts.Verbose {
		logw = out
	}
	log, err := logging.New(logw, "info", "text")
	if err != nil {
		return err
	}
	d, err := daemon.New(&cfg, log)
	if err != nil {
		return err
	}
	runCtx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	errc := make(chan error, 1)
	go func() { errc <- d.Run(runCtx) }()
	select {
	case <-d.Ready():
	case err := <-errc:
		return err
	}
	api := "http://" + d.APIAddr().String()
	say("aura-edge ready: store %s, data dir %s, local API %s, virtual printer file://%s", storeID, dir, api, printerDir)
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "demo-installer")
	terminal, _, _ := auth.Create(d.Core().DB, auth.Terminal, "demo-till-1")

	// 1. The installer connects the store's Square account.
	say("\n-- 1. installer connects Square through the local API (credentials are encrypted at rest)")
	code, body := call(api, admin, "POST", "/integrations/pos/connect", map[string]any{
		"id": "square-main", "vendor": "square",
		"credentials": map[string]string{"access_token": squaretest.DefaultAccessToken},
		"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": sq.URL()},
	})
	say("   POST /integrations/pos/connect -> %d %s", code, oneLine(body))
	if code != http.StatusCreated {
		return fmt.Errorf("connect failed")
	}

	// 2. The cloud pushes the menu.
	var menu model.Menu
	json.Unmarshal(menuJSON, &menu)
	say("\n-- 2. the cloud pushes menu %s v%s (signed menu.push command over MQTT)", menu.ID, menu.Version)
	for i, label := range []string{"first push", "same version again"} {
		res, err := cs.command(key, fmt.Sprintf("demo-menu-%d", i+1), "menu.push", map[string]any{"menu": menu})
		if err != nil {
			return err
		}
		say("   %s: %s", label, summarisePush(res))
	}
	menu.Version = "2026-11-23.2"
	menu.Items[0].Variations[0].Price.Amount = 475
	res, err := cs.command(key, "demo-menu-3", "menu.push", map[string]any{"menu": menu})
	if err != nil {
		return err
	}
	say("   latte 12oz now $4.75 (v%s): %s", menu.Version, summarisePush(res))
	say("   Square received %d catalog write request(s) in all", len(sq.CatalogWrites()))

	// 3. The cloud asks for the store's POS orders.
	say("\n-- 3. the cloud asks for POS orders (orders.sync): pulled from Square, normalised, buffered, sent up")
	res, err = cs.command(key, "demo-sync-1", "orders.sync", map[string]any{})
	if err != nil {
		return err
	}
	say("   result: %s", summariseSync(res))
	time.Sleep(500 * time.Millisecond)

	// 4. A LAN terminal takes orders; the internet goes down part way.
	say("\n-- 4. the till posts an order every %v for %v; the cloud link goes down part way", opts.Duration/20, opts.Duration)
	cs.mu.Lock()
	cs.quiet = true
	cs.mu.Unlock()
	captured, err := runTerminal(ctx, say, api, terminal, opts.Duration, cs, d)
	if err != nil {
		return err
	}

	// 5. Drain and tally.
	say("\n-- 5. waiting for the buffer to drain")
	want := captured + 3 // the till's orders and Square's three
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, n := cs.counts(); n >= want {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	printed := listPrinted(printerDir)
	say("\n-- 6. receipts printed on the virtual printer (%s): %d jobs, each a .bin with a .txt preview beside it", printerDir, len(printed))
	if len(printed) > 0 {
		if txt, err := os.ReadFile(strings.TrimSuffix(printed[0], ".bin") + ".txt"); err == nil {
			say("   %s:", filepath.Base(strings.TrimSuffix(printed[0], ".bin")+".txt"))
			for _, l := range strings.Split(strings.TrimRight(string(txt), "\n"), "\n") {
				say("   | %s", l)
			}
		}
	}
	events, dups, orders := cs.counts()
	missing := want - orders
	say("\n== tally: captured %d orders (%d from the till, 3 from Square), delivered %d to the cloud, %d missing, %d duplicate deliveries (%d events in all)",
		want, captured, orders, missing, dups, events)
	stopDaemon()
	if err := <-errc; err != nil {
		return err
	}
	say("aura-edge stopped cleanly")
	if missing > 0 {
		return fmt.Errorf("%d orders did not reach the cloud", missing)
	}
	return nil
}

// runTerminal posts orders for dur, taking the broker down for the middle
// third, and returns how many orders got a 202.
func runTerminal(ctx context.Context, say func(string, ...any), api, token string, dur time.Duration, cs *cloudSide, d *daemon.Daemon) (int, error) {
	every := dur / 20
	t := time.NewTicker(every)
	defer t.Stop()
	start := time.Now()
	n, down, back := 0, false, false
	for time.Since(start) < dur {
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-t.C:
		}
		el := time.Since(start)
		if !down && el > dur/3 {
			cs.stop()
			down = true
			say("   !! cloud broker DOWN at %v: the till keeps capturing, orders are buffered in bbolt", el.Round(time.Second))
		}
		if down && !back && el > 2*dur/3 {
			depth := d.Core().Outbox.Stats()[0].Depth
			if err := cs.start(); err != nil {
				return n, err
			}
			back = true
			say("   !! cloud broker BACK at %v with %d orders buffered: draining", el.Round(time.Second), depth)
		}
		ext := fmt.Sprintf("TILL1-%04d", n+1)
		code, body := call(api, token, "POST", "/v1/orders", tillOrder(ext))
		if code != http.StatusAccepted {
			return n, fmt.Errorf("till order %s: %d %s", ext, code, body)
		}
		n++
		if n%5 == 0 {
			st := d.Core().Outbox.Stats()[0]
			_, _, got := cs.counts()
			say("   till: %2d orders captured (202 after fsync) | outbox depth %d | cloud has %d orders", n, st.Depth, got)
		}
	}
	return n, nil
}

func tillOrder(ext string) map[string]any {
	o := model.Order{Source: model.Source{Vendor: "local", ExternalID: ext, Version: "1"}, State: model.OrderCompleted, Currency: "USD",
		CreatedAt: time.Now().UTC(), Reference: ext,
		LineItems: []model.LineItem{
			{ID: "l1", Name: "Café Latte", VariationName: "12oz", Quantity: model.Q(1), UnitPrice: model.M(475, "USD"),
				Modifiers: []model.LineModifier{{Name: "Oat milk", Quantity: model.Q(1), UnitPrice: model.M(75, "USD")}}},
			{ID: "l2", Name: "Croissant", Quantity: model.Q(2), UnitPrice: model.M(325, "USD")},
		},
		Taxes:    []model.AppliedTax{{Name: "Sales tax", Percentage: "8.875", Amount: model.M(106, "USD")}},
		Tip:      model.M(200, "USD"),
		Payments: []model.Payment{{Source: model.Source{Vendor: "local", ExternalID: ext + "-P"}, Method: model.MethodCard, Amount: model.M(1306, "USD"), Tip: model.M(200, "USD"), CardBrand: "VISA", Last4: "4242", Status: model.PaymentCompleted, CreatedAt: time.Now().UTC()}},
	}
	o.ComputeTotals()
	b, _ := json.Marshal(o)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func seedSquare(sq *squaretest.Server) {
	now := time.Now().Add(-10 * time.Minute)
	sq.SeedOrder(squaretest.OrderSpec{CreatedAt: now, ReferenceID: "SQ-1001",
		Lines: []squaretest.LineSpec{{Name: "Café Latte", VariationName: "16oz", Price: 525,
			Modifiers: []squaretest.ModifierSpec{{Name: "Oat milk", Price: 75}}}, {Name: "Croissant", Price: 325}},
		Taxes:   []squaretest.TaxSpec{{Name: "Sales tax", Percentage: "8.875"}},
		Tenders: []squaretest.TenderSpec{{Type: "CARD", Tip: 150}}})
	sq.SeedOrder(squaretest.OrderSpec{CreatedAt: now.Add(time.Minute), ReferenceID: "SQ-1002",
		Lines:     []squaretest.LineSpec{{Name: "Café Latte", VariationName: "12oz", Quantity: "3", Price: 450}},
		Discounts: []squaretest.DiscountSpec{{Name: "Happy hour", Percentage: "10"}},
		Taxes:     []squaretest.TaxSpec{{Name: "Sales tax", Percentage: "8.875"}},
		Tenders:   []squaretest.TenderSpec{{Type: "CARD", Amount: 800, Tip: 100}, {Type: "CASH"}}})
	sq.SeedOrder(squaretest.OrderSpec{CreatedAt: now.Add(2 * time.Minute), ReferenceID: "SQ-1003",
		Lines:          []squaretest.LineSpec{{Name: "Croissant", Quantity: "12", Price: 325}},
		ServiceCharges: []squaretest.ServiceChargeSpec{{Name: "Catering delivery", Amount: 500}},
		Taxes:          []squaretest.TaxSpec{{Name: "Sales tax", Percentage: "8.875"}},
		Tenders:        []squaretest.TenderSpec{{Type: "CARD"}}})
}

func call(api, token, method, path string, body any) (int, string) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, api+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// summarisePush turns a menu.push result into "square-main success: 2 created, ...".
func summarisePush(raw json.RawMessage) string {
	var r struct {
		Status  string `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Details struct {
			Results []struct {
				IntegrationID string `json:"integration_id"`
				Status        string `json:"status"`
				Message       string `json:"message"`
			} `json:"results"`
		} `json:"details"`
	}
	json.Unmarshal(raw, &r)
	if r.Status != "ok" {
		return r.Status + " " + r.Code + ": " + r.Message
	}
	var parts []string
	for _, x := range r.Details.Results {
		parts = append(parts, x.IntegrationID+" "+x.Status+" ("+x.Message+")")
	}
	return strings.Join(parts, "; ")
}

func summariseSync(raw json.RawMessage) string { return summarisePush(raw) }

func listPrinted(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	sort.Strings(m)
	return m
}
