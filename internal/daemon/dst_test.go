package daemon

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// countingSender records the messages it is given.
type countingSender struct {
	mu   sync.Mutex
	msgs []*digest.Message
}

func (c *countingSender) Send(_ context.Context, m *digest.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return nil
}

// catchUpDaemon is a daemon without loops: the test calls its digest job as
// the catch-up ticker would, with the clock it moves.
func catchUpDaemon(t *testing.T, schedule string, now *time.Time) (*Daemon, *countingSender) {
	t.Helper()
	src := `feeds:
  - id: a
    url: https://a.example/feed
digest:
  schedule: "` + schedule + `"
  timezone: Europe/Amsterdam
  delivery: file
  dir: ` + t.TempDir() + `
  from: "cw <cw@example.org>"
  recipients:
    - email: staff@example.org
`
	cfg, err := config.Parse([]byte(src), "feeds.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sender := &countingSender{}
	d := &Daemon{
		opts:    Options{Now: func() time.Time { return *now }, Sender: sender, Retry: digest.Retry{Attempts: 1}},
		log:     slog.New(slog.DiscardHandler),
		store:   st,
		metrics: newMetrics(),
		health:  newHealth(*now),
		cfg:     cfg,
	}
	return d, sender
}

// sentPeriods lists the periods of the ledger's sent digests, oldest first,
// and fails on any period sent twice.
func sentPeriods(t *testing.T, d *Daemon, sender *countingSender) []string {
	t.Helper()
	rows, err := d.store.RecentDigests(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Status == store.DigestSent {
			out = append(out, r.Period)
		}
	}
	slices.Sort(out)
	if len(sender.msgs) != len(out) {
		t.Errorf("%d messages sent for %d ledger rows", len(sender.msgs), len(out))
	}
	return out
}

// TestCatchUpAcrossDST runs the digest catch-up every minute across
// Amsterdam's DST changes of 2026 (29 March: 02:00 becomes 03:00; 25
// October: 03:00 becomes 02:00 again), for a schedule at 07:00 and one
// inside the gap and the repeated hour. Each local day gets one digest.
func TestCatchUpAcrossDST(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		schedule string
		day      time.Time // the day of the change, local midnight
	}{
		{"spring forward, 07:00", "0 7 * * *", time.Date(2026, 3, 29, 0, 0, 0, 0, ams)},
		{"spring forward, 02:30 falls in the gap", "30 2 * * *", time.Date(2026, 3, 29, 0, 0, 0, 0, ams)},
		{"fall back, 07:00", "0 7 * * *", time.Date(2026, 10, 25, 0, 0, 0, 0, ams)},
		{"fall back, 02:30 happens twice", "30 2 * * *", time.Date(2026, 10, 25, 0, 0, 0, 0, ams)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// From noon the day before to noon the day after, a minute
			// at a time in absolute time (local clocks skip and repeat).
			now := tt.day.Add(-12 * time.Hour)
			end := tt.day.AddDate(0, 0, 1).Add(12 * time.Hour)
			d, sender := catchUpDaemon(t, tt.schedule, &now)
			for ; now.Before(end); now = now.Add(time.Minute) {
				d.sendDigests(context.Background(), "catch-up")
			}
			want := []string{
				tt.day.AddDate(0, 0, -1).Format(time.DateOnly), // due at start: the period before
				tt.day.Format(time.DateOnly),
				tt.day.AddDate(0, 0, 1).Format(time.DateOnly),
			}
			if got := sentPeriods(t, d, sender); !slices.Equal(got, want) {
				t.Errorf("periods sent: %v, want one each of %v", got, want)
			}
		})
	}
}

// TestCatchUpAfterDowntime: the daemon is down from 06:55 to 07:20, over
// the 07:00 send time; the first catch-up after the restart sends the day's
// digest, once.
func TestCatchUpAfterDowntime(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, ams)
	d, sender := catchUpDaemon(t, "0 7 * * *", &now)
	for ; now.Before(time.Date(2026, 11, 26, 6, 55, 0, 0, ams)); now = now.Add(time.Minute) {
		d.sendDigests(context.Background(), "catch-up")
	}
	before := len(sender.msgs) // yesterday's period, due at the first run
	restart := time.Date(2026, 11, 26, 7, 20, 0, 0, ams)
	for now = restart; now.Before(time.Date(2026, 11, 26, 9, 0, 0, 0, ams)); now = now.Add(time.Minute) {
		d.sendDigests(context.Background(), "catch-up")
	}
	if got := len(sender.msgs) - before; got != 1 {
		t.Fatalf("%d digests after the restart, want 1", got)
	}
	rec, err := d.store.Digest(context.Background(), "staff@example.org", "2026-11-26")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.DigestSent || !rec.SentAt.Equal(restart) {
		t.Errorf("today's digest: %s at %s, want sent at the restart, %s", rec.Status, rec.SentAt, restart)
	}
}
