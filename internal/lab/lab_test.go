package lab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// day is the first-seen time of the stories saved on day n.
func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

const feedsSection = `fetch:
  allow_private_networks: true
feeds:
  - id: cam
    url: https://cam.example/feed
    tags: [cambodia]
  - id: world
    url: https://world.example/feed
    tags: [%s]
`

const testTopics = `lists:
  eu: ["European Union"]
topics:
  - id: strikes
    rule: strike AND tag:cambodia
  - id: unions
    rule: union AND NOT @eu
`

func parseConfig(t testing.TB, worldTag, rest string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(feedsSection, worldTag)+rest), "feeds.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sighting is a story carried by a feed on a day.
type sighting struct {
	feed  string
	day   int
	title string
}

// archive stores the sightings, in order, through the store's ingest path.
// Sightings with the same title are one story (the same URL).
func archive(t testing.TB, sightings ...sighting) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	refs := []store.FeedRef{{ID: "cam", Name: "cam", URL: "https://cam.example/feed"}, {ID: "world", Name: "world", URL: "https://world.example/feed"}}
	if err := st.SyncFeeds(t.Context(), refs, t0); err != nil {
		t.Fatal(err)
	}
	for _, s := range sightings {
		at := day(s.day)
		st.SetClock(func() time.Time { return at })
		url := "https://news.example/" + strings.ReplaceAll(strings.ToLower(s.title), " ", "-")
		it := feed.Item{GUID: url, URL: url, Title: s.title}
		if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: s.feed, StartedAt: at, Outcome: store.OutcomeOK, Items: []feed.Item{it}}}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// The stories, ids 1 to 5 in this order.
var stories = []sighting{
	{"cam", 0, "Garment workers strike"},
	{"world", 1, "Dock workers strike"},
	{"cam", 2, "Union leader arrested"},
	{"world", 3, "European Union and union talks"},
	{"world", 4, "Strike by union at factory"},
	{"cam", 5, "Strike by union at factory"}, // story 5 again: tag:cambodia comes from its second feed
}

func ids(es []Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.StoryID)
	}
	return out
}

func TestTestRule(t *testing.T) {
	st := archive(t, stories...)
	cfg := parseConfig(t, "global", testTopics)
	cases := []struct {
		name                   string
		req                    Request
		scanned                int
		current, candidate     int
		gained, lost, kept     []int64
		veto                   string // of the first lost story
		currentRule, candRule  string
		inCurrent, inCandidate bool
	}{
		{
			name:    "widened: the global outlet's strike is gained",
			req:     Request{Topic: "strikes", Rule: "strike"},
			scanned: 5, current: 2, candidate: 3,
			gained: []int64{2}, lost: []int64{}, kept: []int64{5, 1},
		},
		{
			name:    "narrowed by a NOT: the vetoed story is lost, with the clause",
			req:     Request{Topic: "strikes", Rule: "strike AND tag:cambodia AND NOT garment"},
			scanned: 5, current: 2, candidate: 1,
			gained: []int64{}, lost: []int64{1}, kept: []int64{5}, veto: "NOT garment",
		},
		{
			name:    "narrowed without a NOT: lost, no veto",
			req:     Request{Topic: "strikes", Rule: "strike AND union AND tag:cambodia"},
			scanned: 5, current: 2, candidate: 1,
			gained: []int64{}, lost: []int64{1}, kept: []int64{5},
		},
		{
			name:    "a list dropped from a rule",
			req:     Request{Topic: "unions", Rule: "union"},
			scanned: 5, current: 2, candidate: 3,
			gained: []int64{4}, lost: []int64{}, kept: []int64{5, 3},
		},
		{
			name:    "a rule of no topic yet: everything it matches is gained",
			req:     Request{Rule: "arrest*"},
			scanned: 5, current: 0, candidate: 1,
			gained: []int64{3}, lost: []int64{}, kept: []int64{},
		},
		{
			name:    "no candidate: the current rule against itself",
			req:     Request{Topic: "strikes"},
			scanned: 5, current: 2, candidate: 2,
			gained: []int64{}, lost: []int64{}, kept: []int64{5, 1},
		},
		{
			name:    "only the period",
			req:     Request{Topic: "strikes", Rule: "strike", Since: day(1).Add(time.Second)},
			scanned: 3, current: 1, candidate: 1,
			gained: []int64{}, lost: []int64{}, kept: []int64{5},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := TestRule(t.Context(), st, cfg, c.req)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{res.Scanned, res.Current, res.Candidate, ids(res.Gained), ids(res.Lost), ids(res.Kept)}
			want := []any{c.scanned, c.current, c.candidate, c.gained, c.lost, c.kept}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("scanned, current, candidate, gained, lost, kept =\n %v\nwant %v", got, want)
			}
			if res.NumGained != len(c.gained) || res.NumLost != len(c.lost) || res.NumKept != len(c.kept) {
				t.Errorf("counts %d/%d/%d disagree with the lists", res.NumGained, res.NumLost, res.NumKept)
			}
			if len(c.lost) > 0 && res.Lost[0].Veto != c.veto {
				t.Errorf("veto %q, want %q", res.Lost[0].Veto, c.veto)
			}
			if res.Topic != c.req.Topic || res.InCurrent != (c.req.Topic != "") || !res.InCandidate {
				t.Errorf("topic %q (current %v, candidate %v), want %q", res.Topic, res.InCurrent, res.InCandidate, c.req.Topic)
			}
		})
	}
}

func TestTestRuleEntries(t *testing.T) {
	st := archive(t, stories...)
	cfg := parseConfig(t, "global", testTopics)
	res, err := TestRule(t.Context(), st, cfg, Request{Topic: "strikes", Rule: "strike OR union", Since: day(3)})
	if err != nil {
		t.Fatal(err)
	}
	if res.CurrentRule != "strike AND tag:cambodia" || res.Rule != "strike OR union" || !res.Since.Equal(day(3)) {
		t.Errorf("rules %q → %q since %v: not as asked", res.CurrentRule, res.Rule, res.Since)
	}
	want := Entry{
		StoryID: 4, Title: "European Union and union talks", URL: "https://news.example/european-union-and-union-talks",
		FirstSeen: day(3), Feeds: []string{"world"},
		// "European Union" too: the candidate has no @eu to cut it out.
		Hits: []match.Hit{{Term: "union", Field: match.FieldTitle, Start: 9, End: 14}, {Term: "union", Field: match.FieldTitle, Start: 19, End: 24}},
	}
	if len(res.Gained) != 1 || !reflect.DeepEqual(res.Gained[0], want) {
		t.Errorf("gained %+v\nwant [%+v]", res.Gained, want)
	}
	kept := res.Kept[0]
	if kept.StoryID != 5 || !slices.Equal(kept.Feeds, []string{"cam", "world"}) || len(kept.Hits) != 2 {
		t.Errorf("kept %+v; want story 5, both feeds, the candidate's two hits", kept)
	}
	lost, err := TestRule(t.Context(), st, cfg, Request{Topic: "strikes", Rule: "union", Since: day(4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lost.Lost) != 0 || len(lost.Kept) != 1 {
		t.Fatalf("lost %v kept %v", ids(lost.Lost), ids(lost.Kept))
	}
	lost, err = TestRule(t.Context(), st, cfg, Request{Topic: "strikes", Rule: "garment", Since: day(0)})
	if err != nil {
		t.Fatal(err)
	}
	if ids(lost.Lost)[0] != 5 || lost.Lost[0].Hits[0] != (match.Hit{Term: "strike", Field: match.FieldTitle, Start: 0, End: 6}) {
		t.Errorf("lost %+v: want story 5 with the current rule's hit", lost.Lost)
	}
}

func TestTestRuleErrors(t *testing.T) {
	st := archive(t, stories[:1]...)
	cfg := parseConfig(t, "global", testTopics)
	cases := []struct {
		name      string
		req       Request
		line, col int
		msg       string // in the error text
	}{
		{"unclosed group", Request{Topic: "strikes", Rule: "strike AND (union"}, 1, 12, `column 12: "(" is not closed`},
		{"unknown list, second line", Request{Topic: "strikes", Rule: "strike\n  AND @nope"}, 2, 7, "line 2, column 7: unknown list @nope"},
		{"column in characters", Request{Rule: "កូដកម្ម )"}, 1, 9, `column 9: unexpected ")"`},
		{"empty fresh rule", Request{Rule: "  "}, 1, 1, "empty rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := TestRule(t.Context(), st, cfg, c.req)
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a *RuleError", err)
			}
			if re.Line != c.line || re.Column != c.col || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%v at line %d column %d; want %q at %d:%d", err, re.Line, re.Column, c.msg, c.line, c.col)
			}
			if me := new(match.Error); !errors.As(err, &me) || me.Offset != re.Offset {
				t.Errorf("the compiler's error is not carried: %v", err)
			}
		})
	}
	_, err := TestRule(t.Context(), st, cfg, Request{Topic: "strkes", Rule: "strike"})
	if !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), `"strkes"`) {
		t.Errorf("unknown topic: %v, want ErrUnknownTopic naming it", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := TestRule(ctx, st, cfg, Request{Topic: "strikes", Rule: "strike"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled request: %v, want context.Canceled", err)
	}
}

func TestCompareConfigs(t *testing.T) {
	st := archive(t, stories...)
	current := parseConfig(t, "global", testTopics)
	// The world feed becomes Cambodian, unions go, arrests come.
	candidate := parseConfig(t, "cambodia", `topics:
  - id: arrests
    rule: arrest*
  - id: strikes
    rule: strike AND tag:cambodia
`)
	cmp, err := CompareConfigs(t.Context(), st, current, candidate, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Topic                  string
		InCurrent, InCandidate bool
		Current, Candidate     int
		Gained, Lost           []int64
	}
	var got []row
	for _, d := range cmp.Topics {
		got = append(got, row{d.Topic, d.InCurrent, d.InCandidate, d.Current, d.Candidate, ids(d.Gained), ids(d.Lost)})
	}
	want := []row{
		{"arrests", false, true, 0, 1, []int64{3}, []int64{}},
		{"strikes", true, true, 2, 3, []int64{2}, []int64{}},
		{"unions", true, false, 2, 0, []int64{}, []int64{5, 3}},
	}
	if cmp.Scanned != 5 || !reflect.DeepEqual(got, want) {
		t.Errorf("scanned %d\n got %+v\nwant %+v", cmp.Scanned, got, want)
	}
}

// TestListsAreCappedNewestFirst runs enough stories through several
// workers that lists are cut, and merged, more than once.
func TestListsAreCappedNewestFirst(t *testing.T) {
	n := 2*MaxEntries + store.ScanBatch/2
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SyncFeeds(t.Context(), []store.FeedRef{{ID: "cam", Name: "cam", URL: "https://cam.example/feed"}}, t0); err != nil {
		t.Fatal(err)
	}
	// Saved newest first, so id order and first-seen order disagree.
	for i := n - 1; i >= 0; i -= 100 {
		var items []feed.Item
		for j := i; j > i-100 && j >= 0; j-- {
			url := fmt.Sprintf("https://cam.example/%d", j)
			items = append(items, feed.Item{GUID: url, URL: url, Title: fmt.Sprintf("strike %d", j)})
		}
		at := t0.Add(time.Duration(i) * time.Minute)
		st.SetClock(func() time.Time { return at })
		if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "cam", StartedAt: at, Outcome: store.OutcomeOK, Items: items}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := parseConfig(t, "global", "topics:\n  - id: strikes\n    rule: nothing\n")
	var results []*Result
	for _, workers := range []int{1, 3} {
		res, err := oneShot().testRule(t.Context(), st, cfg, Request{Topic: "strikes", Rule: "strike"}, workers)
		if err != nil {
			t.Fatal(err)
		}
		if res.NumGained != n || len(res.Gained) != MaxEntries {
			t.Fatalf("%d workers: %d gained, %d listed; want %d and %d", workers, res.NumGained, len(res.Gained), n, MaxEntries)
		}
		newestFirst := func(a, b Entry) int {
			return cmp.Or(b.FirstSeen.Compare(a.FirstSeen), cmp.Compare(b.StoryID, a.StoryID))
		}
		// Story 100 is the last of the first fetch, which is stamped newest.
		if !slices.IsSortedFunc(res.Gained, newestFirst) || res.Gained[0].StoryID != 100 {
			t.Errorf("%d workers: not the newest first: %v …", workers, res.Gained[:3])
		}
		res.Elapsed = 0
		results = append(results, res)
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("one worker and three disagree")
	}
}
