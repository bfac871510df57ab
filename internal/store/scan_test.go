package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

// scanAll collects what ScanStories hands over, batch sizes included.
func scanAll(t *testing.T, s *Store, since time.Time) (stories []ScanStory, sizes []int) {
	t.Helper()
	err := s.ScanStories(t.Context(), since, func(b []ScanStory) error {
		stories = append(stories, b...)
		sizes = append(sizes, len(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return stories, sizes
}

func TestScanStoriesPeriodFeedsAndOrder(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	saveItems(t, s, "a", t0, feed.Item{GUID: "1", URL: "https://x.example/1", Title: "old", Summary: "s1", Content: "c1"})
	saveItems(t, s, "b", t0.Add(24*time.Hour), feed.Item{GUID: "2", URL: "https://x.example/2", Title: "two", Summary: "s2"})
	// Seen again by feed a a day later: one story, two feeds, listed in id
	// order.
	saveItems(t, s, "a", t0.Add(48*time.Hour), feed.Item{GUID: "2b", URL: "https://x.example/2", Title: "two"})
	saveItems(t, s, "a", t0.Add(48*time.Hour), feed.Item{GUID: "3", URL: "https://x.example/3", Title: "three"})
	// Written last with a clock set back: the largest id, seen first of all.
	saveItems(t, s, "b", t0.Add(-time.Hour), feed.Item{GUID: "4", URL: "https://x.example/4", Title: "backdated"})

	type row struct {
		ID    int64
		Title string
		Feeds []string
	}
	cases := []struct {
		name  string
		since time.Time
		want  []row
	}{
		{"every story", time.Time{}, []row{{1, "old", []string{"a"}}, {2, "two", []string{"a", "b"}}, {3, "three", []string{"a"}}, {4, "backdated", []string{"b"}}}},
		{"from the second day", t0.Add(24 * time.Hour), []row{{2, "two", []string{"a", "b"}}, {3, "three", []string{"a"}}}},
		{"from the first story on", t0, []row{{1, "old", []string{"a"}}, {2, "two", []string{"a", "b"}}, {3, "three", []string{"a"}}}},
		{"after everything", t0.Add(72 * time.Hour), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := scanAll(t, s, c.since)
			var rows []row
			for _, st := range got {
				rows = append(rows, row{st.ID, st.Title, st.Feeds})
			}
			if !slices.EqualFunc(rows, c.want, func(a, b row) bool {
				return a.ID == b.ID && a.Title == b.Title && slices.Equal(a.Feeds, b.Feeds)
			}) {
				t.Errorf("scan since %v:\n got %v\nwant %v", c.since, rows, c.want)
			}
		})
	}

	got, _ := scanAll(t, s, time.Time{})
	first := got[0]
	if first.URL != "https://x.example/1" || first.Summary != "s1" || first.Text != "c1" || !first.FirstSeenAt.Equal(t0) {
		t.Errorf("story 1 = %+v; want its url, summary, text and first-seen time", first)
	}
	if ms := got[1].MatchStory([]string{"cambodia"}); ms.Content != "" || ms.Summary != "s2" || ms.Tags[0] != "cambodia" {
		t.Errorf("MatchStory of a story whose text is its summary = %+v; want no content field", ms)
	}
}

func TestScanStoriesBatches(t *testing.T) {
	s, _ := openTest(t)
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	n := ScanBatch + 5
	items := make([]feed.Item, n)
	for i := range items {
		items[i] = feed.Item{GUID: fmt.Sprint(i), URL: fmt.Sprintf("https://x.example/%d", i), Title: fmt.Sprint(i)}
	}
	saveItems(t, s, "a", at, items...)
	// Every story but the last of the first batch is seen by b as well, so
	// the sightings of a page are told apart at its edges.
	for i := range items {
		if i != ScanBatch-1 {
			items[i].GUID = "b" + items[i].GUID
		}
	}
	saveItems(t, s, "b", at.Add(time.Hour), slices.Concat(items[:ScanBatch-1], items[ScanBatch:])...)

	got, sizes := scanAll(t, s, time.Time{})
	if !slices.Equal(sizes, []int{ScanBatch, 5}) {
		t.Errorf("batch sizes %v, want [%d 5]", sizes, ScanBatch)
	}
	for i, st := range got {
		want := []string{"a", "b"}
		if i == ScanBatch-1 {
			want = []string{"a"}
		}
		if st.ID != int64(i+1) || !slices.Equal(st.Feeds, want) {
			t.Errorf("story %d: id %d, feeds %v; want id %d, feeds %v", i, st.ID, st.Feeds, i+1, want)
		}
	}
}

func TestScanStoriesStopsOnError(t *testing.T) {
	s, _ := openTest(t)
	at := time.Now()
	items := make([]feed.Item, ScanBatch+1)
	for i := range items {
		items[i] = feed.Item{GUID: fmt.Sprint(i), URL: fmt.Sprintf("https://x.example/%d", i), Title: fmt.Sprint(i)}
	}
	saveItems(t, s, "a", at, items...)
	stop := errors.New("enough")
	calls := 0
	err := s.ScanStories(t.Context(), time.Time{}, func([]ScanStory) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("ScanStories returned %v after %d call(s); want fn's own error after one", err, calls)
	}
}

func TestChangedStoryIDs(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	saveItems(t, s, "a", at(0), feed.Item{GUID: "1", URL: "https://x.example/1", Title: "one"})
	saveItems(t, s, "a", at(60), feed.Item{GUID: "2", URL: "https://x.example/2", Title: "two"})
	saveItems(t, s, "a", at(120), feed.Item{GUID: "1", URL: "https://x.example/1", Title: "one, edited"})
	saveItems(t, s, "b", at(180), feed.Item{GUID: "2b", URL: "https://x.example/2", Title: "two"}) // a second feed
	saveItems(t, s, "a", at(240), feed.Item{GUID: "3", URL: "https://x.example/3", Title: "three"})
	saveItems(t, s, "a", at(300), feed.Item{GUID: "3", URL: "https://x.example/3", Title: "three"}) // a repeat changes nothing
	// Story 2's page is captured: its article is new text for the rules.
	if _, err := s.EnqueueEvidence(t.Context(), false, at(300)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCapture(t.Context(), &Capture{StoryID: 2, CapturedAt: at(330), URL: "u", FinalURL: "u", Status: 200,
		BodySHA256: "aa", WARCFile: "w", WARCRecordID: "<urn:uuid:1>", Text: "the article", TextSHA256: "bb"}, time.Time{}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name           string
		since, changed time.Time
		want           []int64
	}{
		{"everything", time.Time{}, at(0), []int64{1, 2, 3}},
		{"edited, newly carried and new", time.Time{}, at(90), []int64{1, 2, 3}},
		{"newly carried and new", time.Time{}, at(150), []int64{2, 3}},
		{"new, and captured", time.Time{}, at(200), []int64{2, 3}},
		{"captured", time.Time{}, at(250), []int64{2}},
		{"nothing since", time.Time{}, at(340), nil},
		{"only stories of the period", at(30), at(90), []int64{2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ChangedStoryIDs(t.Context(), c.since, c.changed)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("ChangedStoryIDs(%v, %v) = %v, want %v", c.since, c.changed, got, c.want)
			}
		})
	}

	for _, c := range []struct {
		since time.Time
		want  int
	}{{time.Time{}, 3}, {at(30), 2}, {at(240), 1}, {at(241), 0}} {
		if n, err := s.CountStories(t.Context(), c.since); err != nil || n != c.want {
			t.Errorf("CountStories(%v) = %d, %v; want %d", c.since, n, err, c.want)
		}
	}

	got, err := s.ScanStoriesByID(t.Context(), []int64{3, 99, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 || !slices.Equal(got[0].Feeds, []string{"a", "b"}) ||
		got[1].Title != "three" || got[1].URL != "https://x.example/3" || !got[1].FirstSeenAt.Equal(at(240)) {
		t.Fatalf("ScanStoriesByID = %+v", got)
	}
}
