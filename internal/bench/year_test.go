package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/explain"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/web"
)

// The year's benchmarks read an archive written by
//
//	civicwatch --config feeds.yaml bench archive --out /tmp/year.db
//
// (a million stories over 365 days from 500 feeds, about half an hour on
// two cores) and take its path from yearEnv. Each is a pair: the thing an
// operator waits for, and beside it the bare indexed SELECT of the same
// rows (store.ScanStoriesByID of the stories shown), so that the ratio says
// what the query, the grouping and the rendering add to reading the rows:
//
//	CIVICWATCH_YEAR_ARCHIVE=/tmp/year.db go test -run '^$' -bench Year -benchtime 5x ./internal/bench/
//
// TestYearQueries runs each of them once over a small archive in plain go
// test, so that CI exercises the code.
const yearEnv = "CIVICWATCH_YEAR_ARCHIVE"

// year is an archive, the config that matches it, a console over it and
// the end of its last day.
type year struct {
	st   *store.Store
	cfg  *config.Config
	web  *web.Server
	end  time.Time // midnight after the last day's stories
	feed string    // a feed of the archive

	newestOnce sync.Once
	newestID   int64 // the newest matched story, once newest has run
}

func openYear(tb testing.TB, path string) *year {
	tb.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	dir := tb.TempDir()
	health, err := st.FeedHealth(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := ArchiveConfig("../../feeds.yaml", len(health), dir)
	if err != nil {
		tb.Fatal(err)
	}
	newest, err := st.MatchedStories(context.Background(), store.MatchQuery{Limit: 1})
	if err != nil || len(newest) == 0 {
		tb.Fatalf("no matched story in %s (%v)", path, err)
	}
	end := newest[0].FirstSeenAt.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	now := func() time.Time { return end.Add(7*time.Hour + time.Minute) }
	srv, err := web.New(web.Options{Store: st, Config: func() *config.Config { return cfg }, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return &year{st: st, cfg: cfg, web: srv, end: end, feed: health[0].ID}
}

var (
	smallOnce sync.Once
	smallPath string
	smallErr  error
)

// smallYear is a 1,000-story archive over 10 days, built once per test
// binary.
func smallYear(tb testing.TB) *year {
	smallOnce.Do(func() {
		dir, err := os.MkdirTemp("", "civicwatch-small-year-")
		if err != nil {
			smallErr = err
			return
		}
		smallPath = filepath.Join(dir, "small.db")
		st, err := store.Open(context.Background(), smallPath)
		if err != nil {
			smallErr = err
			return
		}
		defer st.Close()
		cfg, err := ArchiveConfig("../../feeds.yaml", 20, dir)
		if err != nil {
			smallErr = err
			return
		}
		smallErr = BuildArchive(context.Background(), st, ArchiveOptions{Stories: 1000, Days: 10, Feeds: 20,
			End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Topical: 0.1, Khmer: DefaultKhmer,
			Resighted: DefaultResighted, Rules: cfg.Rules})
	})
	if smallErr != nil {
		tb.Fatal(smallErr)
	}
	return openYear(tb, smallPath)
}

func bigYear(b *testing.B) *year {
	path := os.Getenv(yearEnv)
	if path == "" {
		b.Skipf("set %s to an archive written by `civicwatch bench archive` (see year_test.go)", yearEnv)
	}
	return openYear(b, path)
}

// get serves target and fails unless it answers 200 with a body.
func (y *year) get(tb testing.TB, target string) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Host = "127.0.0.1" // the console answers to loopback names
	y.web.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		tb.Fatalf("GET %s: %d\n%s", target, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// rows reads the given stories by id: the baseline.
func (y *year) rows(tb testing.TB, ids []int64) {
	tb.Helper()
	got, err := y.st.ScanStoriesByID(context.Background(), ids)
	if err != nil || len(got) != len(ids) {
		tb.Fatalf("read %d stories by id: got %d, %v", len(ids), len(got), err)
	}
}

// newest is the newest matched story of the archive, found once.
func (y *year) newest(tb testing.TB) int64 {
	tb.Helper()
	y.newestOnce.Do(func() {
		if ids := y.dayIDs(tb, store.MatchQuery{Limit: 1}); len(ids) == 1 {
			y.newestID = ids[0]
		}
	})
	if y.newestID == 0 {
		tb.Fatal("the archive has no matched story")
	}
	return y.newestID
}

// storyRows reads one story's rows by id: the story with its feeds, and its
// matches (the baseline of explain and of the story page).
func (y *year) storyRows(tb testing.TB, id int64) {
	tb.Helper()
	y.rows(tb, []int64{id})
	if m, err := y.st.MatchesOf(context.Background(), []int64{id}); err != nil || len(m) == 0 {
		tb.Fatalf("matches of story %d: %d, %v", id, len(m), err)
	}
}

// digest builds the digest due at 07:00 after the last day, without
// sending or recording it, and returns how many stories it holds.
func (y *year) digest(tb testing.TB) int {
	tb.Helper()
	svc := &digest.Service{Store: y.st, Config: y.cfg, Now: func() time.Time { return y.end.Add(7*time.Hour + time.Minute) }}
	res, err := svc.DryRun(context.Background())
	if err != nil || len(res) != 1 || res[0].Outcome != digest.OutcomeWouldSend {
		tb.Fatalf("digest dry run: %+v, %v", res, err)
	}
	return res[0].Stories
}

// dayIDs are the matched stories of the archive's last day, as listed.
func (y *year) dayIDs(tb testing.TB, q store.MatchQuery) []int64 {
	tb.Helper()
	stories, err := y.st.MatchedStories(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, len(stories))
	for i, s := range stories {
		ids[i] = s.ID
	}
	return ids
}

// yearCase is one measured request beside its baseline.
type yearCase struct {
	name     string
	run      func(tb testing.TB, y *year)
	baseline func(tb testing.TB, y *year) // nil: none
}

func yearCases(y *year) []yearCase {
	lastDay := store.MatchQuery{Since: y.end.Add(-24 * time.Hour), Until: y.end, Limit: 100000}
	digestIDs := func(tb testing.TB, y *year) []int64 {
		// The first digest covers the 24 hours before 07:00.
		return y.dayIDs(tb, store.MatchQuery{Since: y.end.Add(-17 * time.Hour), Until: y.end.Add(7*time.Hour + time.Minute), Limit: 100000})
	}
	searchIDs := func(q string) func(tb testing.TB, y *year) []int64 {
		return func(tb testing.TB, y *year) []int64 {
			ids, err := y.st.Search(context.Background(), q, 50)
			if err != nil {
				tb.Fatal(err)
			}
			return ids
		}
	}
	since := url.QueryEscape(y.end.Add(-24 * time.Hour).Format(time.RFC3339))
	cases := []yearCase{
		{name: "digest", run: func(tb testing.TB, y *year) { y.digest(tb) }},
		// The digest's two reads, to place its time: the window's stories
		// with their matches and feeds, and the feed-health footer.
		{name: "digest-stories", run: func(tb testing.TB, y *year) {
			if _, err := y.st.DigestStories(context.Background(), y.end.Add(-17*time.Hour), y.end.Add(7*time.Hour+time.Minute)); err != nil {
				tb.Fatal(err)
			}
		}, baseline: func() func(tb testing.TB, y *year) {
			// The same rows the digest reads: its stories with their text and
			// feeds, and their matches, each by id.
			var ids []int64
			return func(tb testing.TB, y *year) {
				if ids == nil {
					ids = digestIDs(tb, y)
				}
				y.rows(tb, ids)
				if m, err := y.st.MatchesOf(context.Background(), ids); err != nil || len(m) < len(ids) {
					tb.Fatalf("matches of %d stories: %d, %v", len(ids), len(m), err)
				}
			}
		}()},
		{name: "digest-feed-health", run: func(tb testing.TB, y *year) {
			if _, err := y.st.FeedActivity(context.Background()); err != nil {
				tb.Fatal(err)
			}
		}},
		{name: "console-home", run: func(tb testing.TB, y *year) { y.get(tb, "/") }},
		{name: "console-sources", run: func(tb testing.TB, y *year) { y.get(tb, "/sources") },
			baseline: func(tb testing.TB, y *year) {
				if _, err := y.st.FeedHealth(context.Background()); err != nil {
					tb.Fatal(err)
				}
			}},
		{name: "search-two-words", run: func(tb testing.TB, y *year) { y.get(tb, "/search?q=union+leader") }},
		{name: "search-khmer", run: func(tb testing.TB, y *year) { y.get(tb, "/search?q="+url.QueryEscape("សហជីព")) }},
		{name: "explain", run: func(tb testing.TB, y *year) {
			// `civicwatch explain ID` of the newest matched story: the story,
			// its sightings and stored matches, matched again under the rules.
			id := y.newest(tb)
			s, err := y.st.Story(context.Background(), id)
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := explain.Load(context.Background(), y.st, y.cfg, s); err != nil {
				tb.Fatal(err)
			}
		}, baseline: func(tb testing.TB, y *year) { y.storyRows(tb, y.newest(tb)) }},
		{name: "console-story", run: func(tb testing.TB, y *year) { y.get(tb, fmt.Sprintf("/stories/%d", y.newest(tb))) },
			baseline: func(tb testing.TB, y *year) { y.storyRows(tb, y.newest(tb)) }},
		{name: "export-atom", run: func(tb testing.TB, y *year) { y.get(tb, "/feeds/all.atom") }},
		{name: "export-json-day", run: func(tb testing.TB, y *year) { y.get(tb, "/api/matches?limit=500&since="+since) }},
		{name: "export-csv-day", run: func(tb testing.TB, y *year) { y.get(tb, "/matches.csv?since="+since) }},
	}
	ids := map[string]func(tb testing.TB, y *year) []int64{
		"digest":           digestIDs,
		"digest-stories":   digestIDs,
		"console-home":     func(tb testing.TB, y *year) []int64 { return y.dayIDs(tb, store.MatchQuery{}) },
		"search-two-words": searchIDs("union leader"),
		"search-khmer":     searchIDs("សហជីព"),
		"export-atom":      func(tb testing.TB, y *year) []int64 { return y.dayIDs(tb, store.MatchQuery{Limit: 100}) },
		"export-json-day":  func(tb testing.TB, y *year) []int64 { return y.dayIDs(tb, lastDay) },
		"export-csv-day":   func(tb testing.TB, y *year) []int64 { return y.dayIDs(tb, lastDay) },
	}
	for i := range cases {
		if f, ok := ids[cases[i].name]; ok && cases[i].baseline == nil {
			var held []int64
			cases[i].baseline = func(tb testing.TB, y *year) {
				if held == nil {
					held = f(tb, y)
				}
				y.rows(tb, held)
			}
		}
	}
	return cases
}

// BenchmarkYear measures each case over the year's archive, with its
// baseline beside it.
func BenchmarkYear(b *testing.B) {
	y := bigYear(b)
	for _, c := range yearCases(y) {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.run(b, y)
			}
		})
		if c.baseline != nil {
			b.Run(c.name+"-baseline", func(b *testing.B) {
				c.baseline(b, y) // the ids are found outside the loop
				for b.Loop() {
					c.baseline(b, y)
				}
			})
		}
	}
}

// BenchmarkYearRematch re-matches the archive's last 90 days as `civicwatch
// rematch --since 90d` does, writing; beside it, matching the same stories
// in memory (read and matched, nothing written). Both report stories/s.
func BenchmarkYearRematch(b *testing.B) {
	y := bigYear(b)
	since := y.end.Add(-90 * 24 * time.Hour)
	b.Run("rematch-90d", func(b *testing.B) {
		n := 0
		for b.Loop() {
			res, err := rematch.Run(context.Background(), y.st, y.cfg.Rules, y.cfg.Feeds, since)
			if err != nil {
				b.Fatal(err)
			}
			n += res.Stories
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "stories/s")
	})
	b.Run("match-90d-baseline", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n += matchOnly(b, y, since)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "stories/s")
	})
}

// matchOnly reads the stories first seen since then and matches them, one
// goroutine, as rematch does, storing nothing.
func matchOnly(tb testing.TB, y *year, since time.Time) int {
	tags := rematch.FeedTags(y.cfg.Feeds)
	n := 0
	err := y.st.ScanStories(context.Background(), since, func(batch []store.ScanStory) error {
		for i := range batch {
			s := batch[i].MatchStory(rematch.StoryTags(batch[i].Feeds, tags))
			y.cfg.Rules.Match(&s)
		}
		n += len(batch)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestYearQueries runs every case of the year's benchmarks once over a
// small archive and checks that each finds what it should.
func TestYearQueries(t *testing.T) {
	y := smallYear(t)
	for _, c := range yearCases(y) {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, y)
			if c.baseline != nil {
				c.baseline(t, y)
			}
		})
	}
	if n := y.digest(t); n == 0 {
		t.Error("the digest of the last day holds no story")
	}
	if body := y.get(t, "/search?q="+url.QueryEscape("សហជីព")); !strings.Contains(body, "សហជីព") {
		t.Error("a Khmer search finds no Khmer story")
	}
	if n := matchOnly(t, y, y.end.Add(-10*24*time.Hour)); n == 0 {
		t.Error("no story in the last 10 days")
	}
	res, err := rematch.Run(context.Background(), y.st, y.cfg.Rules, y.cfg.Feeds, y.end.Add(-10*24*time.Hour))
	if err != nil || res.Stories == 0 {
		t.Errorf("rematch: %+v, %v", res, err)
	}
	for topic, c := range res.Changes {
		if c.Added != 0 || c.Removed != 0 {
			t.Errorf("rematch with the rules the archive was matched with changed %s: %+v", topic, c)
		}
	}
}
