package localapi

import (
	"errors"
	"net/http"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

// ControlDeps are what the control-socket routes need.
type ControlDeps struct {
	DB   *store.DB
	Keys *secrets.Keyring
}

// ControlRoutes registers the CLI's operations on the control socket only:
// tokens and key rotation.
func ControlRoutes(s *Server, d ControlDeps) {
	s.HandleControl("POST /ctl/tokens", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Role string `json:"role"`
			Name string `json:"name"`
		}
		if err := DecodeJSON(w, r, 4096, &req); err != nil {
			WriteDecodeError(w, err)
			return
		}
		role, err := auth.ParseRole(req.Role)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "bad_role", plain(err.Error()), "role")
			return
		}
		tok, t, err := auth.Create(d.DB, role, req.Name)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "bad_request", plain(err.Error()), "name")
			return
		}
		WriteJSON(w, http.StatusCreated, map[string]any{"token": tok, "id": t.ID, "name": t.Name, "role": t.Role, "created_at": t.CreatedAt})
	})
	s.HandleControl("GET /ctl/tokens", func(w http.ResponseWriter, r *http.Request) {
		ts, err := auth.List(d.DB)
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", plain(err.Error()), "")
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	})
	s.HandleControl("DELETE /ctl/tokens/{id}", func(w http.ResponseWriter, r *http.Request) {
		t, err := auth.Revoke(d.DB, r.PathValue("id"))
		if errors.Is(err, auth.ErrNotFound) {
			WriteError(w, http.StatusNotFound, "not_found", plain(err.Error()), "id")
			return
		}
		if err != nil {
			WriteError(w, http.StatusBadRequest, "bad_request", plain(err.Error()), "id")
			return
		}
		WriteJSON(w, http.StatusOK, t)
	})
	s.HandleControl("POST /ctl/keys/rotate", func(w http.ResponseWriter, r *http.Request) {
		rot, err := d.Keys.Rotate(d.DB)
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "rotate_failed", plain(err.Error()), "")
			return
		}
		WriteJSON(w, http.StatusOK, rot)
	})
}
