package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// The data of menu.push and orders.sync: the request layer's types (the
// names the tests use).
type (
	menuPush   = requests.MenuPush
	ordersSync = requests.SyncOrders
)

// decodeData strictly decodes a command's data with the request layer's
// decoder, which the local API uses too: the same mistake gets the same
// words either way.
func decodeData(cmd cloud.Command, v any) error {
	if len(cmd.Data) == 0 {
		return &cloud.CommandError{Code: "bad_data", Message: cmd.Type + " needs data"}
	}
	if err := requests.Decode(cmd.Data, v); err != nil {
		return &cloud.CommandError{Code: "bad_data", Message: fmt.Sprintf("%s data: %v", cmd.Type, err)}
	}
	return nil
}

// registerCommands wires the cloud's commands to the bridge.
func (c *Core) registerCommands(cl *cloud.Client) {
	// menu.push and orders.sync take what POST /integrations/pos/sync/menu
	// and /sync/orders take (the request layer's MenuPush and SyncOrders).
	cl.Handle("menu.push", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req menuPush
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		menu, err := req.MenuOrLatest(c.Bridge.LatestMenu)
		if err != nil {
			return nil, commandErr(err)
		}
		res, err := c.Bridge.PushMenuWith(ctx, menu, req.IntegrationID, req.Options(), "cloud:"+cmd.ID)
		if err != nil {
			return nil, commandErr(err)
		}
		return map[string]any{"menu_id": menu.ID, "version": menu.Version, "results": res}, nil
	})
	cl.Handle("orders.sync", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req ordersSync
		if len(cmd.Data) > 0 && string(cmd.Data) != "null" {
			if err := decodeData(cmd, &req); err != nil {
				return nil, err
			}
		}
		res, err := c.Bridge.SyncOrders(ctx, req.IntegrationID, "command", "cloud:"+cmd.ID)
		if err != nil {
			return nil, commandErr(err)
		}
		return map[string]any{"results": res}, nil
	})
	cl.Handle("print", c.handlePrint)
	cl.Handle("drawer.open", c.handleDrawerOpen)
	cl.Handle("menu.availability", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var in bridge.AvailabilityInput
		if err := decodeData(cmd, &in); err != nil {
			return nil, err
		}
		req, err := c.Bridge.Request(in)
		if err != nil {
			return nil, commandErr(err)
		}
		res, err := c.Bridge.SetAvailability(ctx, req, "cloud:"+cmd.ID)
		if err != nil {
			return nil, commandErr(err)
		}
		return map[string]any{"available": req.Available, "until": req.Until, "results": res}, nil
	})
	cl.Handle("config.set", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req requests.ConfigSet
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		actor := "cloud:" + cmd.ID
		if req.By != "" {
			actor += ":" + req.By
		}
		res, err := c.SetConfig(ctx, req, actor)
		if err != nil {
			return nil, commandErr(err)
		}
		return res, nil
	})
	c.registerTwoWay(cl)
	cl.SetGate(c.commandGate)
}

// handleDrawerOpen runs drawer.open: the request layer's Drawer, as POST
// /v1/drawer/open takes it. The job id is the command id, so a
// redelivered command opens the drawer once.
func (c *Core) handleDrawerOpen(ctx context.Context, cmd cloud.Command) (any, error) {
	var req requests.Drawer
	if err := decodeData(cmd, &req); err != nil {
		return nil, err
	}
	if req.JobID != "" {
		return nil, commandErr(requests.CommandOwnsJobID("drawer.open"))
	}
	if err := req.Validate(); err != nil {
		return nil, commandErr(err)
	}
	actor := "cloud"
	if req.By != "" {
		actor += ":" + req.By
	}
	job, created, err := c.Spool.OpenDrawer(ctx, cmd.ID, req.Printer, req.Reason, actor)
	if re := requests.SpoolError(err); re != nil {
		return nil, commandErr(re)
	} else if err != nil {
		return nil, err
	}
	return map[string]any{"job_id": job.ID, "state": job.State, "printer": job.Printer, "created": created}, nil
}

// handlePrint runs print: the request layer's Print, as POST /v1/print
// takes it, except that kind defaults to receipt. The job id is the
// command id, so a redelivered command never prints twice.
func (c *Core) handlePrint(ctx context.Context, cmd cloud.Command) (any, error) {
	var req requests.Print
	if err := decodeData(cmd, &req); err != nil {
		return nil, err
	}
	if req.JobID != "" {
		return nil, commandErr(requests.CommandOwnsJobID("print"))
	}
	if req.Kind == "" {
		req.Kind = string(spool.KindReceipt)
	}
	req.JobID = cmd.ID
	if err := req.Validate(c.Spool.Names()); err != nil {
		return nil, commandErr(err)
	}
	sr, err := req.SpoolRequest(requests.OrderLookup{Order: c.Ingest.Order, NotFound: func(e error) bool { return errors.Is(e, ingest.ErrNotFound) }})
	if err != nil {
		return nil, commandErr(err)
	}
	job, created, err := c.Spool.Submit(ctx, sr)
	if err != nil {
		var ps model.Problems
		switch {
		case errors.As(err, &ps):
			return nil, &cloud.CommandError{Code: "invalid", Message: ps.Error()}
		case requests.SpoolError(err) != nil:
			return nil, commandErr(requests.SpoolError(err))
		}
		return nil, err
	}
	return map[string]any{"job_id": job.ID, "state": job.State, "printer": job.Printer, "created": created}, nil
}

// commandErr maps request, settings and bridge errors to command result
// codes.
func commandErr(err error) error {
	var ps model.Problems
	var re *requests.Error
	switch {
	case errors.As(err, &re):
		return &cloud.CommandError{Code: re.Code, Message: re.Message}
	case errors.Is(err, ErrSettingRefused):
		return &cloud.CommandError{Status: cloud.StatusRejected, Code: "invalid_setting", Message: err.Error()}
	case errors.As(err, &ps):
		return &cloud.CommandError{Code: "invalid", Message: ps.Error()}
	case errors.Is(err, integrations.ErrNotFound):
		return &cloud.CommandError{Code: "not_found", Message: err.Error()}
	case errors.Is(err, bridge.ErrNoIntegrations):
		return &cloud.CommandError{Code: "no_integrations", Message: err.Error()}
	case errors.Is(err, bridge.ErrBadAvailability):
		return &cloud.CommandError{Code: "bad_data", Message: err.Error()}
	}
	return err
}

// auditCommand records every command delivery in the sync log.
func (c *Core) auditCommand(ev cloud.AuditEvent) {
	st := audit.Success
	switch ev.Status {
	case "error":
		st = audit.Failed
	case "rejected":
		st = audit.Rejected
	}
	details, _ := json.Marshal(map[string]any{"command_id": ev.CommandID, "code": ev.Code, "signed": ev.Signed, "key_id": ev.KeyID})
	c.Audit.Record(context.Background(), audit.Record{Type: "command", Status: st, Actor: "cloud",
		Message: fmt.Sprintf("%s %s: %s %s", ev.Type, ev.CommandID, ev.Code, ev.Message), DurationMS: ev.Duration.Milliseconds(), Details: details})
}
