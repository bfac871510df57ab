package store

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
)

// results builds match results for the given topics, each with one hit of
// its own name in the title.
func results(topics ...string) []match.Result {
	var out []match.Result
	for _, t := range topics {
		out = append(out, match.Result{Topic: t, Hits: []match.Hit{{Term: t, Field: match.FieldTitle, Start: 0, End: len(t)}}})
	}
	return out
}

// saveMatched stores items of one feed with their match results.
func saveMatched(t *testing.T, s *Store, feedID, version string, at time.Time, items []feed.Item, matches ...[]match.Result) Counts {
	t.Helper()
	if err := s.SyncFeeds(t.Context(), []FeedRef{{ID: feedID, Name: feedID, URL: "https://" + feedID + ".example/feed"}}, at); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return at }) // stories are stamped when written
	c, err := s.SaveFetches(t.Context(), []*Fetch{{FeedID: feedID, StartedAt: at, Outcome: OutcomeOK, Items: items,
		RulesVersion: version, Matches: matches}})
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}

func storyByTitle(t *testing.T, s *Store, title string) Story {
	t.Helper()
	all, err := s.Stories(t.Context(), StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if st.Title == title {
			return st
		}
	}
	t.Fatalf("no story titled %q", title)
	return Story{}
}

func topicsOf(t *testing.T, s *Store, id int64) map[string]Match {
	t.Helper()
	ms, err := s.MatchesForStory(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]Match, len(ms))
	for _, m := range ms {
		out[m.Topic] = m
	}
	return out
}

func TestMatchesFollowStories(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	item := func(guid, title string) feed.Item {
		return feed.Item{GUID: guid, URL: "https://f.example/" + guid, Title: title}
	}
	cases := []struct {
		name        string
		second      feed.Item // the second poll's item, same feed, GUID "a"
		secondMatch []match.Result
		want        []string
		wantAt      map[string]time.Time
		wantVersion string
		wantCounts  Counts
	}{
		{
			name:   "unchanged item keeps its matches",
			second: item("a", "Union leader arrested"), secondMatch: results("ngos"),
			want: []string{"arrests", "unions"}, wantAt: map[string]time.Time{"arrests": t0, "unions": t0},
			wantVersion: "v1", wantCounts: Counts{Items: 1},
		},
		{
			name:   "updated item has its matches replaced",
			second: item("a", "Union leader arrested and charged"), secondMatch: results("unions", "ngos"),
			// unions still holds, so it keeps the time the story entered it
			want: []string{"ngos", "unions"}, wantAt: map[string]time.Time{"ngos": t1, "unions": t0},
			wantVersion: "v2", wantCounts: Counts{Items: 1, Updated: 1, Matched: 1},
		},
		{
			name:   "updated item that matches nothing loses its matches",
			second: item("a", "Weather report"), secondMatch: nil,
			want: nil, wantVersion: "v2", wantCounts: Counts{Items: 1, Updated: 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := openTest(t)
			first := saveMatched(t, s, "f", "v1", t0, []feed.Item{item("a", "Union leader arrested")}, results("unions", "arrests"))
			if first != (Counts{Items: 1, New: 1, Matched: 1}) {
				t.Errorf("first save: %+v", first)
			}
			got := saveMatched(t, s, "f", "v2", t1, []feed.Item{c.second}, c.secondMatch)
			if got != c.wantCounts {
				t.Errorf("counts %+v, want %+v", got, c.wantCounts)
			}
			st := storyByTitle(t, s, c.second.Title)
			ms := topicsOf(t, s, st.ID)
			if topics := slices.Sorted(maps.Keys(ms)); !slices.Equal(topics, c.want) {
				t.Errorf("topics %v, want %v", topics, c.want)
			}
			for topic, at := range c.wantAt {
				if !ms[topic].MatchedAt.Equal(at) {
					t.Errorf("%s matched at %v, want %v", topic, ms[topic].MatchedAt, at)
				}
			}
			if st.RulesVersion != c.wantVersion {
				t.Errorf("story rules version %q, want %q", st.RulesVersion, c.wantVersion)
			}
		})
	}
}

func TestMatchesAreStoredWithTheirStory(t *testing.T) {
	s, _ := openTest(t)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	items := []feed.Item{
		{GUID: "1", URL: "https://f.example/1", Title: "Strike at factory"},
		{GUID: "2", URL: "https://f.example/2", Title: "Weather"},
	}
	c := saveMatched(t, s, "f", "v1", now, items, results("unions"), nil)
	if c.New != 2 || c.Matched != 1 {
		t.Errorf("counts %+v, want 2 new, 1 matched", c)
	}
	strike := storyByTitle(t, s, "Strike at factory")
	ms, err := s.MatchesForStory(t.Context(), strike.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []Match{{StoryID: strike.ID, Topic: "unions", Hits: results("unions")[0].Hits, RulesVersion: "v1", MatchedAt: now}}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("matches %+v, want %+v", ms, want)
	}
	// A story that matched nothing is still marked as looked at.
	if w := storyByTitle(t, s, "Weather"); w.RulesVersion != "v1" {
		t.Errorf("unmatched story has rules version %q, want v1", w.RulesVersion)
	}

	// One transaction: a batch that fails stores neither stories nor matches.
	if err := s.SyncFeeds(t.Context(), []FeedRef{{ID: "g", Name: "g", URL: "https://g.example/feed"}}, now); err != nil {
		t.Fatal(err)
	}
	_, err = s.SaveFetches(t.Context(), []*Fetch{
		{FeedID: "g", StartedAt: now, Outcome: OutcomeOK, RulesVersion: "v1",
			Items: []feed.Item{{GUID: "x", URL: "https://g.example/x", Title: "Union march"}}, Matches: [][]match.Result{results("unions")}},
		{FeedID: "g", StartedAt: now, Outcome: OutcomeOK, RulesVersion: "v1", // results do not line up with items
			Items: []feed.Item{{GUID: "y", URL: "https://g.example/y", Title: "Other"}}},
	})
	if err == nil {
		t.Fatal("a fetch whose results do not line up with its items was stored")
	}
	counts, err := s.MatchCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts["unions"] != 1 {
		t.Errorf("after a failed batch, unions has %d matches, want 1 (the failed batch rolled back)", counts["unions"])
	}

	// Without rules, nothing is matched and nothing is marked.
	saveItems(t, s, "f", now, feed.Item{GUID: "3", URL: "https://f.example/3", Title: "Unmatched"})
	if u := storyByTitle(t, s, "Unmatched"); u.RulesVersion != "" {
		t.Errorf("story stored without rules has version %q", u.RulesVersion)
	}
}

func TestMergedItemKeepsTheStorysMatches(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	it := feed.Item{GUID: "a", URL: "https://news.example/a", Title: "Union leader arrested"}
	saveMatched(t, s, "global", "v1", now, []feed.Item{it}, nil)
	// A Cambodia-tagged feed carries the same article: its tags make a rule
	// match, but the story's text is the first outlet's, so nothing changes
	// until rematch.
	it.GUID = "cam-1"
	c := saveMatched(t, s, "cambodian", "v1", now, []feed.Item{it}, results("unions"))
	if c.Merged != 1 || c.Matched != 0 {
		t.Errorf("counts %+v, want 1 merged, 0 matched", c)
	}
	st := storyByTitle(t, s, it.Title)
	if ms := topicsOf(t, s, st.ID); len(ms) != 0 {
		t.Errorf("merged item changed the story's matches: %v", ms)
	}
	if !slices.Equal(st.Feeds, []string{"cambodian", "global"}) && !slices.Equal(st.Feeds, []string{"global", "cambodian"}) {
		t.Errorf("story feeds %v, want both", st.Feeds)
	}
}

func TestReplaceMatchesCountsChanges(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	items := []feed.Item{
		{GUID: "1", URL: "https://f.example/1", Title: "one"},
		{GUID: "2", URL: "https://f.example/2", Title: "two"},
		{GUID: "3", URL: "https://f.example/3", Title: "three"},
	}
	saveMatched(t, s, "f", "v1", t0, items, results("unions", "retired"), results("unions"), nil)
	one, two, three := storyByTitle(t, s, "one"), storyByTitle(t, s, "two"), storyByTitle(t, s, "three")

	t1 := t0.Add(24 * time.Hour)
	changes, err := s.ReplaceMatches(t.Context(), "v2", []StoryMatches{
		{StoryID: one.ID, Results: results("unions")}, // retired topic dropped
		{StoryID: two.ID, Results: nil},               // unions lost
		{StoryID: three.ID, Results: results("ngos")}, // ngos gained
		{StoryID: 999999, Results: results("unions")}, // gone since it was read
	}, t1)
	if err != nil {
		t.Fatal(err)
	}
	want := MatchChanges{
		"unions":  {Kept: 1, Removed: 1},
		"retired": {Removed: 1},
		"ngos":    {Added: 1},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes %v, want %v", changes, want)
	}
	if ms := topicsOf(t, s, one.ID); len(ms) != 1 || !ms["unions"].MatchedAt.Equal(t0) || ms["unions"].RulesVersion != "v2" {
		t.Errorf("story one: %+v, want unions kept from %v, confirmed by v2", ms, t0)
	}
	if ms := topicsOf(t, s, three.ID); !ms["ngos"].MatchedAt.Equal(t1) {
		t.Errorf("story three: %+v, want ngos matched at %v", ms, t1)
	}
	for _, st := range []Story{one, two, three} {
		if v := storyByTitle(t, s, st.Title).RulesVersion; v != "v2" {
			t.Errorf("story %s: rules version %q, want v2", st.Title, v)
		}
	}
}

func TestMatchesGoWithTheirStory(t *testing.T) {
	s, _ := openTest(t)
	saveMatched(t, s, "f", "v1", time.Now(), []feed.Item{{GUID: "1", URL: "https://f.example/1", Title: "one"}}, results("unions"))
	if _, err := s.write.Exec(`DELETE FROM stories`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM matches`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d matches left after their story was deleted (%v), want 0", n, err)
	}
}

func TestStoriesPageByPage(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	// Two stories share a first-seen time, so pages must break ties by id.
	saveItems(t, s, "f", t0, feed.Item{GUID: "1", Title: "a"}, feed.Item{GUID: "2", Title: "b"})
	saveItems(t, s, "f", t0.Add(time.Hour), feed.Item{GUID: "3", Title: "c"})
	saveItems(t, s, "f", t0.Add(2*time.Hour), feed.Item{GUID: "4", Title: "d"}, feed.Item{GUID: "5", Title: "e"})
	for _, c := range []struct {
		since time.Time
		want  []string
	}{{time.Time{}, []string{"a", "b", "c", "d", "e"}}, {t0.Add(time.Hour), []string{"c", "d", "e"}}} {
		var got []string
		q := StoryQuery{Since: c.since, Limit: 2}
		for {
			page, err := s.Stories(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, st := range page {
				got = append(got, st.Title)
			}
			q.After = &page[len(page)-1]
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("since %v: pages gave %v, want %v", c.since, got, c.want)
		}
	}
}

func TestMatchStoryAgreesForItemAndStoredStory(t *testing.T) {
	for _, it := range []feed.Item{
		{Title: "t", Summary: "s", Content: "c"},
		{Title: "t", Summary: "s"},
		{Title: "t", Summary: "same", Content: "same"},
		{Title: "t", Content: "c"},
	} {
		stored := Story{Title: it.Title, Summary: it.Summary, Text: storyText(&it)}
		if a, b := ItemMatchStory(&it, []string{"x"}), stored.MatchStory([]string{"x"}); !reflect.DeepEqual(a, b) {
			t.Errorf("item %+v: poll sees %+v, rematch sees %+v", it, a, b)
		}
	}
}

// TestHitsJSONAgreesWithEncodingJSON checks the hand-written encoder of
// hits against json.Marshal, which the readers decode with.
func TestHitsJSONAgreesWithEncodingJSON(t *testing.T) {
	cases := [][]match.Hit{
		nil,
		{},
		{{Term: "strike*", Field: match.FieldTitle, Start: 0, End: 6}},
		{{Term: "Phnom Penh", Field: match.FieldContent, Start: 120, End: 130}, {Term: "សហជីព", Field: match.FieldSummary, Start: 3, End: 18}},
		{{Term: `"quoted" \ <b> & tab	`, Field: "odd\u2028field", Start: -1, End: 1 << 40}},
		{{Term: "bad \xff utf-8", Field: match.FieldTitle}},
	}
	for _, hits := range cases {
		got, err := hitsJSON(hits)
		if err != nil {
			t.Fatal(err)
		}
		if hits == nil {
			hits = []match.Hit{}
		}
		want, _ := json.Marshal(hits)
		if got != string(want) {
			t.Errorf("hitsJSON(%v)\n got %s\nwant %s", hits, got, want)
		}
	}
}

// TestParseHitsAgreesWithEncodingJSON checks the hand-written reader of
// hits against json.Unmarshal: on hitsJSON's output, on encoding/json's
// own spellings (escapes, other key orders, spaces) and on values neither
// would write, where both must fail or both give the same hits.
func TestParseHitsAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`null`, `[]`, ` []`, `[ ]`, `{}`, `[`, `[{}]`, `"x"`, ``,
		`[{"term":"strike*","field":"title","start":0,"end":6}]`,
		`[{"term":"a","field":"title","start":1,"end":2},{"term":"សហជីព","field":"summary","start":3,"end":18}]`,
		`[{"field":"title","term":"a","start":1,"end":2}]`,
		`[{"term":"a\"b","field":"title","start":1,"end":2}]`,
		`[{"term":"\u003cb\u003e","field":"title","start":1,"end":2}]`,
		`[{"term":"a","field":"title","start":01,"end":2}]`,
		`[{"term":"a","field":"title","start":-0,"end":2}]`,
		`[{"term":"a","field":"title","start":1.5,"end":2}]`,
		`[{"term":"a","field":"title","start":1,"end":99999999999999999999}]`,
		`[{"term":"a","field":"title","start":1,"end":2},]`,
		`[{"term":"a","field":"title","start":1,"end":2}] `,
		`[{"term":"a","field":"title","start":1,"end":2}`,
		"[{\"term\":\"bad \xff\",\"field\":\"title\",\"start\":1,\"end\":2}]",
		"[{\"term\":\"tab\t\",\"field\":\"title\",\"start\":1,\"end\":2}]",
	}
	plain := map[string]bool{} // hitsJSON's output with no escape in it
	r := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"union", "សហជីព", `"`, `\`, "<", "&", "\t", "\u2028", "\xff", " ", "strike*"}
	for n := range 600 {
		set := pieces
		if n%2 == 0 {
			set = pieces[:2] // plain terms only
		}
		var hits []match.Hit
		for range r.IntN(4) {
			var term strings.Builder
			for range 1 + r.IntN(3) {
				term.WriteString(set[r.IntN(len(set))])
			}
			hits = append(hits, match.Hit{Term: term.String(), Field: match.FieldContent, Start: r.IntN(1 << 20), End: r.IntN(1<<40) - 5})
		}
		enc, err := hitsJSON(hits)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, enc)
		if n%2 == 0 {
			plain[enc] = true
		}
	}
	for _, in := range inputs {
		var want []match.Hit
		wantErr := json.Unmarshal([]byte(in), &want)
		got, err := parseHits(in)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("parseHits(%q): error %v, json.Unmarshal: %v", in, err, wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("parseHits(%q)\n got %#v\nwant %#v", in, got, want)
		}
		// The fast path must be what serves hitsJSON's ordinary output.
		if _, ok := parseHitsFast(in); plain[in] && !ok {
			t.Errorf("parseHits(%q) did not take the fast path", in)
		}
	}
	if len(plain) < 200 {
		t.Errorf("only %d plain inputs: the fast path is hardly tested", len(plain))
	}
}
