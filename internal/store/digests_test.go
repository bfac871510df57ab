package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
)

func pendingDigest(recipient, period string, end time.Time, subject string) DigestRecord {
	return DigestRecord{Recipient: recipient, Period: period, WindowStart: end.Add(-24 * time.Hour), WindowEnd: end,
		MessageID: "digest." + period + "@example.org", From: "d@example.org", To: recipient, ToName: "Staff", Subject: subject,
		Date: end.Add(time.Minute), Text: "text " + subject, HTML: "<p>" + subject, StoryIDs: []int64{3, 1}, CreatedAt: end}
}

func TestDigestLedger(t *testing.T) {
	s, _ := openTest(t)
	ctx := t.Context()
	day1 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)

	if start, err := s.DigestWindowStart(ctx, "staff@example.org"); err != nil || !start.IsZero() {
		t.Fatalf("before any digest: %v, %v", start, err)
	}
	if d, err := s.Digest(ctx, "staff@example.org", "2026-11-25"); d != nil || err != nil {
		t.Fatalf("Digest of an unbuilt period = %+v, %v", d, err)
	}

	// Built once: a second build of the same period gets the first one back.
	first, created, err := s.CreateDigest(ctx, pendingDigest("Staff@Example.org", "2026-11-25", day1, "first"))
	if err != nil || !created || first.Status != DigestPending || first.Recipient != "staff@example.org" {
		t.Fatalf("CreateDigest = %+v, %v, %v", first, created, err)
	}
	again, created, err := s.CreateDigest(ctx, pendingDigest("staff@example.org", "2026-11-25", day1, "second"))
	if err != nil || created || again.Subject != "first" || again.Text != "text first" {
		t.Fatalf("second CreateDigest = %+v, %v, %v; want the first row back", again, created, err)
	}
	want := pendingDigest("staff@example.org", "2026-11-25", day1, "first")
	want.Status, want.To = DigestPending, "Staff@Example.org"

	if !reflect.DeepEqual(*again, want) {
		t.Errorf("stored row\n got: %+v\nwant: %+v", *again, want)
	}

	// A temporary failure keeps it pending; then it goes through.
	if err := s.DigestFailed(ctx, "staff@example.org", "2026-11-25", 3, "temporary failure (451)", false); err != nil {
		t.Fatal(err)
	}
	// Nothing sent yet: the next digest would start where this one does.
	if start, _ := s.DigestWindowStart(ctx, "staff@example.org"); !start.Equal(day1.Add(-24 * time.Hour)) {
		t.Errorf("window start before any was sent %v, want the first digest's", start)
	}
	d, _ := s.Digest(ctx, "staff@example.org", "2026-11-25")
	if d.Status != DigestPending || d.Attempts != 3 || d.LastError != "temporary failure (451)" {
		t.Errorf("after a temporary failure: %+v", d)
	}
	sentAt := day1.Add(10 * time.Minute)
	if err := s.DigestSent(ctx, "staff@example.org", "2026-11-25", 1, sentAt); err != nil {
		t.Fatal(err)
	}
	d, _ = s.Digest(ctx, "staff@example.org", "2026-11-25")
	if d.Status != DigestSent || d.Attempts != 4 || d.LastError != "" || !d.SentAt.Equal(sentAt) {
		t.Errorf("after sending: %+v", d)
	}
	if start, _ := s.DigestWindowStart(ctx, "STAFF@example.org"); !start.Equal(day1) {
		t.Errorf("next window start %v, want the sent one's end %v", start, day1)
	}
	// A sent digest stays sent.
	if err := s.DigestFailed(ctx, "staff@example.org", "2026-11-25", 1, "late", true); !errors.Is(err, ErrNoDigest) {
		t.Errorf("failing a sent digest: %v, want ErrNoDigest", err)
	}

	// A permanent failure is final, and does not move the next window.
	s.CreateDigest(ctx, pendingDigest("staff@example.org", "2026-11-26", day2, "day 2"))
	if err := s.DigestFailed(ctx, "staff@example.org", "2026-11-26", 1, "permanent failure (550)", true); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Digest(ctx, "staff@example.org", "2026-11-26"); d.Status != DigestFailed || d.Attempts != 1 {
		t.Errorf("after a permanent failure: %+v", d)
	}
	if start, _ := s.DigestWindowStart(ctx, "staff@example.org"); !start.Equal(day1) {
		t.Errorf("a failed digest moved the window to %v", start)
	}

	// A digest left pending is superseded by the next period's, which
	// carries its stories.
	s.CreateDigest(ctx, pendingDigest("other@example.org", "2026-11-25", day1, "o1"))
	s.CreateDigest(ctx, pendingDigest("other@example.org", "2026-11-26", day2, "o2"))
	o1, _ := s.Digest(ctx, "other@example.org", "2026-11-25")
	o2, _ := s.Digest(ctx, "other@example.org", "2026-11-26")
	if o1.Status != DigestFailed || o1.LastError == "" || o2.Status != DigestPending {
		t.Errorf("superseding: %s %q, %s", o1.Status, o1.LastError, o2.Status)
	}

	list, err := s.RecentDigests(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.Period+" "+d.Recipient+" "+string(d.Status))
		if d.Text != "" || d.HTML != "" {
			t.Error("the listing carries message bodies")
		}
	}
	if want := []string{"2026-11-26 other@example.org pending", "2026-11-26 staff@example.org failed", "2026-11-25 other@example.org failed"}; !slices.Equal(got, want) {
		t.Errorf("RecentDigests = %q, want %q", got, want)
	}
}

func TestDigestStories(t *testing.T) {
	s, _ := openTest(t)
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	item := func(guid, title string) feed.Item {
		return feed.Item{GUID: guid, URL: "https://news.example/" + guid, Title: title, Summary: "summary of " + title, Lang: "km"}
	}
	// Before the window, at its start, inside, at its end: only the middle two count.
	saveMatched(t, s, "a", "v1", start.Add(-time.Second), []feed.Item{item("early", "union early")}, results("unions"))
	saveMatched(t, s, "a", "v1", start, []feed.Item{item("shared", "union shared"), item("plain", "nothing here")},
		results("unions", "moi"), nil)
	saveMatched(t, s, "b", "v1", start.Add(time.Hour), []feed.Item{item("shared", "union shared, as b titles it"), item("b1", "moi b1")},
		nil, results("moi"))
	saveMatched(t, s, "a", "v1", end, []feed.Item{item("late", "union late")}, results("unions"))

	got, err := s.DigestStories(t.Context(), start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d stories, want 2: %+v", len(got), got)
	}
	shared, b1 := got[0], got[1]
	if shared.Title != "union shared" || !shared.FirstSeenAt.Equal(start) || shared.Lang != "km" || shared.Summary != "summary of union shared" {
		t.Errorf("first story %+v", shared)
	}
	if want := []FeedRef{{ID: "a", Name: "a"}, {ID: "b", Name: "b"}}; !reflect.DeepEqual(shared.Feeds, want) {
		t.Errorf("shared story's feeds %+v, want %+v (first sighting first)", shared.Feeds, want)
	}
	wantHits := map[string][]match.Hit{"unions": results("unions")[0].Hits, "moi": results("moi")[0].Hits}
	if !reflect.DeepEqual(shared.Matches, wantHits) {
		t.Errorf("matches %+v, want %+v", shared.Matches, wantHits)
	}
	if b1.Title != "moi b1" || len(b1.Feeds) != 1 || b1.URL != "https://news.example/b1" {
		t.Errorf("second story %+v", b1)
	}
}

func TestFeedActivity(t *testing.T) {
	s, _ := openTest(t)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	// ok: three polls with new items, one with none.
	saveItems(t, s, "ok", t0, feed.Item{GUID: "1", Title: "one"}, feed.Item{GUID: "2", Title: "two"})
	saveItems(t, s, "ok", t0.Add(6*time.Hour), feed.Item{GUID: "3", Title: "three"})
	saveItems(t, s, "ok", t0.Add(9*time.Hour), feed.Item{GUID: "3", Title: "three"})
	saveItems(t, s, "ok", t0.Add(12*time.Hour), feed.Item{GUID: "4", Title: "four"})
	// down: a success, then three failures from t0+1h.
	saveItems(t, s, "down", t0, feed.Item{GUID: "d", Title: "d"})
	for i := 1; i <= 3; i++ {
		_, err := s.SaveFetches(ctx, []*Fetch{{FeedID: "down", StartedAt: t0.Add(time.Duration(i) * time.Hour), Outcome: OutcomeError, Error: "HTTP 503"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FeedActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []FeedActivity{
		{ID: "down", Name: "down", Failures: 3, FailingSince: t0.Add(time.Hour), LastError: "HTTP 503", NewStories: []time.Time{t0}},
		{ID: "ok", Name: "ok", NewStories: []time.Time{t0, t0.Add(6 * time.Hour), t0.Add(12 * time.Hour)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FeedActivity\n got: %+v\nwant: %+v", got, want)
	}
}

// TestDigestWaitsForWritesInFlight: a poll that stamped a story before the
// window's end but has not committed yet must not be missed by the digest.
// Two handles on one file stand for the poller and the digest.
func TestDigestWaitsForWritesInFlight(t *testing.T) {
	poller, path := openTest(t)
	digester, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer digester.Close()
	end := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	seen := fmtTime(end.Add(-time.Second))
	if err := poller.SyncFeeds(t.Context(), []FeedRef{{ID: "f", Name: "F", URL: "https://f.example/feed"}}, end); err != nil {
		t.Fatal(err)
	}
	tx, err := poller.write.BeginTx(t.Context(), nil) // a write in flight, holding the lock
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO stories (id, url, title, hash, published_at, first_seen_at, updated_at) VALUES (1, 'https://f.example/1', 'Union leader arrested', 'h', ?1, ?1, ?1)`,
		`INSERT INTO sightings (feed_id, item_key, story_id, first_seen_at) VALUES ('f', 'k1', 1, ?1)`,
		`INSERT INTO matches (story_id, topic, hits, rules_version, matched_at) VALUES (1, 'unions', '[]', 'v1', ?1)`,
	} {
		if _, err := tx.Exec(q, seen); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan []DigestStory, 1)
	go func() {
		stories, err := digester.DigestStories(context.Background(), end.Add(-24*time.Hour), end)
		if err != nil {
			t.Error(err)
		}
		got <- stories
	}()
	select {
	case s := <-got:
		t.Fatalf("the digest read %d stories while a write was in flight; it must wait for it", len(s))
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; len(s) != 1 {
		t.Fatalf("after the write committed the digest found %d stories, want the one stamped before the window's end", len(s))
	}
}
