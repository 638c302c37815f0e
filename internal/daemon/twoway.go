package daemon

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/integrations"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/secrets"
)

// webhookRelay is the data of a webhook.relay command: a vendor webhook the
// cloud received, exactly as received.
type webhookRelay struct {
	IntegrationID string              `json:"integration_id"`
	URL           string              `json:"url"`     // the URL the vendor called (and signed, for Square)
	Headers       map[string][]string `json:"headers"` // as received
	Body          string              `json:"body"`    // standard base64 of the raw body
}

// integrationConnect is the data of an integration.connect command.
type integrationConnect struct {
	ID                string            `json:"id"`
	Vendor            string            `json:"vendor"`
	Name              string            `json:"name,omitempty"`
	Settings          map[string]string `json:"settings,omitempty"`
	SealedCredentials string            `json:"sealed_credentials"`
	SkipTest          bool              `json:"skip_test,omitempty"`
}

// registerTwoWay wires the two-way sync and provisioning commands.
func (c *Core) registerTwoWay(cl *cloud.Client) {
	cl.Handle("order.inject", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req requests.Inject // as POST /integrations/pos/orders/inject takes it
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		if err := req.Validate(); err != nil {
			return nil, commandErr(err)
		}
		out, err := c.Bridge.InjectOrder(ctx, cmd.ID, req.IntegrationID, req.Order, req.Payment, "cloud:"+cmd.ID)
		return jobResult(out, err)
	})
	cl.Handle("order.refund", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req requests.Refund // as POST /integrations/pos/orders/refund takes it
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		out, err := c.Bridge.RefundOrder(ctx, cmd.ID, req.IntegrationID, req.RefundSpec, "cloud:"+cmd.ID)
		return jobResult(out, err)
	})
	cl.Handle("webhook.relay", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req webhookRelay
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		body, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, &cloud.CommandError{Code: "bad_data", Message: "webhook.relay data.body must be the raw body in standard base64"}
		}
		if req.IntegrationID == "" || req.URL == "" {
			return nil, &cloud.CommandError{Code: "bad_data", Message: "webhook.relay needs data.integration_id and data.url"}
		}
		h := http.Header{}
		for k, vs := range req.Headers {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		// Exactly the path of a direct delivery: the adapter checks the
		// vendor's own signature and the event id's replay window.
		rep := c.Bridge.Webhook(ctx, req.IntegrationID, pos.WebhookRequest{URL: req.URL, Header: h, Body: body})
		if rep.State == "rejected" {
			code := "rejected"
			if rep.Status == http.StatusUnauthorized {
				code = "bad_vendor_signature"
			}
			return rep, &cloud.CommandError{Status: cloud.StatusRejected, Code: code,
				Message: fmt.Sprintf("the relayed webhook was refused (%d %s): the vendor's signature did not verify or the integration is unknown", rep.Status, rep.Error)}
		}
		return rep, nil
	})
	cl.Handle("integration.connect", c.handleConnect)
	cl.Handle("integration.disconnect", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req struct {
			ID string `json:"id"`
		}
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		in, err := c.Integrations.Get(req.ID)
		if err != nil {
			return nil, commandErr(err)
		}
		if err := c.Bridge.Delete(req.ID); err != nil {
			return nil, err
		}
		c.Audit.Record(ctx, audit.Record{Type: "integration_delete", Status: audit.Success, Integration: req.ID, Vendor: in.Vendor,
			Actor: "cloud:" + cmd.ID, Message: "integration removed by the cloud and its credentials destroyed"})
		return map[string]any{"id": req.ID, "deleted": true}, nil
	})
}

// handleConnect stores an integration whose credentials were sealed to this
// store: unseal, test against the vendor, store under the credential key.
// The credentials exist in clear only in this process's memory.
func (c *Core) handleConnect(ctx context.Context, cmd cloud.Command) (any, error) {
	start := time.Now()
	var req integrationConnect
	if err := decodeData(cmd, &req); err != nil {
		return nil, err
	}
	fail := func(code, msg string) (any, error) {
		c.Audit.Record(ctx, audit.Record{Type: "integration_connect", Status: audit.Rejected, Integration: req.ID, Vendor: req.Vendor,
			Actor: "cloud:" + cmd.ID, Message: msg, DurationMS: time.Since(start).Milliseconds()})
		return nil, &cloud.CommandError{Code: code, Message: msg}
	}
	drv, err := pos.Lookup(req.Vendor)
	if err != nil {
		return fail("unknown_vendor", fmt.Sprintf("unknown vendor %q; known: %s", req.Vendor, strings.Join(pos.Names(), ", ")))
	}
	if req.ID == "" || !integrations.ValidID(req.ID) {
		return fail("bad_id", "id: use lowercase letters, digits, '-' and '_' (at most 63)")
	}
	if req.Settings["manifest"] != "" {
		return fail("bad_manifest", "a remote connect cannot name a manifest file; send it inline as settings.manifest_yaml")
	}
	creds, err := c.Provision.Open(req.SealedCredentials)
	if err != nil {
		return fail("bad_credentials", err.Error())
	}
	if missing := drv.CheckConfig(creds, req.Settings); len(missing) > 0 {
		return fail("missing_field", fmt.Sprintf("%s needs %s", drv.Name, strings.Join(missing, ", ")))
	}
	sc := make(map[string]secrets.Secret, len(creds))
	for k, v := range creds {
		sc[k] = secrets.Secret(v)
	}
	in, err := c.Integrations.Connect(req.ID, drv.Name, req.Name, sc, req.Settings)
	if errors.Is(err, integrations.ErrExists) {
		return fail("exists", fmt.Sprintf("integration %q exists; send integration.disconnect first", req.ID))
	}
	if err != nil {
		return nil, err
	}
	conn := c.Bridge.TestConnection(ctx, in.ID)
	if !conn.OK && !req.SkipTest {
		c.Bridge.Forget(in.ID)
		c.Integrations.Delete(in.ID)
		return fail("connection_failed", "connection test failed, nothing stored: "+conn.Error)
	}
	c.Bridge.Add(in.ID)
	c.Audit.Record(ctx, audit.Record{Type: "integration_connect", Status: audit.Success, Integration: in.ID, Vendor: in.Vendor,
		Actor: "cloud:" + cmd.ID, Message: fmt.Sprintf("connected %s remotely (connection test ok=%v)", in.Vendor, conn.OK),
		DurationMS: time.Since(start).Milliseconds()})
	return map[string]any{"id": in.ID, "vendor": in.Vendor, "connected_on": in.ConnectedOn, "connection": conn}, nil
}

// jobResult turns an injection or refund outcome into a command result:
// ok with the outcome when the vendor took it or it is pending a retry
// (the outcome event follows), an error naming the reason otherwise.
func jobResult(out bridge.JobOutcome, err error) (any, error) {
	if err != nil {
		if errors.Is(err, bridge.ErrJobConflict) {
			return nil, &cloud.CommandError{Code: "conflict", Message: err.Error()}
		}
		var missing *bridge.MissingSettingsError
		if errors.As(err, &missing) {
			return nil, &cloud.CommandError{Code: "missing_setting", Message: err.Error()}
		}
		var ce *cloud.CommandError
		if e := commandErr(err); errors.As(e, &ce) {
			return nil, e
		}
		return nil, &cloud.CommandError{Code: "invalid", Message: err.Error()}
	}
	switch out.Status {
	case bridge.JobDone, bridge.JobPending:
		return out, nil
	}
	return out, &cloud.CommandError{Code: out.Status, Message: out.Message}
}
