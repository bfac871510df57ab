package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "civicwatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenMigratesOnceAndRecordsVersion(t *testing.T) {
	s, path := openTest(t)
	v, err := s.SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("schema version %d, %v; want ≥ 1", v, err)
	}
	s.Close()
	// Opening again applies nothing new and keeps the version.
	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var rows int
	if err := s2.read.QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id = ?`, v).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("version %d recorded %d times (%v), want once", v, rows, err)
	}
	for _, pragma := range []struct{ name, want string }{{"journal_mode", "wal"}, {"foreign_keys", "1"}} {
		var got string
		if err := s2.write.QueryRow("PRAGMA " + pragma.name).Scan(&got); err != nil || got != pragma.want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma.name, got, err, pragma.want)
		}
	}
}

func TestOpenRefusesNewerDatabase(t *testing.T) {
	s, path := openTest(t)
	if _, err := s.write.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(t.Context(), path)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer database: %v, want ErrTooNew", err)
	}
	t.Log(err)
}

func saveItems(t *testing.T, s *Store, feedID string, at time.Time, items ...feed.Item) Counts {
	t.Helper()
	if err := s.SyncFeeds(t.Context(), []FeedRef{{ID: feedID, Name: feedID, URL: "https://" + feedID + ".example/feed"}}, at); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return at }) // stories are stamped when written
	c, err := s.SaveFetches(t.Context(), []*Fetch{{FeedID: feedID, StartedAt: at, Outcome: OutcomeOK, Items: items}})
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}

func TestPublishedFallsBackToFirstSeen(t *testing.T) {
	s, _ := openTest(t)
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	past := now.Add(-48 * time.Hour)
	saveItems(t, s, "f", now,
		feed.Item{GUID: "a", URL: "https://f.example/a", Title: "dated", Published: past},
		feed.Item{GUID: "b", URL: "https://f.example/b", Title: "undated"},
		feed.Item{GUID: "c", URL: "https://f.example/c", Title: "future", Published: now.Add(72 * time.Hour)},
	)
	stories, err := s.Stories(t.Context(), StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"dated": past, "undated": now, "future": now}
	for _, st := range stories {
		if !st.PublishedAt.Equal(want[st.Title]) || !st.FirstSeenAt.Equal(now) {
			t.Errorf("%s: published %v, first seen %v; want %v and %v", st.Title, st.PublishedAt, st.FirstSeenAt, want[st.Title], now)
		}
	}
}

func TestItemsWithoutGUIDOrLink(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	it := feed.Item{Title: "Untitled bulletin", Summary: "No link, no guid"}
	if c := saveItems(t, s, "f", now, it); c.New != 1 {
		t.Fatalf("first save: %+v, want 1 new", c)
	}
	if c := saveItems(t, s, "f", now.Add(time.Hour), it); c.New != 0 || c.Updated != 0 {
		t.Errorf("repeat of a linkless item: %+v, want nothing new", c)
	}
	other := feed.Item{Title: "Another bulletin"}
	if c := saveItems(t, s, "f", now.Add(time.Hour), other); c.New != 1 {
		t.Errorf("a second linkless item: %+v, want 1 new (NULL urls must not collide)", c)
	}
}

func TestSearchFindsKhmerSubstrings(t *testing.T) {
	s, _ := openTest(t)
	saveItems(t, s, "km", time.Now(),
		feed.Item{GUID: "1", URL: "https://km.example/1", Title: "ក្រសួង\u200bការងារ កោះហៅ\u200bមេដឹកនាំ\u200bសហជីព"},
		feed.Item{GUID: "2", URL: "https://km.example/2", Title: "Garment workers strike", Content: "The union said pay was late."},
		feed.Item{GUID: "3", URL: "https://km.example/3", Title: "Flood relief", Content: "Rice was handed out."},
	)
	cases := []struct {
		q    string
		want int
	}{
		{"សហជីព", 1}, // inside a run of Khmer with no space before it
		{"ការងារ", 1},
		{"union", 1},  // in the text
		{"STRIKE", 1}, // case-insensitive
		{"ministry", 0},
		{"union late", 1}, // every word, anywhere
		{"union flood", 0},
		{"100%", 0}, // wildcards are not wildcards
		{"OR", 1},   // words, not operators: "Workers" in story 2
	}
	for _, c := range cases {
		ids, err := s.Search(t.Context(), c.q, 10)
		if err != nil {
			t.Errorf("Search(%q): %v", c.q, err)
			continue
		}
		if len(ids) != c.want {
			t.Errorf("Search(%q) = %v, want %d hit(s)", c.q, ids, c.want)
		}
	}
	// The index follows edits.
	saveItems(t, s, "km", time.Now(), feed.Item{GUID: "3", URL: "https://km.example/3", Title: "Flood relief", Content: "Union members handed out rice."})
	if ids, _ := s.Search(t.Context(), "union members", 10); len(ids) != 1 {
		t.Errorf("after an edit, search found %v, want the edited story", ids)
	}
}

func TestURLChangeResetsFeedState(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	ref := FeedRef{ID: "f", Name: "F", URL: "https://old.example/feed"}
	if err := s.SyncFeeds(t.Context(), []FeedRef{ref}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveFetches(t.Context(), []*Fetch{{FeedID: "f", StartedAt: now, Outcome: OutcomeGone, Status: 410,
		Error: "HTTP 410 Gone", NextDue: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	st, _ := s.FeedStates(t.Context())
	if !st["f"].Gone() || st["f"].Failures != 1 {
		t.Fatalf("after 410: %+v, want gone with one failure", st["f"])
	}
	ref.URL = "https://new.example/feed"
	if err := s.SyncFeeds(t.Context(), []FeedRef{ref}, now); err != nil {
		t.Fatal(err)
	}
	st, _ = s.FeedStates(t.Context())
	if f := st["f"]; f.Gone() || f.Failures != 0 || !f.NextDue.IsZero() || f.URL != ref.URL {
		t.Errorf("after a URL change: %+v, want a fresh, due feed", f)
	}
}

func TestIndexStaysConsistent(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	// One fetch lists an item twice with different text, beside a plain one.
	saveItems(t, s, "f", now,
		feed.Item{GUID: "dup", URL: "https://f.example/dup", Title: "First version", Content: "alpha text"},
		feed.Item{GUID: "dup", URL: "https://f.example/dup", Title: "Second version", Content: "beta text"},
		feed.Item{GUID: "x", URL: "https://f.example/x", Title: "Other", Content: "gamma text"},
	)
	// A later fetch edits an indexed story.
	saveItems(t, s, "f", now.Add(time.Hour), feed.Item{GUID: "x", URL: "https://f.example/x", Title: "Other, edited", Content: "delta text"})
	if res, err := s.IntegrityCheck(t.Context()); err != nil || res != "ok" {
		t.Fatalf("integrity check: %q, %v", res, err)
	}
	for q, want := range map[string]int{"alpha": 1, "beta": 0, "gamma": 0, "delta": 1, "edited": 1} {
		if ids, err := s.Search(t.Context(), q, 10); err != nil || len(ids) != want {
			t.Errorf("Search(%q) = %v, %v; want %d hit(s)", q, ids, err, want)
		}
	}
	// The check can fail: break the index behind FTS5's back.
	if _, err := s.write.Exec(`UPDATE stories SET text = 'changed without the index knowing' WHERE 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(`DELETE FROM stories_fts_data WHERE id > 10`); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.IntegrityCheck(t.Context()); res == "ok" {
		t.Error("integrity check passed on a damaged index")
	}
}
