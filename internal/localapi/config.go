package localapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/auraconnect/aura-edge/internal/request"
)

// ConfigSetter applies a config.set request (the daemon's SetConfig); a
// refused setting is an error for which Refused reports true.
type ConfigSetter struct {
	Set     func(ctx context.Context, req request.ConfigSet, actor string) (any, error)
	Refused func(error) bool
	// Get lists the settings in effect (GET /v1/config).
	Get func() (request.Settings, error)
}

// ConfigRoutes adds the runtime settings routes (admin only):
//
//	GET  /v1/config   every runtime setting: in effect, in the file, the stored change
//	POST /v1/config   {"set": {"printers.front.auto_print": "kitchen", ...}, "by"?}
//
// POST is the local twin of the config.set command: the same request, the
// same checks and the same answer.
func ConfigRoutes(s *Server, cs ConfigSetter) {
	s.HandleFunc("GET /v1/config", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		out, err := cs.Get()
		if err != nil {
			s.log.Error("list settings", "err", err)
			internalError(w, "listing the settings")
			return
		}
		WriteJSON(w, http.StatusOK, out)
	})
	s.HandleFunc("POST /v1/config", AdminOnly, func(w http.ResponseWriter, r *http.Request) {
		var req request.ConfigSet
		if err := DecodeJSON(w, r, 64<<10, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
		out, err := cs.Set(r.Context(), req, actor(r))
		var re *request.Error
		switch {
		case errors.As(err, &re):
			WriteError(w, http.StatusBadRequest, re.Code, re.Message, re.Field)
		case err != nil && cs.Refused != nil && cs.Refused(err):
			WriteError(w, http.StatusUnprocessableEntity, "invalid_setting", plain(err.Error()), "set")
		case err != nil:
			s.log.Error("config.set failed", "err", err)
			internalError(w, "changing the settings")
		default:
			WriteJSON(w, http.StatusOK, out)
		}
	})
}
