package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

// TestDaemonAppliesRetention starts a daemon with retention.stories: 365d
// over an archive holding stories of two years ago, and checks that it
// deletes them at start while it polls.
func TestDaemonAppliesRetention(t *testing.T) {
	ts, _ := feedServer(t, 3, 0)
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * 365 * 24 * time.Hour)
	st.SetClock(func() time.Time { return old })
	if err := st.SyncFeeds(context.Background(), []store.FeedRef{{ID: "f000", Name: "f000", URL: ts.URL + "/1"}}, old); err != nil {
		t.Fatal(err)
	}
	var items []feed.Item
	for i := range 10 {
		u := fmt.Sprintf("https://old.example/%d", i)
		items = append(items, feed.Item{GUID: u, URL: u, Title: "An old story"})
	}
	if _, err := st.SaveFetches(context.Background(), []*store.Fetch{{FeedID: "f000", StartedAt: old, Outcome: store.OutcomeOK, Items: items}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg := writeConfig(t, dir, ts.URL, []string{"1"}, "strike", "retention:\n  stories: 365d\n")
	r := start(t, Options{ConfigPath: cfg, DBPath: db})
	// The old stories go and the feed's three new ones (matched) stay.
	eventually(t, "the old stories pruned and the new ones polled", func() bool { return countStories(t, db) == 3 })
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}
