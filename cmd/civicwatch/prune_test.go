package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// TestPrune fills an archive with stories of two years ago (one plain, one
// matched, one labelled) and of today, then runs prune --dry-run and prune
// under retention.stories: 365d.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	old, now := time.Now().Add(-2*365*24*time.Hour), time.Now()
	if err := st.SyncFeeds(t.Context(), []store.FeedRef{{ID: "cam", Name: "cam", URL: "https://cam.example/feed"}}, old); err != nil {
		t.Fatal(err)
	}
	it := func(slug string) feed.Item {
		return feed.Item{GUID: slug, URL: "https://news.example/" + slug, Title: slug}
	}
	save := func(at time.Time, items []feed.Item, matches ...[]match.Result) {
		st.SetClock(func() time.Time { return at })
		f := &store.Fetch{FeedID: "cam", StartedAt: at, Outcome: store.OutcomeOK, Items: items}
		if matches != nil {
			f.RulesVersion, f.Matches = "v1", matches
		}
		if _, err := st.SaveFetches(t.Context(), []*store.Fetch{f}); err != nil {
			t.Fatal(err)
		}
	}
	save(old, []feed.Item{it("old-plain"), it("old-labelled")})
	save(old, []feed.Item{it("old-matched")}, []match.Result{{Topic: "unions"}})
	save(now, []feed.Item{it("new-plain")})
	labelled, err := st.StoryByURL(t.Context(), "https://news.example/old-labelled")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetLabel(t.Context(), store.Label{StoryID: labelled.ID, Topic: "unions", Relevant: true}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg := filepath.Join(dir, "feeds.yaml")
	write := func(retention string) {
		yaml := "feeds:\n  - id: cam\n    url: https://cam.example/feed\n" + retention
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}

	write("")
	if code, out, errOut := cli(t, env, "prune", "--dry-run"); code != exitOK || !strings.Contains(out, "every story is kept") {
		t.Fatalf("prune without retention: exit %d\n%s%s", code, out, errOut)
	}
	write("retention:\n  stories: 365d\n")
	code, out, errOut := cli(t, env, "prune", "--dry-run")
	if code != exitOK {
		t.Fatalf("prune --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	wantIn(t, "prune --dry-run", out, "would delete 1 unmatched stories", "kept 2 stories as old")
	left := func() []string {
		st, err := store.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		all, err := st.Stories(t.Context(), store.StoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, s := range all {
			titles = append(titles, s.Title)
		}
		return titles
	}
	if got := left(); len(got) != 4 {
		t.Fatalf("after the dry run %v are left, want all 4", got)
	}
	code, out, errOut = cli(t, env, "prune")
	if code != exitOK {
		t.Fatalf("prune: exit %d\n%s%s", code, out, errOut)
	}
	wantIn(t, "prune", out, "deleted 1 unmatched stories", "kept 2 stories as old")
	if got := strings.Join(left(), " "); got != "old-labelled old-matched new-plain" {
		t.Fatalf("after prune the stories are %q, want old-labelled old-matched new-plain", got)
	}
}
