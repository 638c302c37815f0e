package auth

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMiddleware is the token check every non-public request pays: a
// terminal's bearer token on POST /v1/orders, through SessionMiddleware
// as the daemon builds it (policy match, bearer parse, token lookup, role
// check, caller in the context), with a handler that does nothing. The
// figures that matter are allocs/op and B/op, which the machine's load
// does not move.
//
//	go test -run '^$' -bench Middleware -benchmem ./internal/auth
func BenchmarkMiddleware(b *testing.B) {
	db := openStore(b)
	a := NewAuthenticator(db, Options{})
	secret, _ := mustCreate(b, db, Terminal, "till-1")
	h := SessionMiddleware(examplePolicy(), a, NewSessions(a, 0), slog.New(slog.DiscardHandler))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := FromContext(r.Context()); !ok {
				b.Fatal("no token in the context")
			}
		}))
	req := httptest.NewRequest("POST", "/v1/orders", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := httptest.NewRecorder()
		for pb.Next() {
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
