package poll

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testFetchConfig() config.Fetch {
	return config.Fetch{
		Interval:             config.Duration(30 * time.Minute),
		Timeout:              config.Duration(2 * time.Second),
		MaxBody:              1 << 20,
		Concurrency:          8,
		PerHost:              4,
		AllowPrivateNetworks: true,
	}
}

// newPoller builds a poller like New does, with a guard of the test's choice
// (nil: every address allowed, as with allow_private_networks).
func newPoller(st *store.Store, fc config.Fetch, guard func(string) error) *Poller {
	p := New(st, fc, "civicwatch/test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Fetcher = fetch.New(fetch.Options{Timeout: fc.Timeout.D(), MaxBody: int64(fc.MaxBody), PerHost: fc.PerHost,
		UserAgent: "civicwatch/test", Guard: guard})
	return p
}

func feedAt(id, url string) config.Feed {
	return config.Feed{ID: id, Name: id, URL: url, Interval: config.Duration(30 * time.Minute), Enabled: true}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cp1252Feed is an RSS feed in windows-1252 that declares no encoding:
// curly quotes, an em dash and accented letters as single bytes.
func cp1252Feed() []byte {
	return []byte("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Legacy outlet</title>" +
		"<link>https://legacy.example/</link><item><title>\x93Caf\xe9 workers\x94 strike \x97 union says</title>" +
		"<link>https://legacy.example/a/1</link><description>Na\xefve claims r\xe9jected</description>" +
		"<pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate></item></channel></rss>")
}

func storiesByURL(t *testing.T, st *store.Store) map[string]store.Story {
	t.Helper()
	all, err := st.Stories(context.Background(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.Story, len(all))
	for _, s := range all {
		if _, dup := out[s.URL]; dup {
			t.Errorf("two stories with url %q", s.URL)
		}
		out[s.URL] = s
	}
	return out
}

func mustPoll(t *testing.T, p *Poller, feeds []config.Feed, sel Selection) *Report {
	t.Helper()
	rep, err := p.Poll(context.Background(), feeds, sel)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return rep
}

func TestPollStoresEveryFormat(t *testing.T) {
	srv := newFeedServer()
	srv.mustSet(t, "/news/rss.xml", "application/rss+xml; charset=utf-8", fixture(t, "rss-relative.xml"))
	srv.mustSet(t, "/atom.xml", "application/atom+xml", fixture(t, "atom.xml"))
	srv.mustSet(t, "/rdf.xml", "application/rdf+xml", fixture(t, "rdf.xml"))
	srv.mustSet(t, "/feed.json", "application/feed+json", fixture(t, "feed.json"))
	srv.mustSet(t, "/khmer.xml", "application/rss+xml", fixture(t, "khmer.xml"))
	srv.mustSet(t, "/legacy.xml", "text/xml", cp1252Feed()) // no charset anywhere
	ts := httptest.NewServer(srv)
	defer ts.Close()

	feeds := []config.Feed{
		feedAt("rss", ts.URL+"/news/rss.xml"), feedAt("atom", ts.URL+"/atom.xml"), feedAt("rdf", ts.URL+"/rdf.xml"),
		feedAt("json", ts.URL+"/feed.json"), feedAt("khmer", ts.URL+"/khmer.xml"), feedAt("legacy", ts.URL+"/legacy.xml"),
	}
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	before := time.Now().UTC()
	rep := mustPoll(t, p, feeds, Selection{})
	for _, r := range rep.Results {
		if r.Err != nil || r.Outcome != store.OutcomeOK {
			t.Errorf("%s: outcome %s, err %v", r.FeedID, r.Outcome, r.Err)
		}
	}
	if tot, _ := rep.Totals(); tot.New != 7 {
		t.Errorf("first poll stored %d new stories, want 7", tot.New)
	}

	got := storiesByURL(t, st)
	base := ts.URL
	cases := []struct {
		url, title, textHas, feed string
		published                 time.Time
	}{
		{base + "/2026/11/union-leader-arrested", "Union leader arrested after garment factory strike",
			"The Ministry of Labour said it would investigate.", "rss", time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)},
		{base + "/news/stories/moi-warns-ngo.html", "Ministry of Interior warns NGO over unregistered workshop",
			"The ministry cited the LANGO law.", "rss", time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)},
		{"https://licadho.example/news/77", "Defenders face smear campaign & threats",
			"coordinated online campaign against labour activists", "atom", time.Date(2026, 11, 25, 7, 15, 0, 0, time.UTC)},
		{"https://rdf.example/a/1", "Court hears appeal of jailed casino union members",
			"eight union members", "rdf", time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)},
		{"https://json.example/posts/5", "Labour ministry sets 2027 minimum wage",
			"minimum wage at $215.", "json", time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)},
		{"https://khmer.example/news/9", "ក្រសួង\u200bការងារ និង\u200bបណ្ដុះ\u200bបណ្ដាល\u200bវិជ្ជាជីវៈ កោះហៅ\u200bមេដឹកនាំ\u200bសហជីព",
			"ក្រសួង\u200bមហាផ្ទៃ ព្រមាន", "khmer", time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)},
		{"https://legacy.example/a/1", "“Café workers” strike — union says", "Naïve claims réjected", "legacy",
			time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.feed+" "+c.url, func(t *testing.T) {
			s, ok := got[c.url]
			if !ok {
				t.Fatalf("no story with url %q; have %v", c.url, keys(got))
			}
			if s.Title != c.title {
				t.Errorf("title = %q, want %q", s.Title, c.title)
			}
			if !strings.Contains(s.Text, c.textHas) {
				t.Errorf("text = %q, want it to contain %q", s.Text, c.textHas)
			}
			if strings.Contains(s.Text, "alert(") || strings.Contains(s.Text, "<") {
				t.Errorf("text kept markup or script: %q", s.Text)
			}
			if !s.PublishedAt.Equal(c.published) {
				t.Errorf("published = %v, want %v", s.PublishedAt, c.published)
			}
			if s.FirstSeenAt.Before(before.Truncate(time.Millisecond)) || s.FirstSeenAt.After(time.Now()) {
				t.Errorf("first seen = %v, want the time of the poll", s.FirstSeenAt)
			}
			if len(s.Feeds) != 1 || s.Feeds[0] != c.feed {
				t.Errorf("feeds = %v, want [%s]", s.Feeds, c.feed)
			}
		})
	}

	// Second round: every feed is asked conditionally and answers 304; nothing new is stored.
	rep = mustPoll(t, p, feeds, Selection{All: true})
	for _, r := range rep.Results {
		if r.Outcome != store.OutcomeNotModified || r.Counts.New != 0 {
			t.Errorf("re-poll %s: outcome %s, %d new; want not_modified, 0", r.FeedID, r.Outcome, r.Counts.New)
		}
	}
	for _, path := range []string{"/news/rss.xml", "/atom.xml", "/rdf.xml", "/feed.json", "/khmer.xml", "/legacy.xml"} {
		if srv.count(srv.conditional, path) != 1 || srv.count(srv.notModified, path) != 1 {
			t.Errorf("%s: %d conditional requests, %d answered 304; want 1 and 1", path,
				srv.count(srv.conditional, path), srv.count(srv.notModified, path))
		}
	}
	if n := len(storiesByURL(t, st)); n != 7 {
		t.Errorf("after re-poll: %d stories, want 7", n)
	}
	if !srv.userAgents["civicwatch/test"] {
		t.Errorf("server saw user agents %v, want civicwatch's", srv.userAgents)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
