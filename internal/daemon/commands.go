package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// menuPush is the data of a menu.push command.
type menuPush struct {
	Menu          *model.Menu `json:"menu"`
	IntegrationID string      `json:"integration_id,omitempty"`
	DryRun        bool        `json:"dry_run,omitempty"`
	// AllowDeletions lets the push delete more than menu.max_delete_share
	// of the objects pushed before.
	AllowDeletions bool `json:"allow_deletions,omitempty"`
}

// ordersSync is the data of an orders.sync command.
type ordersSync struct {
	IntegrationID string `json:"integration_id,omitempty"`
}

// decodeData strictly decodes a command's data.
func decodeData(cmd cloud.Command, v any) error {
	if len(cmd.Data) == 0 {
		return &cloud.CommandError{Code: "bad_data", Message: cmd.Type + " needs data"}
	}
	dec := json.NewDecoder(bytesReader(cmd.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &cloud.CommandError{Code: "bad_data", Message: fmt.Sprintf("%s data: %v", cmd.Type, err)}
	}
	return nil
}

// registerCommands wires the cloud's commands to the bridge.
func (c *Core) registerCommands(cl *cloud.Client) {
	cl.Handle("menu.push", func(ctx context.Context, cmd cloud.Command) (any, error) {
		var req menuPush
		if err := decodeData(cmd, &req); err != nil {
			return nil, err
		}
		if req.Menu == nil {
			return nil, &cloud.CommandError{Code: "bad_data", Message: "menu.push needs data.menu"}
		}
		res, err := c.Bridge.PushMenuWith(ctx, req.Menu, req.IntegrationID,
			bridge.PushOptions{DryRun: req.DryRun, AllowDeletions: req.AllowDeletions}, "cloud:"+cmd.ID)
		if err != nil {
			return nil, commandErr(err)
		}
		return map[string]any{"menu_id": req.Menu.ID, "version": req.Menu.Version, "results": res}, nil
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
	c.registerTwoWay(cl)
	cl.SetGate(c.commandGate)
}

// drawerCmd is the data of a drawer.open command. The job id is the
// command id, so a redelivered command opens the drawer once.
type drawerCmd struct {
	Printer string `json:"printer"`
	Reason  string `json:"reason"`
	// By names who asked in the cloud (a manager's name); the audit log
	// records "cloud:<by>".
	By string `json:"by,omitempty"`
}

func (c *Core) handleDrawerOpen(ctx context.Context, cmd cloud.Command) (any, error) {
	var req drawerCmd
	if err := decodeData(cmd, &req); err != nil {
		return nil, err
	}
	actor := "cloud"
	if req.By != "" {
		actor += ":" + req.By
	}
	job, created, err := c.Spool.OpenDrawer(ctx, cmd.ID, req.Printer, req.Reason, actor)
	switch {
	case errors.Is(err, spool.ErrUnknownPrinter), errors.Is(err, spool.ErrInvalidRequest):
		return nil, &cloud.CommandError{Code: "bad_request", Message: err.Error()}
	case err != nil:
		return nil, err
	}
	return map[string]any{"job_id": job.ID, "state": job.State, "printer": job.Printer, "created": created}, nil
}

// printCmd is the data of a print command: an order (or the id of a
// captured one) for a printer. The job id is the command id, so a
// redelivered command never prints twice.
type printCmd struct {
	Printer string       `json:"printer"`
	Kind    spool.Kind   `json:"kind,omitempty"`
	Order   *model.Order `json:"order,omitempty"`
	OrderID string       `json:"order_id,omitempty"`
}

func (c *Core) handlePrint(ctx context.Context, cmd cloud.Command) (any, error) {
	var req printCmd
	if err := decodeData(cmd, &req); err != nil {
		return nil, err
	}
	order := req.Order
	if order == nil && req.OrderID != "" {
		o, err := c.Ingest.Order(req.OrderID)
		if err != nil {
			return nil, &cloud.CommandError{Code: "not_found", Message: err.Error()}
		}
		order = o
	}
	kind := req.Kind
	if kind == "" {
		kind = spool.KindReceipt
	}
	job, created, err := c.Spool.Submit(ctx, spool.Request{ID: cmd.ID, Printer: req.Printer, Kind: kind, Order: order})
	if err != nil {
		var ps model.Problems
		switch {
		case errors.As(err, &ps):
			return nil, &cloud.CommandError{Code: "invalid", Message: ps.Error()}
		case errors.Is(err, spool.ErrUnknownPrinter), errors.Is(err, spool.ErrInvalidRequest):
			return nil, &cloud.CommandError{Code: "bad_request", Message: err.Error()}
		}
		return nil, err
	}
	return map[string]any{"job_id": job.ID, "state": job.State, "printer": job.Printer, "created": created}, nil
}

// commandErr maps bridge errors to command result codes.
func commandErr(err error) error {
	var ps model.Problems
	switch {
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

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
