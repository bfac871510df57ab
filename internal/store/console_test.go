package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

// consoleArchive stores five stories over three days from two feeds:
// three matched (one by two topics, one carried by both feeds), two not.
func consoleArchive(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	day := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	item := func(n string) feed.Item {
		return feed.Item{GUID: n, URL: "https://news.example/" + n, Title: "story " + n, Summary: "summary " + n, Content: "text of " + n}
	}
	saveMatched(t, s, "a", "v1", day, []feed.Item{item("1"), item("2")}, results("unions"), nil)
	saveMatched(t, s, "a", "v1", day.AddDate(0, 0, 1), []feed.Item{item("3")}, results("unions", "moi"))
	saveMatched(t, s, "b", "v1", day.AddDate(0, 0, 2), []feed.Item{item("3"), item("4"), item("5")}, nil, results("molvt"), nil)
	return s
}

func titles(stories []MatchedStory) []string {
	var out []string
	for _, st := range stories {
		out = append(out, st.Title)
	}
	return out
}

func TestMatchedStoriesFilters(t *testing.T) {
	s := consoleArchive(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		q    MatchQuery
		want []string
	}{
		{"all, newest first", MatchQuery{}, []string{"story 4", "story 3", "story 1"}},
		{"one topic", MatchQuery{Topic: "unions"}, []string{"story 3", "story 1"}},
		{"a topic nothing matched", MatchQuery{Topic: "civic"}, nil},
		{"one feed", MatchQuery{Feed: "b"}, []string{"story 4", "story 3"}},
		{"since", MatchQuery{Since: day.AddDate(0, 0, 1)}, []string{"story 4", "story 3"}},
		{"until", MatchQuery{Until: day.AddDate(0, 0, 1)}, []string{"story 1"}},
		{"limit", MatchQuery{Limit: 1}, []string{"story 4"}},
		{"next page", MatchQuery{BeforeSeen: day.AddDate(0, 0, 1).Add(8 * time.Hour), BeforeID: 3}, []string{"story 1"}},
	} {
		got, err := s.MatchedStories(t.Context(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(titles(got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, titles(got), tc.want)
		}
	}
	got, _ := s.MatchedStories(t.Context(), MatchQuery{Topic: "moi"})
	if len(got) != 1 || !slices.Equal(got[0].Topics(), []string{"moi", "unions"}) || !slices.Equal(got[0].Feeds, []string{"a", "b"}) {
		t.Fatalf("story 3: %+v; want both its topics and both feeds", got)
	}
	if got[0].Text != "" || got[0].Summary != "summary 3" || len(got[0].Matches[0].Hits) != 1 {
		t.Errorf("listing row: text %q summary %q hits %v", got[0].Text, got[0].Summary, got[0].Matches[0].Hits)
	}
}

func TestStoryLookups(t *testing.T) {
	s := consoleArchive(t)
	st, err := s.StoryByURL(t.Context(), "https://news.example/3")
	if err != nil || st.Title != "story 3" || st.Text != "text of 3" {
		t.Fatalf("by URL: %+v, %v", st, err)
	}
	if byID, err := s.Story(t.Context(), st.ID); err != nil || byID.URL != st.URL {
		t.Errorf("by id: %+v, %v", byID, err)
	}
	if _, err := s.Story(t.Context(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing id: %v, want ErrNotFound", err)
	}
	if _, err := s.StoryByURL(t.Context(), "https://elsewhere.example/"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing URL: %v, want ErrNotFound", err)
	}
	sights, err := s.Sightings(t.Context(), st.ID)
	if err != nil || len(sights) != 2 || sights[0].FeedID != "a" || sights[1].FeedID != "b" || sights[0].ItemKey != "3" {
		t.Errorf("sightings: %+v, %v", sights, err)
	}
	// Order follows the ids asked for; unknown ids are skipped.
	some, err := s.StoriesByID(t.Context(), []int64{st.ID, 999, 1})
	if err != nil || !slices.Equal(titles(some), []string{"story 3", "story 1"}) || len(some[0].Matches) != 2 {
		t.Errorf("by ids: %v %+v, %v", titles(some), some, err)
	}
	counts, err := s.FeedStoryCounts(t.Context(), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	if err != nil || counts["a"] != 1 || counts["b"] != 3 {
		t.Errorf("feed story counts: %v, %v", counts, err)
	}
}

func TestLabels(t *testing.T) {
	s := consoleArchive(t)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, l := range []Label{
		{StoryID: 3, Topic: "unions", Relevant: true, LabelledAt: at},
		{StoryID: 3, Topic: "moi", Relevant: true, LabelledAt: at},
		{StoryID: 1, Topic: "unions", Relevant: true, LabelledAt: at},
		{StoryID: 1, Topic: "unions", Relevant: false, Note: "a credit union", LabelledAt: at.Add(time.Hour)}, // replaces
	} {
		if err := s.SetLabel(t.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetLabel(t.Context(), Label{StoryID: 999, Topic: "unions"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("label of a missing story: %v, want ErrNotFound", err)
	}
	if err := s.ClearLabel(t.Context(), 3, "moi"); err != nil {
		t.Fatal(err)
	}
	all, err := s.Labels(t.Context(), nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("labels: %+v, %v", all, err)
	}
	if l := all[0]; l.StoryID != 1 || l.Relevant || l.Note != "a credit union" || !l.LabelledAt.Equal(at.Add(time.Hour)) {
		t.Errorf("replaced label: %+v", l)
	}
	if one, _ := s.Labels(t.Context(), []int64{3}); len(one) != 1 || one[0].Topic != "unions" || !one[0].Relevant {
		t.Errorf("labels of story 3: %+v", one)
	}
	stories, labels, err := s.LabelledStories(t.Context())
	if err != nil || len(stories) != 2 || stories[1].Text != "text of 3" || len(labels) != 2 {
		t.Errorf("labelled stories: %+v, %+v, %v", stories, labels, err)
	}
}
