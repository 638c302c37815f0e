package postest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// standIn is the smallest stand-in: it records every request and answers
// {"ok":true} unless a fault (scoped like clovertest's) hits.
type standIn struct {
	Recorder
	Faults[fault]
}

type fault struct {
	status       int
	retryAfter   string
	method       string
	pathContains string
	raw          bool
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.Record(NewRequest(r, body))
	if f, ok := s.TakeFault(func(f fault) bool { return Matches(r, f.method, f.pathContains, "/api/") }); ok {
		var out any = map[string]string{"message": http.StatusText(f.status)}
		if f.raw {
			out = []byte(`{"raw":1}`)
		}
		WriteFault(w, f.status, f.retryAfter, out)
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func do(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("b"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  fault
		calls  [][2]string // method, path
		status []int
		retry  string
		body   string
	}{
		{"429 twice with Retry-After", fault{status: 429, retryAfter: "7"},
			[][2]string{{"GET", "/api/a"}, {"GET", "/api/b"}, {"GET", "/api/c"}}, []int{429, 429, 200}, "7",
			"{\"message\":\"Too Many Requests\"}\n"},
		{"outside the default prefix", fault{status: 500},
			[][2]string{{"POST", "/oauth/token"}, {"GET", "/api/a"}}, []int{200, 500}, "", ""},
		{"method scope", fault{status: 500, method: "POST"},
			[][2]string{{"GET", "/api/a"}, {"POST", "/api/a"}}, []int{200, 500}, "", ""},
		{"path scope", fault{status: 503, pathContains: "/items", raw: true},
			[][2]string{{"GET", "/api/orders"}, {"PUT", "/api/items/1"}}, []int{200, 503}, "", `{"raw":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &standIn{}
			srv := httptest.NewServer(s)
			defer srv.Close()
			s.FailNext(2, tc.fault)
			for i, c := range tc.calls {
				resp, body := do(t, c[0], srv.URL+c[1])
				if resp.StatusCode != tc.status[i] {
					t.Fatalf("call %d %v: status %d, want %d", i, c, resp.StatusCode, tc.status[i])
				}
				if resp.StatusCode == 200 {
					continue
				}
				if got := resp.Header.Get("Retry-After"); got != tc.retry {
					t.Errorf("Retry-After %q, want %q", got, tc.retry)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				if tc.body != "" && body != tc.body {
					t.Errorf("body %q, want %q", body, tc.body)
				}
			}
		})
	}
}

func TestRecorder(t *testing.T) {
	s := &standIn{}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			get := http.Get
			if i%2 == 1 {
				get = func(url string) (*http.Response, error) { return http.Post(url, "text/plain", strings.NewReader("b")) }
			}
			resp, err := get(srv.URL + "/api/x?q=1")
			if err != nil {
				t.Error(err) // not Fatal: this is not the test's goroutine
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if n := len(s.Requests()); n != 20 {
		t.Fatalf("%d requests recorded, want 20", n)
	}
	ws := s.Writes()
	if len(ws) != 10 {
		t.Fatalf("%d writes, want 10", len(ws))
	}
	w := ws[0]
	if w.Method != http.MethodPost || w.Path != "/api/x" || w.Query.Get("q") != "1" || string(w.Body) != "b" || w.Header.Get("User-Agent") == "" {
		t.Errorf("recorded %+v", w)
	}
	rs := s.Requests()
	rs[0].Method = "CHANGED"
	if s.Requests()[0].Method == "CHANGED" {
		t.Error("Requests shares its slice with the recorder")
	}
	s.ResetRequests()
	if rs := s.Requests(); rs != nil {
		t.Errorf("after ResetRequests: %v", rs)
	}
}
