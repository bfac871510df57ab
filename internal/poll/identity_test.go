package poll

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

func rssWith(items ...string) []byte {
	body := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://outlet.example/</link>`
	for _, it := range items {
		body += it
	}
	return []byte(body + `</channel></rss>`)
}

func rssItem(guid, title, link string) string {
	g := ""
	if guid != "" {
		g = "<guid isPermaLink=\"false\">" + guid + "</guid>"
	}
	return fmt.Sprintf("<item>%s<title>%s</title><link>%s</link><description>About %s</description></item>", g, title, link, title)
}

func TestRetitledItemUpdatesItsStory(t *testing.T) {
	srv := newFeedServer()
	srv.mustSet(t, "/feed", "", rssWith(rssItem("g-1", "Union leader detained", "https://outlet.example/a/1")))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	feeds := []config.Feed{feedAt("outlet", ts.URL+"/feed")}
	mustPoll(t, p, feeds, Selection{})

	// The outlet fixes its headline and the item's link: same GUID, same story.
	srv.mustSet(t, "/feed", "", rssWith(rssItem("g-1", "Union leader detained by police in Phnom Penh", "https://outlet.example/a/1-updated")))
	rep := mustPoll(t, p, feeds, Selection{All: true})
	if c := rep.Results[0].Counts; c.New != 0 || c.Updated != 1 {
		t.Fatalf("re-titled poll counts = %+v, want 0 new and 1 updated", c)
	}
	all := storiesByURL(t, st)
	if len(all) != 1 {
		t.Fatalf("%d stories, want 1: %v", len(all), all)
	}
	s := all["https://outlet.example/a/1"]
	if s.Title != "Union leader detained by police in Phnom Penh" {
		t.Errorf("title = %q, want the new headline", s.Title)
	}
	if !s.UpdatedAt.After(s.FirstSeenAt) && !s.UpdatedAt.Equal(s.FirstSeenAt) {
		t.Errorf("updated_at %v before first_seen %v", s.UpdatedAt, s.FirstSeenAt)
	}
}

func TestSameArticleInTwoFeedsIsOneStory(t *testing.T) {
	srv := newFeedServer()
	srv.mustSet(t, "/a", "", rssWith(rssItem("a-77", "Ministry suspends NGO", "https://news.example/story/77?utm_source=feed_a&utm_medium=rss")))
	srv.mustSet(t, "/b", "", rssWith(
		rssItem("", "Ministry suspends NGO (wire)", "https://NEWS.example:443/story/77?fbclid=XYZ&utm_campaign=b#top"),
		rssItem("", "Another story", "https://news.example/story/78")))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	rep := mustPoll(t, p, []config.Feed{feedAt("feed-a", ts.URL+"/a"), feedAt("feed-b", ts.URL+"/b")}, Selection{})

	tot, _ := rep.Totals()
	if tot.New != 2 || tot.Merged != 1 {
		t.Errorf("totals = %+v, want 2 new and 1 merged", tot)
	}
	all := storiesByURL(t, st)
	if len(all) != 2 {
		t.Fatalf("%d stories, want 2: %v", len(all), keys(all))
	}
	s, ok := all["https://news.example/story/77"]
	if !ok {
		t.Fatalf("no story under the canonical url; have %v", keys(all))
	}
	if len(s.Feeds) != 2 {
		t.Errorf("story 77 sighted in %v, want both feeds", s.Feeds)
	}
	health, err := st.FeedHealth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range health {
		want := map[string]int{"feed-a": 1, "feed-b": 2}[h.ID]
		if h.Stories != want {
			t.Errorf("%s carried %d stories, want %d", h.ID, h.Stories, want)
		}
	}
}

func TestUnchangedBodyWithoutValidatorsIsNotParsedAgain(t *testing.T) {
	srv := newFeedServer()
	srv.set("/feed", servedFile{body: rssWith(rssItem("x", "Strike at factory", "https://o.example/1"))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	feeds := []config.Feed{feedAt("novalidators", ts.URL+"/feed")}
	mustPoll(t, p, feeds, Selection{})
	rep := mustPoll(t, p, feeds, Selection{All: true})
	if r := rep.Results[0]; r.Outcome != store.OutcomeUnchanged || r.Counts.Items != 0 {
		t.Errorf("second poll: outcome %s with %d items, want unchanged and not parsed", r.Outcome, r.Counts.Items)
	}
	if n := srv.count(srv.conditional, "/feed"); n != 0 {
		t.Errorf("sent %d conditional requests without validators to send", n)
	}
}

func TestDueFeedsOnly(t *testing.T) {
	srv := newFeedServer()
	srv.mustSet(t, "/feed", "", rssWith(rssItem("x", "t", "https://o.example/1")))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	off := feedAt("off", ts.URL+"/off")
	off.Enabled = false
	feeds := []config.Feed{feedAt("on", ts.URL+"/feed"), off}
	if rep := mustPoll(t, p, feeds, Selection{}); len(rep.Results) != 1 || rep.Results[0].FeedID != "on" {
		t.Fatalf("first poll polled %v, want only the enabled feed", rep.Results)
	}
	if rep := mustPoll(t, p, feeds, Selection{}); len(rep.Results) != 0 {
		t.Errorf("second poll right after the first polled %d feeds, want none due", len(rep.Results))
	}
	if rep := mustPoll(t, p, feeds, Selection{IDs: []string{"on"}}); len(rep.Results) != 1 {
		t.Errorf("--feed on polled %d feeds, want 1", len(rep.Results))
	}
	if _, err := p.Poll(t.Context(), feeds, Selection{IDs: []string{"nope"}}); err == nil {
		t.Error("polling an unknown feed id succeeded, want ErrUnknownFeed")
	}
}
