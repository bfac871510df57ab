package digest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// serviceConfig is a two-outlet, two-topic, two-recipient setup sending
// through the SMTP server at port: a@ reads everything, b@ the MoI only.
const serviceConfig = `feeds:
  - id: cam
    name: CamboJA News
    url: https://cam.example/feed
    tags: [cambodia]
  - id: vod
    name: VOD
    url: https://vod.example/feed
    tags: [cambodia]
topics:
  - id: unions
    name: Cambodian unions
    rule: union OR សហជីព
  - id: moi
    name: Ministry of Interior
    rule: '"Ministry of Interior" OR ក្រសួងមហាផ្ទៃ'
digest:
  timezone: Europe/Amsterdam
  from: "civicwatch <digest@example.org>"
%s  recipients:
    - email: a@example.org
      name: Staff A
    - email: b@example.org
      topics: [moi]
smtp:
  host: 127.0.0.1
  port: %d
  tls: none
`

// day1 is 07:00 in Amsterdam on 25 November, the first send time.
var day1 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// rig is a store, a config, an SMTP server and a clock for one test.
type rig struct {
	t     *testing.T
	st    *store.Store
	cfg   *config.Config
	srv   *mailtest.Server
	clock time.Time
}

func newRig(t *testing.T, digestExtra string) *rig {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "civicwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, st: st, srv: mailtest.Start(t, nil)}
	r.configure(digestExtra)
	return r
}

// configure (re)loads the config, as an operator's edit would.
func (r *rig) configure(digestExtra string) {
	r.t.Helper()
	cfg, err := config.Parse(fmt.Appendf(nil, serviceConfig, digestExtra, r.srv.Port), "feeds.yaml", nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.cfg = cfg
}

// poll stores items as a poll of feedID at the given time would: matched
// with the config's rules and the feed's tags.
func (r *rig) poll(feedID string, at time.Time, items ...feed.Item) {
	r.t.Helper()
	var refs []store.FeedRef
	var tags []string
	for _, f := range r.cfg.Feeds {
		refs = append(refs, store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL})
		if f.ID == feedID {
			tags = f.Tags
		}
	}
	if err := r.st.SyncFeeds(r.t.Context(), refs, at); err != nil {
		r.t.Fatal(err)
	}
	rec := &store.Fetch{FeedID: feedID, StartedAt: at, Outcome: store.OutcomeOK, Items: items, RulesVersion: r.cfg.Rules.Version()}
	for i := range items {
		ms := store.ItemMatchStory(&items[i], tags)
		rec.Matches = append(rec.Matches, r.cfg.Rules.Match(&ms))
	}
	r.st.SetClock(func() time.Time { return at })
	if _, err := r.st.SaveFetches(r.t.Context(), []*store.Fetch{rec}); err != nil {
		r.t.Fatal(err)
	}
}

// service delivers one digest at a time, in config order, so that the
// server's queued faults meet the recipient a test expects.
func (r *rig) service() *Service {
	return &Service{Store: r.st, Config: r.cfg, Now: func() time.Time { return r.clock },
		Retry: Retry{Attempts: 3, Backoff: time.Millisecond, Sleep: noSleep}, Concurrency: 1}
}

// send runs the service at the given time.
func (r *rig) send(at time.Time) map[string]Result {
	r.t.Helper()
	r.clock = at
	results, err := r.service().Send(r.t.Context())
	if err != nil {
		r.t.Fatalf("Send at %v: %v", at, err)
	}
	out := map[string]Result{}
	for _, res := range results {
		out[res.Recipient] = res
	}
	return out
}

func (r *rig) ledger(recipient, period string) *store.DigestRecord {
	r.t.Helper()
	d, err := r.st.Digest(r.t.Context(), recipient, period)
	if err != nil || d == nil {
		r.t.Fatalf("ledger %s/%s: %+v, %v", recipient, period, d, err)
	}
	return d
}

func story(guid, title, summary string) feed.Item {
	return feed.Item{GUID: guid, URL: "https://news.example/" + guid, Title: title, Summary: summary, Lang: "en"}
}

// sameDigest fails unless every message holds the same bytes: whatever a
// retry does, a reader never gets two different digests for one period.
func sameDigest(t *testing.T, msgs []mailtest.Message) {
	t.Helper()
	for _, m := range msgs[1:] {
		if !bytes.Equal(m.Data, msgs[0].Data) {
			t.Error("two different messages went to one recipient for one period")
		}
	}
}

func TestCurrentPeriod(t *testing.T) {
	amsterdam, _ := time.LoadLocation("Europe/Amsterdam")
	pp, _ := time.LoadLocation("Asia/Phnom_Penh")
	tests := []struct {
		schedule string
		loc      *time.Location
		now      time.Time
		id       string
		at       time.Time
	}{
		{"0 7 * * *", amsterdam, time.Date(2026, 11, 26, 7, 0, 0, 0, amsterdam), "2026-11-26", time.Date(2026, 11, 26, 7, 0, 0, 0, amsterdam)},
		{"0 7 * * *", amsterdam, time.Date(2026, 11, 26, 7, 20, 0, 0, amsterdam), "2026-11-26", time.Date(2026, 11, 26, 7, 0, 0, 0, amsterdam)},
		{"0 7 * * *", amsterdam, time.Date(2026, 11, 26, 6, 59, 59, 0, amsterdam), "2026-11-25", time.Date(2026, 11, 25, 7, 0, 0, 0, amsterdam)},
		{"0 7 * * *", amsterdam, time.Date(2026, 11, 26, 23, 59, 0, 0, amsterdam), "2026-11-26", time.Date(2026, 11, 26, 7, 0, 0, 0, amsterdam)},
		// The local date, not the UTC one: 07:00 in Phnom Penh is midnight UTC.
		{"0 7 * * *", pp, time.Date(2026, 11, 26, 0, 30, 0, 0, time.UTC), "2026-11-26", time.Date(2026, 11, 26, 7, 0, 0, 0, pp)},
		{"0 7 * * *", pp, time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC), "2026-11-25", time.Date(2026, 11, 25, 7, 0, 0, 0, pp)},
		// Across the clock change: 07:00 is still 07:00 local.
		{"0 7 * * *", amsterdam, time.Date(2026, 3, 29, 8, 0, 0, 0, amsterdam), "2026-03-29", time.Date(2026, 3, 29, 7, 0, 0, 0, amsterdam)},
		{"0 7 * * *", amsterdam, time.Date(2026, 10, 25, 6, 30, 0, 0, amsterdam), "2026-10-24", time.Date(2026, 10, 24, 7, 0, 0, 0, amsterdam)},
		// Weekdays only: on Monday before 07:00 the latest is Friday's.
		{"0 7 * * 1-5", amsterdam, time.Date(2026, 11, 30, 6, 0, 0, 0, amsterdam), "2026-11-27", time.Date(2026, 11, 27, 7, 0, 0, 0, amsterdam)},
		// Midnight itself belongs to its day.
		{"0 0 * * *", time.UTC, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), "2026-11-26", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.schedule+" "+tt.now.Format(time.RFC3339), func(t *testing.T) {
			cfg, err := config.Parse([]byte(fmt.Sprintf("feeds: [{id: a, url: 'https://a.example/'}]\ndigest:\n  schedule: %q\n", tt.schedule)), "t", nil)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := CurrentPeriod(cfg.Digest.Cron, tt.loc, tt.now)
			if !ok || p.ID != tt.id || !p.At.Equal(tt.at) {
				t.Errorf("CurrentPeriod = %+v, %v; want %s at %v", p, ok, tt.id, tt.at)
			}
		})
	}
}

func TestFeedHealth(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	feeds := []config.Feed{
		{ID: "down", Name: "Down", Enabled: true}, {ID: "blip", Name: "Blip", Enabled: true},
		{ID: "gone", Name: "Gone", Enabled: true}, {ID: "hourly", Name: "Hourly", Enabled: true},
		{ID: "weekly", Name: "Weekly", Enabled: true}, {ID: "stale", Name: "Stale", Enabled: true},
		{ID: "off", Name: "Off", Enabled: false}, {ID: "fresh", Name: "Fresh", Enabled: true},
	}
	every := func(last time.Time, gap time.Duration, n int) []time.Time {
		var out []time.Time
		for i := n - 1; i >= 0; i-- {
			out = append(out, last.Add(-time.Duration(i)*gap))
		}
		return out
	}
	activity := []store.FeedActivity{
		{ID: "down", Failures: 9, FailingSince: now.Add(-50 * time.Hour), LastError: "HTTP 503\nService Unavailable"},
		{ID: "blip", Failures: 2, FailingSince: now.Add(-3 * time.Hour), LastError: "timeout"},
		{ID: "gone", Failures: 4, FailingSince: now.Add(-30 * time.Hour), Gone: true, LastError: "HTTP 410"},
		{ID: "hourly", NewStories: every(now.Add(-4*24*time.Hour), time.Hour, 21)},
		{ID: "weekly", NewStories: every(now.Add(-20*24*time.Hour), 7*24*time.Hour, 5)},
		{ID: "stale", NewStories: []time.Time{now.Add(-9 * 24 * time.Hour)}},
		{ID: "off", Failures: 9, FailingSince: now.Add(-90 * time.Hour)},
		{ID: "fresh", NewStories: every(now.Add(-time.Hour), 6*time.Hour, 10)},
		{ID: "removed", Failures: 9, FailingSince: now.Add(-90 * time.Hour)},
	}
	got := FeedHealth(feeds, activity, now, time.UTC)
	want := Sources{Enabled: 7,
		Failing: []FeedProblem{
			{Feed: "Down", Reason: "failing since 24 Nov 04:00 (9 attempts): HTTP 503 Service Unavailable"},
			{Feed: "Blip", Reason: "failing since 26 Nov 03:00 (2 attempts): timeout"},
			{Feed: "Gone", Reason: "gone since 25 Nov 00:00 (HTTP 410 Gone): its address needs fixing"},
		},
		Silent: []FeedProblem{
			{Feed: "Hourly", Reason: "for 4 days (usually every 60 minutes)"},
			{Feed: "Stale", Reason: "for 9 days"},
		},
	}
	if got.Enabled != want.Enabled || !slices.Equal(got.Failing, want.Failing) || !slices.Equal(got.Silent, want.Silent) {
		t.Errorf("FeedHealth\n got: %+v\nwant: %+v", got, want)
	}
	if s := got.Summary(); s != "3 of 7 feeds failing" {
		t.Errorf("summary %q", s)
	}
	if s := (Sources{Enabled: 1}).Summary(); s != "none of 1 feed failing" {
		t.Errorf("summary %q", s)
	}
}

func TestSendRetriesAndRecordsOnce(t *testing.T) {
	cases := []struct {
		name     string
		faults   []string
		attempts int
		copies   int
	}{
		{"451 at RCPT", []string{"rcpt:451"}, 2, 1},
		{"421 at DATA", []string{"data:421"}, 2, 1},
		{"dropped after the final dot", []string{"data:drop"}, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, "")
			r.poll("cam", day1.Add(-2*time.Hour), story("u1", "Union leader arrested", "Police held the union leader."),
				story("m1", "Ministry of Interior warns NGO", "The Ministry of Interior sent a letter."))
			r.srv.Fault(c.faults...)
			res := r.send(day1.Add(time.Minute))
			a, b := res["a@example.org"], res["b@example.org"]
			if a.Outcome != OutcomeSent || a.Attempts != c.attempts || b.Outcome != OutcomeSent || b.Attempts != 1 {
				t.Fatalf("results a=%+v b=%+v", a, b)
			}
			if d := r.ledger("a@example.org", "2026-11-25"); d.Status != store.DigestSent || d.Attempts != c.attempts {
				t.Errorf("ledger %s after %d attempts", d.Status, d.Attempts)
			}
			got := r.srv.To("a@example.org")
			if len(got) != c.copies {
				t.Fatalf("a@ got %d copies, want %d", len(got), c.copies)
			}
			sameDigest(t, got)
			m := mailtest.Parse(t, got[0].Data)
			if m.Header.Get("Message-Id") != "<"+MessageID("a@example.org", "2026-11-25", "digest@example.org")+">" {
				t.Errorf("Message-ID %s", m.Header.Get("Message-Id"))
			}
			// The same period again sends nothing.
			res = r.send(day1.Add(2 * time.Hour))
			if res["a@example.org"].Outcome != OutcomeAlreadySent || res["b@example.org"].Outcome != OutcomeAlreadySent {
				t.Errorf("second run: %+v", res)
			}
			if n := len(r.srv.Messages()); n != c.copies+1 {
				t.Errorf("server holds %d messages after the second run, want %d", n, c.copies+1)
			}
		})
	}
}

func TestPermanentFailureIsRecordedAndOthersServed(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-2*time.Hour), story("m1", "Ministry of Interior warns NGO", ""))
	r.srv.Reject("a@example.org")
	res := r.send(day1)
	if a := res["a@example.org"]; a.Outcome != OutcomeFailed || a.Attempts != 1 || !strings.Contains(a.Err.Error(), "550") {
		t.Errorf("a@: %+v", a)
	}
	if b := res["b@example.org"]; b.Outcome != OutcomeSent {
		t.Errorf("b@ was not served: %+v", b)
	}
	if d := r.ledger("a@example.org", "2026-11-25"); d.Status != store.DigestFailed || !strings.Contains(d.LastError, "550") {
		t.Errorf("ledger: %s %q", d.Status, d.LastError)
	}
	// Not retried within the period; the next digest carries its stories.
	if a := r.send(day1.Add(time.Hour))["a@example.org"]; a.Outcome != OutcomeFailed || a.Attempts != 0 {
		t.Errorf("second run retried a refused digest: %+v", a)
	}
	r.srv = mailtest.Start(t, nil)
	r.configure("")
	a := r.send(day1.Add(24 * time.Hour))["a@example.org"]
	if a.Outcome != OutcomeSent || a.Stories != 1 {
		t.Errorf("next period: %+v, want the refused digest's story in it", a)
	}
}

func TestServerDownLeavesPendingAndResendsTheStoredMessage(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-2*time.Hour), story("u1", "Union leader arrested", ""))
	r.srv.SetDown(true)
	res := r.send(day1.Add(time.Minute))
	a := res["a@example.org"]
	if a.Outcome != OutcomePending || a.Attempts != 3 || a.Err == nil {
		t.Fatalf("server down: %+v", a)
	}
	stored := r.ledger("a@example.org", "2026-11-25")
	if stored.Status != store.DigestPending || stored.Attempts != 3 || stored.LastError == "" {
		t.Fatalf("ledger: %+v", stored)
	}

	// Meanwhile more news arrives and the operator changes the subject: the
	// stored digest is sent as it was built all the same.
	r.poll("cam", day1.Add(-time.Hour), story("u2", "Second union story", ""))
	r.configure("  subject: \"changed {{.Total}}\"\n")
	r.srv.SetDown(false)
	res = r.send(day1.Add(30 * time.Minute))
	if a := res["a@example.org"]; a.Outcome != OutcomeSent || !a.Resent || a.Attempts != 1 {
		t.Fatalf("server back: %+v", a)
	}
	got := r.srv.To("a@example.org")
	if len(got) != 1 {
		t.Fatalf("a@ got %d messages", len(got))
	}
	m := mailtest.Parse(t, got[0].Data)
	if m.Header.Get("Message-Id") != "<"+stored.MessageID+">" || m.Subject() != stored.Subject || strings.HasPrefix(m.Subject(), "changed") {
		t.Errorf("resent %s %q, want the stored %s %q", m.Header.Get("Message-Id"), m.Subject(), stored.MessageID, stored.Subject)
	}
	if text := strings.ReplaceAll(m.Part("text/plain"), "\r\n", "\n"); text != stored.Text || strings.Contains(text, "Second union story") {
		t.Error("the resent text is not the stored one")
	}
	if d := r.ledger("a@example.org", "2026-11-25"); d.Status != store.DigestSent || d.Attempts != 4 {
		t.Errorf("ledger after the resend: %s, %d attempts", d.Status, d.Attempts)
	}
}

func TestDowntimeSendsTheMissedDigestOnce(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-3*time.Hour), story("old", "Union story of the first digest", ""))
	if a := r.send(day1)["a@example.org"]; a.Outcome != OutcomeSent || a.Stories != 1 {
		t.Fatalf("first digest: %+v", a)
	}
	// The daemon goes down after the first digest; polling went on for a
	// while (another process), so stories arrived during the gap.
	r.poll("cam", day1.Add(time.Minute), story("gap1", "Union story in the gap", ""))
	r.poll("vod", day1.Add(20*time.Hour), story("gap2", "Ministry of Interior story in the gap", ""))
	day2 := day1.Add(24 * time.Hour)
	r.poll("cam", day2.Add(10*time.Minute), story("after", "Union story after the send time", ""))

	// It is back at 07:20, twenty minutes after the send time: the digest
	// covers everything first seen up to now, the story of 07:10 included.
	res := r.send(day2.Add(20 * time.Minute))
	a := res["a@example.org"]
	if a.Outcome != OutcomeSent || a.Period.ID != "2026-11-26" || a.Stories != 3 {
		t.Fatalf("missed digest: %+v", a)
	}
	text := mailtest.Parse(t, r.srv.To("a@example.org")[1].Data).Part("text/plain")
	for _, want := range []string{"Union story in the gap", "Ministry of Interior story in the gap", "Union story after the send time"} {
		if strings.Count(text, want) != 1 {
			t.Errorf("the missed digest shows %q %d times", want, strings.Count(text, want))
		}
	}
	if strings.Contains(text, "Union story of the first digest") {
		t.Error("the missed digest repeats the first digest's story")
	}
	if d := r.ledger("a@example.org", "2026-11-26"); !d.WindowStart.Equal(day1) || !d.WindowEnd.Equal(day2.Add(20*time.Minute)) {
		t.Errorf("window %v – %v, want %v – %v", d.WindowStart, d.WindowEnd, day1, day2.Add(20*time.Minute))
	}
	// Later that morning: nothing more.
	if a := r.send(day2.Add(3 * time.Hour))["a@example.org"]; a.Outcome != OutcomeAlreadySent {
		t.Errorf("second run: %+v", a)
	}
	if n := len(r.srv.To("a@example.org")); n != 2 {
		t.Errorf("a@ got %d digests, want 2", n)
	}

	// Down for two whole days: one digest, for the latest period, covering
	// both, starting where the late digest ended.
	day4 := day2.Add(48 * time.Hour)
	r.poll("cam", day2.Add(5*time.Hour), story("d3", "Union story on day three", ""))
	a = r.send(day4.Add(5 * time.Hour))["a@example.org"]
	if a.Outcome != OutcomeSent || a.Period.ID != "2026-11-28" || a.Stories != 1 {
		t.Errorf("after two missed days: %+v, want the 28th with one story", a)
	}
}

func TestEmptyDigests(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-time.Hour), story("u1", "Union story", "")) // a@ only: b@ reads the MoI
	res := r.send(day1)
	if b := res["b@example.org"]; b.Outcome != OutcomeSent || b.Stories != 0 {
		t.Fatalf("send_empty: %+v", b)
	}
	if text := mailtest.Parse(t, r.srv.To("b@example.org")[0].Data).Part("text/plain"); !strings.Contains(text, "Nothing matched") {
		t.Errorf("empty digest:\n%s", text)
	}

	r.configure("  send_empty: false\n")
	res = r.send(day1.Add(24 * time.Hour))
	if b := res["b@example.org"]; b.Outcome != OutcomeSkipped {
		t.Errorf("send_empty false: %+v", b)
	}
	if d, _ := r.st.Digest(t.Context(), "b@example.org", "2026-11-26"); d != nil {
		t.Errorf("a skipped digest was recorded: %+v", d)
	}
}

func TestDryRunRecordsNothing(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-time.Hour), story("u1", "Union story", ""))
	r.clock = day1
	results, err := r.service().DryRun(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Outcome != OutcomeWouldSend || results[0].Message == nil || results[0].Stories != 1 {
		t.Fatalf("dry run: %+v", results)
	}
	if list, _ := r.st.RecentDigests(t.Context(), 0); len(list) != 0 || len(r.srv.Messages()) != 0 {
		t.Errorf("a dry run recorded %d digests and sent %d messages", len(list), len(r.srv.Messages()))
	}
}

func TestMissingPasswordStopsTheRun(t *testing.T) {
	r := newRig(t, "")
	cfg := *r.cfg
	smtp := *cfg.SMTP
	smtp.Username, smtp.PasswordEnv = "digest", "CW_TEST_SMTP_PASSWORD"
	cfg.SMTP = &smtp
	r.cfg = &cfg
	svc := r.service()
	svc.LookupEnv = func(string) (string, bool) { return "", false }
	r.clock = day1
	_, err := svc.Send(t.Context())
	if err == nil || !strings.Contains(err.Error(), "CW_TEST_SMTP_PASSWORD is not set") {
		t.Errorf("Send = %v, want an error naming the variable", err)
	}
	if list, _ := r.st.RecentDigests(t.Context(), 0); len(list) != 0 {
		t.Errorf("%d digests recorded without a way to send them", len(list))
	}
}

func TestNoRecipients(t *testing.T) {
	cfg, err := config.Parse([]byte("feeds: [{id: a, url: 'https://a.example/'}]\n"), "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Service{Config: cfg}).Send(t.Context()); !errors.Is(err, ErrNoRecipients) {
		t.Errorf("Send without a digest section = %v", err)
	}
}

// senderFunc is a Sender made of a function.
type senderFunc func(ctx context.Context, m *Message) error

func (f senderFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

// A run stopped mid-send leaves the digest pending, never failed, whatever
// error the stopped conversation ends with: stopping is no verdict on the
// address.
func TestStoppedRunStaysPending(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-time.Hour), story("u1", "Union story", ""))
	ctx, cancel := context.WithCancel(t.Context())
	r.clock = day1
	svc := r.service()
	svc.Retry = DefaultRetry
	svc.Sender = senderFunc(func(ctx context.Context, m *Message) error {
		cancel() // SIGTERM arrives mid-conversation
		<-ctx.Done()
		return &DeliveryError{Err: fmt.Errorf("smtp: %w", ctx.Err())}
	})
	results, err := svc.Send(ctx)
	if !errors.Is(err, context.Canceled) || len(results) != 2 || results[0].Outcome != OutcomePending || results[1].Outcome != OutcomePending {
		t.Fatalf("stopped run: %+v, %v; want both pending and the run stopped", results, err)
	}
	if d := r.ledger("a@example.org", "2026-11-25"); d.Status != store.DigestPending || d.Attempts != 1 {
		t.Errorf("ledger %s after %d attempts", d.Status, d.Attempts)
	}
	// b@'s turn never came: pending, not attempted, and saying so.
	if d := r.ledger("b@example.org", "2026-11-25"); d.Status != store.DigestPending || d.Attempts != 0 || !strings.Contains(d.LastError, "not attempted") {
		t.Errorf("b@: ledger %s after %d attempts, %q", d.Status, d.Attempts, d.LastError)
	}
}

// TestDigestNamesTheCreditedOutlet: a story an aggregator carried names the
// outlet it credits before the feed that carried it, since "which outlet"
// is what a reader asks and the aggregator's own name does not answer it.
func TestDigestNamesTheCreditedOutlet(t *testing.T) {
	r := newRig(t, "")
	credited := story("g1", "Union leader arrested in Kandal", "Police held the union leader.")
	credited.Credited = "Radio Free Asia"
	r.poll("vod", day1.Add(-2*time.Hour), credited, story("u2", "Union strike enters second week", "Workers at a union ..."))
	r.send(day1.Add(time.Minute))
	text := mailtest.Parse(t, r.srv.To("a@example.org")[0].Data).Part("text/plain")
	if !strings.Contains(text, "Radio Free Asia, VOD") {
		t.Errorf("the credited outlet is not named before the feed:\n%s", text)
	}
	if strings.Count(text, "Radio Free Asia") != 1 {
		t.Errorf("the credited outlet is named %d times:\n%s", strings.Count(text, "Radio Free Asia"), text)
	}
}

// TestAggregatorResultJoinsTheOutletsOwnStory: a Google News result and
// the outlet's own item for the same news have different addresses, so
// they are two stories; with the outlet's name taken off the result's
// headline (feed.Parse) the digest sees one headline and lists it once.
func TestAggregatorResultJoinsTheOutletsOwnStory(t *testing.T) {
	r := newRig(t, "")
	const headline = "Union leader arrested in Kandal province"
	rss := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Search</title>
<item><title>` + headline + ` - CamboJA News</title><link>https://news.example/articles/1</link>
<description>&lt;a href="https://news.example/articles/1"&gt;` + headline + `&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font&gt;CamboJA News&lt;/font&gt;</description>
<source url="https://cam.example">CamboJA News</source></item></channel></rss>`
	parsed, err := feed.Parse([]byte(rss), "application/rss+xml", "https://news.example/rss")
	if err != nil {
		t.Fatal(err)
	}
	r.poll("cam", day1.Add(-3*time.Hour), story("own", headline, "Police held the union leader on Monday."))
	r.poll("vod", day1.Add(-2*time.Hour), parsed.Items...)
	r.send(day1.Add(time.Minute))
	text := mailtest.Parse(t, r.srv.To("a@example.org")[0].Data).Part("text/plain")
	if n := strings.Count(text, headline); n != 1 {
		t.Errorf("the headline is listed %d times, want once:\n%s", n, text)
	}
}
