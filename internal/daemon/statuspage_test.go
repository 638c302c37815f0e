package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
)

// browser starts a headless Debian chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := needTool(t, "chromium", "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs steps in the browser, failing the test after timeout.
func run(t *testing.T, ctx context.Context, timeout time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		// Leave what the page showed for the post-mortem.
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if png, err := chromedp.Run(fctx, chromedp.FullScreenshot(90)); err == nil {
			os.WriteFile(filepath.Join(t.ArtifactDir(), "failure.png"), png, 0o644)
		}
		text, _ := chromedp.Run(fctx, chromedp.Evaluate[string]("document.body.innerText"))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100)) // 100: PNG
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
	return png
}

// TestStatusPageInBrowser drives the status page in headless chromium: sign
// in with a token, see the printer go to "paper out" when the printer
// stand-in reports it, reprint an unconfirmed job and see its bytes reach
// the printer, cancel the original, and have a forged action refused.
// Screenshots go to the test's artifact directory (go test -artifacts);
// UPDATE_SCREENSHOT=1 also refreshes the README's.
func TestStatusPageInBrowser(t *testing.T) {
	ctx := browser(t)
	pr := printertest.Start(t)
	d, logs := startDaemon(t, printerConfig(pr))
	staff, _, err := auth.Create(d.Core().DB, auth.Staff, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + d.APIAddr().String()

	// An unconfirmed job: the printer drops the connection mid-job.
	pr.DropAfter(12)
	code, body := request(t, "POST", base+"/v1/print", staff, []byte(`{"printer":"front","kind":"receipt","job_id":"rcpt-1","order":`+string(orderBody("B-1"))+`}`))
	if code != 202 {
		t.Fatalf("print: %d %s", code, body)
	}
	waitUntil(t, 20*time.Second, "job unconfirmed", func() bool {
		_, body := request(t, "GET", base+"/v1/print/jobs/rcpt-1", staff, nil)
		return strings.Contains(body, `"state":"unconfirmed"`)
	})
	pr.DropAfter(0)

	// Sign in.
	run(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(base+"/status"),
		chromedp.WaitVisible(css("#token")),
		chromedp.SendKeys(css("#token"), staff),
		chromedp.Click(css(`#loginform button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-printer="front"] [data-job="rcpt-1"]`)),
	)
	cr, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	cookies := cr.Cookies
	if len(cookies) != 1 || cookies[0].Name != auth.SessionCookie || !cookies[0].HTTPOnly || cookies[0].SameSite != network.CookieSameSiteStrict {
		t.Fatalf("session cookie %+v", cookies)
	}
	if cookies[0].Value == staff || strings.Contains(logs.String(), staff) {
		t.Fatal("the token itself is in the cookie or the logs")
	}

	// The printer runs out of paper: the page says so.
	pr.SetMode(printertest.PaperOut)
	run(t, ctx, 10*time.Second, "paper out shown",
		chromedp.WaitVisible(css(`[data-printer="front"] h3 .badge[data-state="paper_out"]`)),
		chromedp.WaitVisible(css(`#banner`)))
	banner := get(t, ctx, "banner", chromedp.Text(css("#banner")))
	if !strings.Contains(banner, "Paper out") {
		t.Fatalf("banner %q", banner)
	}
	screenshot(t, ctx, "paper-out.png")
	// The same on a phone, for the README.
	run(t, ctx, 10*time.Second, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.WaitVisible(css(`[data-printer="front"] h3 .badge[data-state="paper_out"]`)))
	png := screenshot(t, ctx, "phone-paper-out.png")
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile("../localapi/statuspage/docs/screenshot.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, 10*time.Second, "desktop size", chromedp.ResetViewport())
	pr.SetMode(printertest.Online)
	run(t, ctx, 10*time.Second, "online again",
		chromedp.WaitVisible(css(`[data-printer="front"] h3 .badge[data-state="online"]`)))

	// Reprint the unconfirmed job: its bytes arrive with a REPRINT banner.
	before := len(pr.Jobs())
	run(t, ctx, 10*time.Second, "reprint",
		chromedp.Click(css(`[data-job="rcpt-1"] button[data-action="reprint"]`)),
		chromedp.WaitVisible(css(`#toast`)))
	jobs, err := pr.WaitJobs(before+1, 15*time.Second)
	if err != nil {
		t.Fatalf("reprint did not reach the printer: %v\n%s", err, logs)
	}
	if got := jobs[len(jobs)-1]; !bytes.Contains(got, []byte("REPRINT")) || !bytes.Contains(got, []byte("Latte")) {
		t.Fatalf("reprinted bytes lack the banner or the order: %q", got)
	}

	// Cancel the original: it leaves the list.
	run(t, ctx, 10*time.Second, "cancel",
		chromedp.Click(css(`[data-job="rcpt-1"] button[data-action="cancel"]`)),
		chromedp.WaitNotPresent(css(`[data-job="rcpt-1"]`)))
	_, body = request(t, "GET", base+"/v1/print/jobs/rcpt-1", staff, nil)
	if !strings.Contains(body, `"state":"cancelled"`) || !strings.Contains(body, "token:tablet") {
		t.Fatalf("cancelled job: %s", body)
	}

	// "Reprint last receipt" on the printer: a COPY of the newest receipt
	// (not the cancelled one), and the audit log names the tablet's token
	// for it and for the job reprint above.
	code, body = request(t, "POST", base+"/v1/print", staff, []byte(`{"printer":"front","kind":"receipt","job_id":"rcpt-2","order":`+string(orderBody("B-2"))+`}`))
	if code != 202 {
		t.Fatalf("print: %d %s", code, body)
	}
	if _, err := pr.WaitJobs(before+2, 15*time.Second); err != nil {
		t.Fatalf("rcpt-2 did not print: %v", err)
	}
	run(t, ctx, 10*time.Second, "reprint last receipt",
		chromedp.Click(css(`[data-printer="front"] button[data-action="reprint-last"]`)),
		chromedp.WaitVisible(css(`#toast`)))
	jobs, err = pr.WaitJobs(before+3, 15*time.Second)
	if err != nil {
		t.Fatalf("copy did not reach the printer: %v\n%s", err, logs)
	}
	if got := jobs[len(jobs)-1]; !bytes.Contains(got, []byte("COPY")) || !bytes.Contains(got, []byte("Latte")) {
		t.Fatalf("copy of the last receipt lacks the banner or the order: %q", got)
	}
	// The audit record is written beside the job, not before the answer:
	// wait for it.
	auditDeadline := time.Now().Add(10 * time.Second)
	for {
		_, body = request(t, "GET", base+"/v1/sync-logs?type=reprint", staff, nil)
		if strings.Count(body, `"actor":"token:tablet"`) == 2 && strings.Contains(body, "copy of print job rcpt-2") {
			break
		}
		if time.Now().After(auditDeadline) {
			t.Fatalf("reprint audit records: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// An action without the anti-forgery header is refused, even with the
	// session cookie.
	status := get(t, ctx, "forged action", chromedp.Evaluate[int](
		`fetch("/v1/print", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"printer":"front","kind":"test"}'}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Fatalf("action without CSRF header: %d", status)
	}

	// Sign out: the session is gone on the daemon too.
	run(t, ctx, 10*time.Second, "sign out",
		chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#token")))
	status = get(t, ctx, "after sign-out", chromedp.Evaluate[int](`fetch("/v1/health").then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != 401 {
		t.Fatalf("health after sign-out: %d", status)
	}
}
