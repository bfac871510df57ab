package store

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pressly/goose/v3"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/migrations"
)

// TestCutIsStored: an item the feed package cut keeps the flag in the
// database, and an edit that brings it back under the bounds clears it.
func TestCutIsStored(t *testing.T) {
	st, err := Open(t.Context(), filepath.Join(t.TempDir(), "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	if err := st.SyncFeeds(t.Context(), []FeedRef{{ID: "a", Name: "A", URL: "https://a.example/"}}, now); err != nil {
		t.Fatal(err)
	}
	save := func(it feed.Item) {
		t.Helper()
		if _, err := st.SaveFetches(t.Context(), []*Fetch{{FeedID: "a", StartedAt: now, Outcome: OutcomeOK, Status: 200,
			NextDue: now.Add(time.Hour), Items: []feed.Item{it}}}); err != nil {
			t.Fatal(err)
		}
	}
	save(feed.Item{GUID: "1", URL: "https://a.example/1", Title: "Long" + feed.CutMark, Cut: true})
	got, err := st.Stories(t.Context(), StoryQuery{})
	if err != nil || len(got) != 1 || !got[0].Cut {
		t.Fatalf("stories %+v, %v; want one, cut", got, err)
	}
	if s, err := st.Story(t.Context(), got[0].ID); err != nil || !s.Cut {
		t.Errorf("Story: %+v, %v; want cut", s, err)
	}
	save(feed.Item{GUID: "1", URL: "https://a.example/1", Title: "Short now"})
	if s, err := st.Story(t.Context(), got[0].ID); err != nil || s.Cut || s.Title != "Short now" {
		t.Errorf("after an edit under the bounds: %+v, %v; want not cut", s, err)
	}
}

// TestMigrationCutsOldStories builds a database as version 6 left it, with
// a story stored before the bounds (a 5,000-character title, 300 KiB of
// Khmer text, an over-long author), and opens it: migration 7 cuts the
// fields as normalisation now does, flags the story, clears its
// rules_version for rematch, and keeps the full-text index consistent.
func TestMigrationCutsOldStories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cw.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 6); err != nil {
		t.Fatal(err)
	}
	title := strings.Repeat("Ministry of Labour ", 5000/19+1)
	text := strings.Repeat("ក្រសួងការងារ ", 300<<10/len("ក្រសួងការងារ ")+1)
	for _, q := range []string{
		`INSERT INTO stories (url, title, summary, text, author, lang, hash, published_at, first_seen_at, updated_at, rules_version)
         VALUES ('https://a.example/old', ?1, 'short', ?2, ?3, 'km', 'h', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'v1')`,
		`INSERT INTO stories (url, title, summary, text, author, lang, hash, published_at, first_seen_at, updated_at, rules_version)
         VALUES ('https://a.example/ok', 'Fine', 'short', 'text', 'me', 'en', 'h2', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'v1')`,
		`INSERT INTO stories_fts (rowid, title, text) SELECT id, title, text FROM stories_search`,
	} {
		if _, err := db.Exec(q, title, text, strings.Repeat("Author ", 100)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Stories(t.Context(), StoryQuery{})
	if err != nil || len(got) != 2 {
		t.Fatalf("stories: %d, %v", len(got), err)
	}
	old, fine := got[0], got[1]
	if !old.Cut || old.RulesVersion != "" {
		t.Errorf("old story: cut %v, rules_version %q; want cut and no rules version", old.Cut, old.RulesVersion)
	}
	if n := utf8.RuneCountInString(old.Title); n > feed.MaxTitle || !strings.HasSuffix(old.Title, feed.CutMark) {
		t.Errorf("title: %d characters, ends %q", n, old.Title[max(0, len(old.Title)-20):])
	}
	if n := len(old.Summary) + len(old.Text); n > feed.MaxText || !strings.HasSuffix(old.Text, feed.CutMark) {
		t.Errorf("summary and text: %d bytes", n)
	}
	if n := utf8.RuneCountInString(old.Author); n > feed.MaxAuthor {
		t.Errorf("author: %d characters", n)
	}
	if fine.Cut || fine.Title != "Fine" || fine.RulesVersion != "v1" {
		t.Errorf("a story within the bounds was touched: %+v", fine)
	}
	if verdict, err := st.IntegrityCheck(t.Context()); err != nil || verdict != "ok" {
		t.Errorf("integrity after the migration: %q, %v", verdict, err)
	}
	if ids, err := st.Search(t.Context(), "ក្រសួងការងារ", 10); err != nil || len(ids) != 1 {
		t.Errorf("search after the migration: %v, %v", ids, err)
	}
}
