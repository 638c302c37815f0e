package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/internal/model"
)

// errCreateFailed makes `adapter try --order` exit 1 after printing why.
var errCreateFailed = errors.New("the order was not created (see above)")

// tryOrderInput is what --order reads: the data of an order.inject
// command ({order, payment?}) or a bare Aura order.
type tryOrderInput struct {
	Order   *model.Order   `json:"order"`
	Payment *model.Payment `json:"payment"`
}

func readTryOrder(path string) (*model.Order, *model.Payment, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read the order: %w", err)
	}
	var in tryOrderInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, nil, fmt.Errorf("%s is not JSON: %w", path, err)
	}
	if in.Order == nil { // a bare order
		in.Order = &model.Order{}
		if err := json.Unmarshal(raw, in.Order); err != nil {
			return nil, nil, fmt.Errorf("%s is not an Aura order: %w", path, err)
		}
	}
	if len(in.Order.LineItems) == 0 {
		return nil, nil, fmt.Errorf("%s has no order with line_items (give {\"order\": ..., \"payment\": ...} as order.inject takes it, or an Aura order)", path)
	}
	if in.Order.ID == "" {
		in.Order.ID = "ord-adapter-try"
	}
	return in.Order, in.Payment, nil
}

// tryLines maps the order's lines to vendor ids: maps[Aura id], else the
// Aura id itself (an order written with the vendor's ids).
func tryLines(o *model.Order, maps map[string]string) []pos.InjectLine {
	id := func(aura string) string {
		if v, ok := maps[aura]; ok {
			return v
		}
		return aura
	}
	lines := make([]pos.InjectLine, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		l := pos.InjectLine{LineItem: li, VendorItemID: id(li.ItemID), VendorVariationID: id(li.VariationID)}
		for _, m := range li.Modifiers {
			l.VendorModifierIDs = append(l.VendorModifierIDs, id(m.ModifierID))
		}
		lines = append(lines, l)
	}
	return lines
}

// dryRun sends reads (the lookup of an earlier attempt, a token request
// is a write and is not sent) and refuses every write after it was
// recorded, so the create is printed as it would have been sent.
type dryRun struct{ base http.RoundTripper }

var errDryRun = errors.New("dry run: not sent")

func (d dryRun) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return d.base.RoundTrip(req)
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, errDryRun
}

// tryOrder runs the manifest's order_create once (lookup, then create)
// for order and prints every exchange: against the vendor (or a stand-in
// at base_url), or, with dry, without sending anything.
func tryOrder(ctx context.Context, out, errOut io.Writer, manifest []byte, settings, creds map[string]string,
	o *model.Order, pay *model.Payment, maps map[string]string, dry bool) error {
	var base http.RoundTripper = http.DefaultTransport
	if dry {
		base = dryRun{base: http.DefaultTransport}
	}
	rec := &recorder{base: base}
	mask := newMasker(creds)
	settings["manifest_yaml"] = string(manifest)
	a, err := custom.NewAdapter(pos.Config{
		IntegrationID: "adapter-try",
		Credentials:   creds,
		Settings:      settings,
		HTTPClient:    &http.Client{Transport: rec, Timeout: time.Minute},
		State:         pos.NewMemState(),
		Logger:        slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(out, mask.text(err.Error()))
		return errProblems
	}
	if why := a.InjectUnsupported(); why != "" {
		fmt.Fprintln(out, "order_create: unsupported: "+why)
		return errProblems
	}
	if missing := a.MissingInjectSettings(o, pay); len(missing) > 0 {
		for _, m := range missing {
			fmt.Fprintf(out, "missing setting %s: %s (give it with --set %s=VALUE)\n", m.Name, m.Hint, m.Name)
		}
		return errProblems
	}
	res, err := a.InjectOrder(ctx, pos.InjectRequest{Key: "adapter-try:" + o.ID, Order: *o, Lines: tryLines(o, maps), Payment: pay})
	xs := rec.exchanges()
	mode := "sent to the vendor"
	if dry {
		mode = "dry run, nothing sent"
	}
	fmt.Fprintf(out, "%s order_create for order %s: %d request(s) (%s)\n", a.Vendor(), o.ID, len(xs), mode)
	for i, x := range xs {
		status := strconv.Itoa(x.status)
		if x.err != nil {
			status = "not sent"
			if !errors.Is(x.err, errDryRun) {
				status = "no answer"
			}
		}
		fmt.Fprintf(out, "request %d: %s %s -> %s\n", i+1, x.method, mask.text(x.url), status)
		mask.printExchange(out, x)
	}
	switch {
	case dry && errors.Is(err, errDryRun):
		return nil
	case dry && err == nil:
		fmt.Fprintf(out, "dry run: the lookup found an earlier attempt, %s: nothing would be created\n", res.VendorOrderID)
		return nil
	case dry:
		fmt.Fprintf(out, "dry run stopped before the create: %s\n", mask.text(err.Error()))
		return errCreateFailed
	case err != nil:
		fmt.Fprintf(out, "create failed: %s\nwhat to do: %s\n", mask.text(err.Error()), advice(err))
		return errCreateFailed
	}
	word := "created"
	if res.Existing {
		word = "found (an earlier attempt created it)"
	}
	fmt.Fprintf(out, "order %s at the vendor: %s", word, res.VendorOrderID)
	if res.VendorPaymentID != "" {
		fmt.Fprintf(out, ", payment %s", res.VendorPaymentID)
	}
	fmt.Fprintln(out)
	if !strings.Contains(settings["base_url"], "127.0.0.1") && !strings.Contains(settings["base_url"], "localhost") {
		fmt.Fprintln(out, "note: this is a real order at the vendor unless base_url points at a test account or stand-in")
	}
	return nil
}
