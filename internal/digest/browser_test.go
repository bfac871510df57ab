package digest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/civicwatch/civicwatch/internal/browsertest"
)

// TestDigestFitsPhoneAndDesktop renders the fixture digest in headless
// Chromium at a phone's width and at the full 640 px, checks that nothing
// scrolls sideways, and keeps a screenshot of each.
func TestDigestFitsPhoneAndDesktop(t *testing.T) {
	r, err := Render(Build(fixtureInput(Recipient{Email: "a@example.org"})), "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if req.URL.Path == "/too-wide" { // the control: a page that does scroll
			fmt.Fprint(w, `<!DOCTYPE html><meta name="viewport" content="width=device-width"><div style="width:1000px">x</div>`)
			return
		}
		fmt.Fprint(w, r.HTML)
	}))
	defer srv.Close()
	ctx := browsertest.New(t)
	dir := browsertest.ArtefactDir(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 900), chromedp.Navigate(srv.URL+"/too-wide")); err != nil {
		t.Fatal(err)
	}
	if evaluate[int64](t, ctx, `document.documentElement.scrollWidth`) <= evaluate[int64](t, ctx, `window.innerWidth`) {
		t.Fatal("the sideways-scroll check does not see a 1000 px wide page")
	}
	for _, width := range []int64{375, 640} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv.URL)); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		scrollWidth := evaluate[int64](t, ctx, `document.documentElement.scrollWidth`)
		innerWidth := evaluate[int64](t, ctx, `window.innerWidth`)
		khmer := evaluate[bool](t, ctx, `document.body.innerText.includes("ក្រសួង\u200bមហាផ្ទៃ")`)
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatalf("width %d: screenshot: %v", width, err)
		}
		if scrollWidth > innerWidth {
			t.Errorf("at %d px the page is %d px wide: it scrolls sideways", width, scrollWidth)
		}
		if !khmer {
			t.Errorf("at %d px the Khmer headline is missing from the page text", width)
		}
		path := filepath.Join(dir, fmt.Sprintf("digest-%dpx.png", width))
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}

func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
