package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/store"
)

func matchCounts(t *testing.T, db string) map[string]int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.MatchCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// strikesSetup serves one feed of two strike stories and writes a config
// that files them under "strikes": the server, the directory, the config's
// path and text, and the database's path.
func strikesSetup(t *testing.T) (ts *httptest.Server, dir, cfg string, text []byte, db string) {
	t.Helper()
	ts, _ = feedServer(t, 2, 0)
	dir = t.TempDir()
	cfg = writeConfig(t, dir, ts.URL, []string{"a"}, "strike", "")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ts, dir, cfg, text, filepath.Join(dir, "cw.db")
}

func waitFirstPoll(t *testing.T, r *running) {
	t.Helper()
	eventually(t, "the first poll", func() bool { _, h := getHealth(t, r.addr); return h.LastPoll != nil })
}

// TestReload: a broken config is refused and reported while the old one
// keeps running; a fixed one, written in place as an editor would, is
// noticed on disk, applied, and the archive is matched again.
func TestReload(t *testing.T) {
	_, dir, cfg, good, db := strikesSetup(t)
	reload := make(chan struct{})
	r := start(t, Options{ConfigPath: cfg, DBPath: db, Reload: reload, WatchConfig: true})
	waitFirstPoll(t, r)
	_, h := getHealth(t, r.addr)
	oldVersion := h.Config.RulesVersion

	if err := os.WriteFile(cfg, []byte(strings.Replace(string(good), "timeout: 1s", "timeout: soon", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	reload <- struct{}{}
	eventually(t, "/healthz to report the refused config", func() bool {
		code, h := getHealth(t, r.addr)
		return code == http.StatusServiceUnavailable && strings.Contains(h.Config.ReloadError, "fetch.timeout")
	})
	if _, h := getHealth(t, r.addr); h.Config.RulesVersion != oldVersion {
		t.Errorf("rules version %s after a refused reload, want the old %s", h.Config.RulesVersion, oldVersion)
	}

	// Replace the file (write a temporary one and rename it over), as
	// editors do: the directory watch sees it.
	fixed := strings.NewReplacer("rule: strike", "rule: protested", "id: strikes", "id: protests").Replace(string(good))
	tmp := filepath.Join(dir, ".feeds.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, cfg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed config to be applied", func() bool {
		code, h := getHealth(t, r.addr)
		return code == http.StatusOK && h.Config.ReloadError == "" && h.Config.RulesVersion != oldVersion
	})
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	// Every story says "protested": the rematch moved them all from the
	// old topic to the new one.
	if got := matchCounts(t, db); got["protests"] != 2 || got["strikes"] != 0 {
		t.Errorf("matches after reload: %v, want protests: 2 and no strikes", got)
	}
}

// TestStartMatchesStaleStoriesAgain: rules changed while no daemon ran (an
// edited feeds.yaml, or a newer civicwatch whose matcher reads text
// differently) leave stored matches that say what the running rules do
// not. A starting daemon matches the recent archive again before it polls
// or sends anything, so no digest is built from them.
func TestStartMatchesStaleStoriesAgain(t *testing.T) {
	ts, _, cfg, good, db := strikesSetup(t)
	r := start(t, Options{ConfigPath: cfg, DBPath: db})
	waitFirstPoll(t, r)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := matchCounts(t, db); got["strikes"] != 2 {
		t.Fatalf("matches after the first run: %v, want strikes: 2", got)
	}

	// The feed is gone by the second start, so no poll can bring the
	// stories back to be matched: only the start can.
	ts.Close()
	edited := strings.NewReplacer("rule: strike", "rule: protested", "id: strikes", "id: protests").Replace(string(good))
	if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	var log2 syncBuffer
	r = start(t, Options{ConfigPath: cfg, DBPath: db, Log: slog.New(slog.NewTextHandler(&log2, nil))})
	waitFirstPoll(t, r)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := matchCounts(t, db); got["protests"] != 2 || got["strikes"] != 0 {
		t.Errorf("matches after a start with edited rules: %v, want protests: 2 and no strikes", got)
	}
	if !strings.Contains(log2.String(), "stories=2") {
		t.Errorf("the start that matched again logged:\n%s\nwant the count of stories matched again", log2.String())
	}

	// Started again with the same rules, nothing is stale and nothing is
	// matched again.
	var log syncBuffer
	r = start(t, Options{ConfigPath: cfg, DBPath: db, Log: slog.New(slog.NewTextHandler(&log, nil))})
	waitFirstPoll(t, r)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "matched again") || !strings.Contains(log.String(), "daemon started") {
		t.Errorf("a start with unchanged rules logged:\n%s\nwant no rematch", log.String())
	}
}
