// Package statuspage serves the daemon's status page at /status: what
// staff on a tablet and installers on a laptop need to see (the cloud
// link, the buffer for the cloud, printers and their jobs, integrations,
// terminals, recent activity) and the few actions staff take (test print,
// reprint, cancel).
//
// The page and its assets are embedded (no CDN: it works with no
// internet) and hold no data. Signing in exchanges an API token for a
// session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS); the page
// then reads GET /v1/health every two seconds and acts through the local
// API's own routes, which accept the cookie in place of the token
// (auth.SessionMiddleware), so roles are exactly the API's. Actions carry
// the session's anti-forgery token in the X-CSRF-Token header.
package statuspage

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/localapi"
)

//go:embed assets
var assets embed.FS

// csp keeps the page to its own origin: no inline script, no third party.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Routes registers the status page on s.
func Routes(s *localapi.Server, sessions *auth.Sessions, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := handlers{sessions: sessions, log: log}
	s.HandleFunc("GET /status", localapi.Public, h.page)
	s.HandleFunc("GET /status/assets/{file}", localapi.Public, h.asset)
	s.HandleFunc("POST /status/login", localapi.Public, h.login)
	s.HandleFunc("POST /status/logout", localapi.Public, h.logout)
	s.HandleFunc("GET /status/session", localapi.StaffAccess, h.session)
}

type handlers struct {
	sessions *auth.Sessions
	log      *slog.Logger
}

func secure(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (h handlers) page(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, "status page missing from this build", http.StatusInternalServerError)
		return
	}
	secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

var types = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

func (h handlers) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ct, ok := types[path.Ext(name)]
	b, err := fs.ReadFile(assets, "assets/"+name)
	if !ok || err != nil || strings.Contains(name, "/") {
		localapi.WriteError(w, http.StatusNotFound, "not_found", "there is no status page file "+name, "")
		return
	}
	secure(w)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

type loginRequest struct {
	Token string `json:"token"`
}

// SessionInfo answers a sign-in and GET /status/session.
type SessionInfo struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
	CSRF string    `json:"csrf"`
}

func (h handlers) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := localapi.DecodeJSON(w, r, 4096, &req); err != nil {
		localapi.WriteDecodeError(w, err)
		return
	}
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(req.Token), "Bearer "))
	if tok == "" {
		localapi.WriteError(w, http.StatusBadRequest, "missing_token", "paste your API token (it starts with ae_) to sign in", "token")
		return
	}
	id, csrf, t, err := h.sessions.Create(tok)
	switch {
	case errors.Is(err, auth.ErrRevokedToken):
		localapi.WriteError(w, http.StatusUnauthorized, "unauthorized", "this token was revoked; ask the installer for a new one", "token")
		return
	case errors.Is(err, auth.ErrMalformedToken), errors.Is(err, auth.ErrUnknownToken), errors.Is(err, auth.ErrNoToken):
		h.log.Warn("status page sign-in refused", "remote", r.RemoteAddr)
		localapi.WriteError(w, http.StatusUnauthorized, "unauthorized", "this token is not valid here; check that you copied all of it", "token")
		return
	case err != nil:
		h.log.Error("status page sign-in", "err", err)
		localapi.WriteError(w, http.StatusInternalServerError, "internal", "signing in failed on this device; the details are in its log", "")
		return
	}
	if t.Role != auth.Admin && t.Role != auth.Staff {
		h.sessions.Delete(id)
		localapi.WriteError(w, http.StatusForbidden, "forbidden", "token \""+t.Name+"\" has role "+string(t.Role)+"; the status page needs a staff or admin token", "token")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(h.sessions.TTL().Seconds())})
	h.log.Info("status page sign-in", "token_name", t.Name, "token_id", t.ID, "remote", r.RemoteAddr)
	w.Header().Set("Cache-Control", "no-store")
	localapi.WriteJSON(w, http.StatusOK, SessionInfo{Name: t.Name, Role: t.Role, CSRF: csrf})
}

func (h handlers) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		h.sessions.Delete(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	localapi.WriteJSON(w, http.StatusOK, map[string]bool{"signed_out": true})
}

// session tells the page who is signed in and the CSRF token (the
// middleware has checked the cookie already).
func (h handlers) session(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil {
		// A bearer token (no cookie): nothing to protect against forgery.
		if t, ok := auth.FromContext(r.Context()); ok {
			localapi.WriteJSON(w, http.StatusOK, SessionInfo{Name: t.Name, Role: t.Role})
			return
		}
		localapi.WriteError(w, http.StatusUnauthorized, "signed_out", "sign in with your token", "")
		return
	}
	t, csrf, err := h.sessions.Lookup(c.Value)
	if err != nil {
		localapi.WriteError(w, http.StatusUnauthorized, "signed_out", "sign in with your token", "")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	localapi.WriteJSON(w, http.StatusOK, SessionInfo{Name: t.Name, Role: t.Role, CSRF: csrf})
}
