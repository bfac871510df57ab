package daemon

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// syncBuffer is a log destination the daemon's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDegradedUntilAFeedSucceeds runs the daemon on two feeds that answer
// 500: /healthz is 503 degraded with the reason, the log says once per
// round that every feed failed, and once the feeds answer, /healthz is ok.
func TestDegradedUntilAFeedSucceeds(t *testing.T) {
	var up atomic.Bool
	feeds, _ := feedServer(t, 2, 0)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		feeds.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, ts.URL, []string{"a", "b"}, "", "")
	var logs syncBuffer
	r := start(t, Options{ConfigPath: cfg, DBPath: dir + "/cw.db", Log: slog.New(slog.NewTextHandler(&logs, nil))})

	var h Health
	var code int
	eventually(t, "a degraded /healthz", func() bool {
		code, h = getHealth(t, r.addr)
		return h.Status == "degraded"
	})
	if code != http.StatusServiceUnavailable || h.Reason != "2 of 2 enabled feeds failing" {
		t.Errorf("/healthz %d %q, want 503 with the count of failing feeds", code, h.Reason)
	}
	// The round logs its summary after its fetches are stored, which
	// /healthz may read first.
	eventually(t, "the warning that every feed failed", func() bool {
		return strings.Contains(logs.String(), "every feed failed in this poll round")
	})

	up.Store(true)
	eventually(t, "an ok /healthz", func() bool {
		code, h = getHealth(t, r.addr)
		return code == http.StatusOK && h.Status == "ok"
	})
}
