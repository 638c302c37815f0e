package localapi

import (
	"errors"
	"net/http"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/integrations"
)

// MenuRoutes registers the staff menu routes: 86ing items, variations and
// modifiers until a time (POST /v1/menu/availability) and listing what is
// off sale (GET /v1/menu/availability).
func MenuRoutes(s *Server, b *bridge.Bridge) {
	s.HandleFunc("POST /v1/menu/availability", StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		var in bridge.AvailabilityInput
		if err := DecodeJSON(w, r, 64<<10, &in); err != nil {
			WriteDecodeError(w, err)
			return
		}
		req, err := b.Request(in)
		if err == nil {
			var res []bridge.Result
			res, err = b.SetAvailability(r.Context(), req, auth.Actor(r.Context()))
			if err == nil {
				WriteJSON(w, http.StatusOK, map[string]any{"available": req.Available, "until": req.Until, "results": res})
				return
			}
		}
		switch {
		case errors.Is(err, bridge.ErrBadAvailability):
			WriteError(w, http.StatusBadRequest, "bad_request", err.Error(), "")
		case errors.Is(err, integrations.ErrNotFound):
			WriteError(w, http.StatusNotFound, "not_found", err.Error(), "integration_id")
		case errors.Is(err, bridge.ErrNoIntegrations):
			WriteError(w, http.StatusConflict, "no_integrations", err.Error(), "")
		default:
			WriteError(w, http.StatusInternalServerError, "internal", err.Error(), "")
		}
	})
	s.HandleFunc("GET /v1/menu/availability", StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		us, err := b.Unavailables(r.URL.Query().Get("integration_id"))
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", err.Error(), "")
			return
		}
		if us == nil {
			us = []bridge.Unavailable{}
		}
		WriteJSON(w, http.StatusOK, map[string]any{"unavailable": us})
	})
}
