package daemon

import (
	"context"
	"net/http"
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

// TestReload: a broken config is refused and reported while the old one
// keeps running; a fixed one, written in place as an editor would, is
// noticed on disk, applied, and the archive is matched again.
func TestReload(t *testing.T) {
	ts, _ := feedServer(t, 2, 0)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, ts.URL, []string{"a"}, "strike", "")
	good, _ := os.ReadFile(cfg)
	db := filepath.Join(dir, "cw.db")
	reload := make(chan struct{})
	r := start(t, Options{ConfigPath: cfg, DBPath: db, Reload: reload, WatchConfig: true})
	eventually(t, "the first poll", func() bool { _, h := getHealth(t, r.addr); return h.LastPoll != nil })
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
