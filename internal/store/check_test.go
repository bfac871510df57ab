package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

// damageStoriesTable writes a database at path with a few hundred stories,
// closes it, and overwrites the page type of the stories table's root page,
// as a failing disk or a copy taken mid-write might: the file still opens
// and migrates, but the table cannot be read.
func damageStoriesTable(t testing.TB, path string) {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	var items []feed.Item
	for i := range 300 {
		items = append(items, feed.Item{GUID: fmt.Sprint(i), URL: fmt.Sprintf("https://a.example/%d", i),
			Title: "Story " + fmt.Sprint(i), Content: strings.Repeat("Workers marched to the ministry. ", 20)})
	}
	if err := s.SyncFeeds(t.Context(), []FeedRef{{ID: "a", Name: "A", URL: "https://a.example/feed"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveFetches(t.Context(), []*Fetch{{FeedID: "a", StartedAt: time.Now(), Outcome: OutcomeOK, Items: items}}); err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := s.read.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'stories'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := s.read.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Byte 0 of a b-tree page is its type (2, 5, 10 or 13); 0xFF is none.
	if _, err := f.WriteAt([]byte{0xFF, 0xFF, 0xFF, 0xFF}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

func TestQuickCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := Open(t.Context(), good)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.QuickCheck(t.Context()); err != nil {
		t.Errorf("a sound database: %v", err)
	}
	s.Close()

	bad := filepath.Join(dir, "bad.db")
	damageStoriesTable(t, bad)
	s, err = Open(t.Context(), bad)
	if err == nil {
		err = s.QuickCheck(t.Context())
		s.Close()
	}
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("a damaged database: %v, want ErrDamaged", err)
	}
	for _, want := range []string{bad, ".recover", "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message does not name %q: %v", want, err)
		}
	}

	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is no database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), notDB); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), notDB) {
		if s != nil {
			s.Close()
		}
		t.Errorf("a file that is no database: %v, want ErrDamaged naming it", err)
	}
}
