package daemon

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// offsetClock is a clock a test moves forward.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time       { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) jump(d time.Duration) { c.off.Add(int64(d)) }

// TestEndToEnd: the daemon polls loopback feeds, matches, and delivers a
// digest over SMTP when its schedule comes; /healthz and /metrics say so.
func TestEndToEnd(t *testing.T) {
	ts, _ := feedServer(t, 3, 0)
	smtpd := mailtest.Start(t, nil)
	dir := t.TempDir()
	extra := fmt.Sprintf(`digest:
  schedule: "0 0 * * *"
  timezone: UTC
  from: "civicwatch <digest@example.org>"
  recipients:
    - email: staff@example.org
smtp:
  host: 127.0.0.1
  port: %d
  tls: none
`, smtpd.Port)
	cfg := writeConfig(t, dir, ts.URL, []string{"a", "b"}, "strike", extra)
	db := filepath.Join(dir, "cw.db")
	clock := &offsetClock{}
	trigger := make(chan struct{})
	r := start(t, Options{ConfigPath: cfg, DBPath: db, Now: clock.now, DigestTrigger: trigger})

	eventually(t, "a poll round that stored stories", func() bool {
		_, h := getHealth(t, r.addr)
		return h.LastPoll != nil && h.LastPoll.Matched > 0
	})
	// Today's period ended at midnight, before these stories were seen;
	// tomorrow's carries them. Move the clock there and fire the job as
	// the schedule would.
	clock.jump(24 * time.Hour)
	trigger <- struct{}{}
	eventually(t, "the digest with the stories", func() bool {
		for _, m := range smtpd.To("staff@example.org") {
			if strings.Contains(string(m.Data), "Garment workers strike") {
				return true
			}
		}
		return false
	})
	tomorrow := clock.now().UTC().Format(time.DateOnly)
	eventually(t, "/healthz to report the digest", func() bool {
		code, h := getHealth(t, r.addr)
		return code == http.StatusOK && len(h.Digests) == 1 && h.Digests[0].Period == tomorrow && h.Digests[0].Outcome == "sent"
	})
	code, h := getHealth(t, r.addr)
	if code != http.StatusOK || h.Database != "ok" || h.Config.RulesVersion == "" || h.Config.FileSHA256 == "" {
		t.Errorf("/healthz %d: %+v", code, h)
	}
	m := getMetrics(t, r.addr)
	for _, want := range []string{
		`civicwatch_fetches_total{outcome="ok"} 2`,
		`civicwatch_stories_stored_total 6`,
		`civicwatch_matches_total{topic="strikes"} 6`,
		`civicwatch_digests_total{outcome="sent"}`,
		`civicwatch_fetch_duration_seconds_count`,
		`civicwatch_last_successful_poll_timestamp_seconds`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The catch-up sends nothing twice.
	n := len(smtpd.Messages())
	trigger <- struct{}{}
	trigger <- struct{}{}
	if got := len(smtpd.Messages()); got != n {
		t.Errorf("%d messages after two more runs, want %d", got, n)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownMidPoll cancels the daemon while slow feeds are being
// fetched: it returns within the bound, the database is sound, no feed is
// stored by halves, and the next start completes the work.
func TestShutdownMidPoll(t *testing.T) {
	const feeds, items = 40, 20
	ts, served := feedServer(t, items, 40*time.Millisecond)
	dir := t.TempDir()
	paths := make([]string, feeds)
	for i := range paths {
		paths[i] = fmt.Sprintf("s%02d", i)
	}
	cfg := writeConfig(t, dir, ts.URL, paths, "strike", "")
	// A long interval: the second start polls only what the first left.
	db := filepath.Join(dir, "cw.db")
	r := start(t, Options{ConfigPath: cfg, DBPath: db})
	eventually(t, "the poll to be under way", func() bool { return served.Load() >= feeds/4 })
	began := time.Now()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("shutdown took %s, bound is 10s", took)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := st.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Errorf("integrity_check: %q, %v", res, err)
	}
	st.Close()
	partial := countStories(t, db)
	if partial%items != 0 || partial == feeds*items {
		t.Fatalf("%d stories after shutdown: want a whole number of feeds, and not all of them", partial)
	}
	r = start(t, Options{ConfigPath: cfg, DBPath: db})
	eventually(t, "the next start to store every feed", func() bool { return countStories(t, db) == feeds*items })
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}
