package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/sources"
	"github.com/civicwatch/civicwatch/internal/store"
)

func TestHealthReport(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	polled := func(h *health) { h.polled(t0, &poll.Report{}) }
	tests := []struct {
		name    string
		setup   func(h *health)
		now     time.Time
		dbErr   error
		problem string // "" means healthy
	}{
		{"fresh start", func(*health) {}, t0.Add(time.Minute), nil, ""},
		{"polled recently", polled, t0.Add(89 * time.Minute), nil, ""},
		{"no poll for over 3 intervals", polled, t0.Add(91 * time.Minute), nil, "no successful poll"},
		{"never polled since start", func(*health) {}, t0.Add(2 * time.Hour), nil, "no successful poll"},
		{"database error", polled, t0, errors.New("disk I/O error"), "database: disk I/O error"},
		{"reload refused", func(h *health) { h.setConfig(nil, errors.New("feeds.yaml:3: bad")) }, t0, nil, "config reload refused"},
		{"digest failed for good", func(h *health) {
			h.digested([]digest.Result{{Recipient: "a@example.org", Period: digest.Period{ID: "2026-11-26"},
				Outcome: digest.OutcomeFailed, Err: errors.New("550 no such user")}}, nil)
		}, t0, nil, "digest for a@example.org failed for good"},
		{"digest pending is not unhealthy", func(h *health) {
			h.digested([]digest.Result{{Recipient: "a@example.org", Outcome: digest.OutcomePending}}, nil)
		}, t0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHealth(t0)
			h.interval = 30 * time.Minute
			tt.setup(h)
			got := h.report(tt.now, tt.dbErr, sources.Summary{}, nil)
			problems := strings.Join(got.Problems, "; ")
			switch {
			case tt.problem == "" && got.Status != "ok":
				t.Errorf("status %s (%s), want ok", got.Status, problems)
			case tt.problem != "" && (got.Status != "unhealthy" || !strings.Contains(problems, tt.problem)):
				t.Errorf("status %s, problems %q; want unhealthy with %q", got.Status, problems, tt.problem)
			}
		})
	}
}

// TestHealthDegraded pins when /healthz calls a running daemon degraded:
// no feed read within 2 × the poll interval, or more than half the enabled
// feeds failing.
func TestHealthDegraded(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	failing := func(n int) []store.FeedState {
		out := make([]store.FeedState, n)
		for i := range out {
			out[i] = store.FeedState{ID: fmt.Sprint("f", i), Failures: 3, LastError: "connection refused"}
		}
		return out
	}
	const iv = 30 * time.Minute
	tests := []struct {
		name   string
		now    time.Time
		feeds  sources.Summary
		reason string // "" means ok
	}{
		{"all failing", t0.Add(time.Minute), sources.Summary{Enabled: 3, Failing: failing(3), Interval: iv}, "3 of 3 enabled feeds failing"},
		{"more than half failing", t0.Add(time.Minute), sources.Summary{Enabled: 5, Failing: failing(3), Interval: iv, LastSuccess: t0}, "3 of 5 enabled feeds failing"},
		{"half failing is ok", t0.Add(time.Minute), sources.Summary{Enabled: 4, Failing: failing(2), Interval: iv, LastSuccess: t0}, ""},
		{"one succeeded, none failing", t0.Add(time.Minute), sources.Summary{Enabled: 1, Interval: iv, LastSuccess: t0}, ""},
		{"nothing read yet, within the bound", t0.Add(59 * time.Minute), sources.Summary{Enabled: 2, Interval: iv}, ""},
		{"nothing read 2 intervals after start", t0.Add(61 * time.Minute), sources.Summary{Enabled: 2, Interval: iv},
			"no feed read successfully in the 1h1m0s since start"},
		{"a read before start does not count against it", t0.Add(59 * time.Minute), sources.Summary{Enabled: 2, Interval: iv, LastSuccess: t0.Add(-10 * time.Hour)}, ""},
		{"last read too long ago", t0.Add(80 * time.Minute), sources.Summary{Enabled: 2, Interval: iv, LastSuccess: t0.Add(10 * time.Minute)},
			"no feed read successfully in the 1h10m0s since the last successful read"},
		{"no feeds enabled", t0.Add(5 * time.Hour), sources.Summary{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHealth(t0)
			h.interval = 10 * time.Hour // keep the polling-loop check out of the way
			h.polled(tt.now, &poll.Report{})
			got := h.report(tt.now, nil, tt.feeds, nil)
			if tt.reason == "" {
				if got.Status != "ok" {
					t.Errorf("status %s (%s), want ok", got.Status, got.Reason)
				}
				return
			}
			if got.Status != "degraded" || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("status %s, reason %q; want degraded with %q", got.Status, got.Reason, tt.reason)
			}
		})
	}
}

// TestHealthHandler serves /healthz and /metrics from a store with a
// failing feed, through httptest.
func TestHealthHandler(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.SyncFeeds(t.Context(), []store.FeedRef{{ID: "down", Name: "Down", URL: "https://down.example/"}}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "down", StartedAt: now, Outcome: store.OutcomeError,
		Status: 503, Error: "HTTP 503", NextDue: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("feeds: [{id: down, url: 'https://down.example/'}]\n"), filepath.Join(dir, "feeds.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{store: st, metrics: newMetrics(), health: newHealth(now), cfg: cfg}
	d.health.setConfig(cfg, nil)
	d.health.polled(now, &poll.Report{Results: []poll.Result{{FeedID: "down", Outcome: store.OutcomeError, Err: errors.New("HTTP 503")}}})
	d.metrics.observePoll(&poll.Report{Results: []poll.Result{{FeedID: "down", Outcome: store.OutcomeError, Duration: time.Second}}})

	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, loopbackRequest("/healthz"))
	var h Health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	// Its one feed failing, the watch is degraded (issue 14: this was a 200).
	if rec.Code != http.StatusServiceUnavailable || h.Status != "degraded" || h.Reason != "1 of 1 enabled feeds failing" ||
		h.Database != "ok" || len(h.Failing) != 1 || h.Failing[0].ID != "down" ||
		h.Failing[0].Failures != 1 || h.Failing[0].LastError != "HTTP 503" || h.LastPoll == nil || h.LastPoll.Failed != 1 {
		t.Errorf("/healthz %d:\n%s", rec.Code, rec.Body)
	}

	rec = httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, loopbackRequest("/metrics"))
	if !strings.Contains(rec.Body.String(), `civicwatch_fetches_total{outcome="error"} 1`) {
		t.Errorf("/metrics lacks the failed fetch:\n%s", rec.Body)
	}

	// One success later it is ok again.
	if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "down", StartedAt: now.Add(time.Second), Outcome: store.OutcomeNotModified,
		Status: 304, NextDue: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, loopbackRequest("/healthz"))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status": "ok"`) {
		t.Errorf("/healthz after a success: %d\n%s", rec.Code, rec.Body)
	}

	st.Close() // a database that stopped working makes /healthz 503
	rec = httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, loopbackRequest("/healthz"))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with a closed database: %d, want 503", rec.Code)
	}
}
