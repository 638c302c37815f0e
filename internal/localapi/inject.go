package localapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/request"
)

// InjectRoutes adds the two-way sync routes (admin only):
//
//	POST /integrations/pos/orders/inject   {integration_id?, order, payment?}
//	POST /integrations/pos/orders/refund   {integration_id?, order_id | vendor_order_id, vendor_payment_id?, amount?, reason?}
//
// Both need an Idempotency-Key header: a repeated key gives the first
// outcome back and never a second order or refund at the vendor.
func InjectRoutes(s *Server, b *bridge.Bridge) {
	s.HandleFunc("POST /integrations/pos/orders/inject", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		// The body first: a wrong media type is a 415 on every route.
		var req request.Inject
		if err := DecodeJSON(w, r, 1<<20, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
		key, ok := idempotencyKey(w, r)
		if !ok {
			return
		}
		if err := req.Validate(); err != nil {
			writeRequestError(w, err)
			return
		}
		out, err := b.InjectOrder(r.Context(), key, req.IntegrationID, req.Order, req.Payment, actor(r))
		writeJob(w, out, err)
	})
	s.HandleFunc("POST /integrations/pos/orders/refund", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		var req request.Refund
		if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
		key, ok := idempotencyKey(w, r)
		if !ok {
			return
		}
		out, err := b.RefundOrder(r.Context(), key, req.IntegrationID, req.RefundSpec, actor(r))
		writeJob(w, out, err)
	})
}

func idempotencyKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	k := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if k == "" || len(k) > 200 {
		WriteError(w, http.StatusBadRequest, "missing_idempotency_key",
			"send an Idempotency-Key header (up to 200 characters) that stays the same when you retry this request", "Idempotency-Key")
		return "", false
	}
	return "local:" + k, true
}

func actor(r *http.Request) string {
	if t, ok := auth.FromContext(r.Context()); ok {
		return t.Name
	}
	return "local"
}

func writeJob(w http.ResponseWriter, out bridge.JobOutcome, err error) {
	var missing *bridge.MissingSettingsError
	switch {
	case errors.Is(err, integrations.ErrNotFound):
		WriteError(w, http.StatusNotFound, "not_found", err.Error(), "integration_id")
		return
	case errors.Is(err, bridge.ErrJobConflict):
		WriteError(w, http.StatusConflict, "conflict", "Idempotency-Key "+err.Error(), "Idempotency-Key")
		return
	case errors.As(err, &missing):
		WriteError(w, http.StatusUnprocessableEntity, "missing_setting", err.Error(), missing.Field())
		return
	case err != nil:
		WriteError(w, http.StatusUnprocessableEntity, "invalid", err.Error(), "")
		return
	}
	status := http.StatusCreated
	switch out.Status {
	case bridge.JobPending:
		status = http.StatusAccepted
	case bridge.JobRefused, bridge.JobUnsupported, bridge.JobFailed, bridge.JobDeadLetter:
		status = http.StatusUnprocessableEntity
	}
	if out.Existing && out.Status == bridge.JobDone {
		status = http.StatusOK
	}
	WriteJSON(w, status, out)
}
