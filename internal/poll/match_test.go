package poll

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

func compileRules(t *testing.T, topics ...match.Topic) *match.Rules {
	t.Helper()
	r, err := match.Compile(topics, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPollStoresMatchesAndTagsDriveTagRules(t *testing.T) {
	srv := newFeedServer()
	// The same headline in a Cambodia-focused outlet and a global one: only
	// the former satisfies tag:cambodia.
	srv.mustSet(t, "/cam", "", rssWith(
		rssItem("c-1", "Garment workers strike for wages", "https://cam.example/1"),
		rssItem("c-2", "Rice harvest begins", "https://cam.example/2"),
	))
	srv.mustSet(t, "/world", "", rssWith(rssItem("w-1", "Garment workers strike for wages", "https://world.example/1")))
	ts := httptest.NewServer(srv)
	defer ts.Close()

	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	p.Rules = compileRules(t,
		match.Topic{ID: "strikes", Rule: "strike AND tag:cambodia"},
		match.Topic{ID: "harvest", Rule: "title:harvest"},
	)
	cam, world := feedAt("cam", ts.URL+"/cam"), feedAt("world", ts.URL+"/world")
	cam.Tags, world.Tags = []string{"cambodia", "en"}, []string{"global"}
	rep := mustPoll(t, p, []config.Feed{cam, world}, Selection{})
	byFeed := map[string]store.Counts{}
	for _, r := range rep.Results {
		byFeed[r.FeedID] = r.Counts
	}
	if byFeed["cam"].Matched != 2 || byFeed["world"].Matched != 0 {
		t.Errorf("matched counts %+v, want cam 2, world 0", byFeed)
	}
	if tot, _ := rep.Totals(); tot.Matched != 2 {
		t.Errorf("total matched %d, want 2", tot.Matched)
	}

	stories := storiesByURL(t, st)
	want := map[string][]string{
		"https://cam.example/1":   {"strikes"},
		"https://cam.example/2":   {"harvest"},
		"https://world.example/1": nil,
	}
	for url, topics := range want {
		s := stories[url]
		ms, err := st.MatchesForStory(t.Context(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Topic)
			if m.RulesVersion != p.Rules.Version() || len(m.Hits) == 0 {
				t.Errorf("%s/%s: version %q, hits %v; want %q with hits", url, m.Topic, m.RulesVersion, m.Hits, p.Rules.Version())
			}
		}
		if !slices.Equal(got, topics) {
			t.Errorf("%s: topics %v, want %v", url, got, topics)
		}
		if s.RulesVersion != p.Rules.Version() {
			t.Errorf("%s: story rules version %q, want %q", url, s.RulesVersion, p.Rules.Version())
		}
	}
	// The hit points into the stored title.
	s := stories["https://cam.example/1"]
	ms, _ := st.MatchesForStory(t.Context(), s.ID)
	if h := ms[0].Hits[0]; h.Field != match.FieldTitle || s.Title[h.Start:h.End] != "strike" {
		t.Errorf("hit %+v does not point at \"strike\" in %q", h, s.Title)
	}
}

func TestPollWithoutRulesStoresUnmatched(t *testing.T) {
	srv := newFeedServer()
	srv.mustSet(t, "/f", "", rssWith(rssItem("1", "Workers strike", "https://f.example/1")))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	rep := mustPoll(t, p, []config.Feed{feedAt("f", ts.URL+"/f")}, Selection{})
	if c := rep.Results[0].Counts; c.New != 1 || c.Matched != 0 {
		t.Errorf("counts %+v, want 1 new, 0 matched", c)
	}
	if s := storiesByURL(t, st)["https://f.example/1"]; s.RulesVersion != "" {
		t.Errorf("rules version %q without rules", s.RulesVersion)
	}
}
