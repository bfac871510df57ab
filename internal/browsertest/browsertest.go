// Package browsertest starts headless Chromium for tests that must see a page
// as a reader's browser does. In CI (CI=true) a missing browser fails the
// test; elsewhere the test is skipped with the reason.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path finds Debian's chromium (installed by .ci/run).
func Path() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// New starts a browser for t and returns a chromedp context; the browser is
// closed when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	path, ok := Path()
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; .ci/run installs it with apt-get")
		}
		t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
	}
	// Flags for a root user on a machine without network: no sandbox (root),
	// and none of the background services that would try to phone home.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ArtefactDir is where tests keep screenshots: $CIVICWATCH_ARTEFACTS, or
// artefacts/ at the top of the repository (ignored by git).
func ArtefactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CIVICWATCH_ARTEFACTS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "artefacts")
				break
			}
			if filepath.Dir(d) == d {
				dir = filepath.Join(wd, "artefacts")
				break
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
