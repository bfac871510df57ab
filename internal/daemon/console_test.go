package daemon

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/web"
)

// TestConsoleFollowsReloads mounts the console in the daemon's handler and
// checks that it reads the config in force, not the one it started with.
func TestConsoleFollowsReloads(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	parse := func(topic string) *config.Config {
		cfg, err := config.Parse([]byte("feeds: [{id: a, url: 'https://a.example/'}]\ntopics: [{id: "+topic+", rule: union}]\n"),
			filepath.Join(dir, "feeds.yaml"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	d := &Daemon{store: st, metrics: newMetrics(), health: newHealth(time.Now())}
	d.apply(parse("before"))
	h := d.Handler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, loopbackRequest(path))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/rules"); code != 200 || !strings.Contains(body, `value="before"`) {
		t.Fatalf("/rules: %d\n%s", code, body)
	}
	d.apply(parse("after")) // what a reload does
	if code, body := get("/rules"); code != 200 || !strings.Contains(body, `value="after"`) || strings.Contains(body, `value="before"`) {
		t.Errorf("/rules after a reload: %d; the console kept the old config", code)
	}
	if code, _ := get("/healthz"); code != 200 && code != 503 {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "civicwatch_") {
		t.Errorf("/metrics: %d", code)
	}
}

// TestRunRefusesAnOpenConsole: a daemon asked to listen beyond loopback
// without a token stops before taking the lock or opening the database.
func TestRunRefusesAnOpenConsole(t *testing.T) {
	dir := t.TempDir()
	err := Run(t.Context(), Options{ConfigPath: filepath.Join(dir, "feeds.yaml"), DBPath: filepath.Join(dir, "cw.db"), Listen: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), web.TokenEnv) {
		t.Fatalf("Run on 0.0.0.0 without a token: %v; want a refusal naming %s", err, web.TokenEnv)
	}
	if _, statErr := filepath.Glob(filepath.Join(dir, "*")); statErr != nil {
		t.Fatal(statErr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "cw.db*")); len(m) != 0 {
		t.Errorf("refused, yet it created %v", m)
	}
}

// loopbackRequest is a GET as a browser on this machine sends it: the
// console answers only to its own address and localhost forms of it, not
// to httptest's default Host (example.com).
func loopbackRequest(path string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:8080"
	return req
}
