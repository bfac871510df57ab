package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// hostileTitle and hostileURL are what a compromised or malicious feed
// might send; every page must show them as text and never as a link.
const (
	hostileTitle = `<script>alert(1)</script> union strike`
	hostileURL   = `javascript:alert(1)`
	khmerTitle   = "មេដឹកនាំសហជីពត្រូវបានចាប់ខ្លួននៅភ្នំពេញ"
)

const fixtureConfig = `fetch:
  interval: 30m
feeds:
  - id: cambojanews
    name: CamboJA News
    url: https://cambojanews.example/feed
    tags: [cambodia, en]
  - id: rasmei
    name: Rasmei Kampuchea
    url: https://rasmei.example/feed
    tags: [cambodia, km]
lists:
  union: [union, unions, "trade union*", សហជីព]
topics:
  - id: unions
    name: Unions
    rule: '@union AND (arrest* OR strike* OR ចាប់ខ្លួន) AND NOT football'
  - id: moi
    name: Ministry of Interior
    rule: '"Ministry of Interior" OR ក្រសួងមហាផ្ទៃ'
digest:
  timezone: Asia/Phnom_Penh
`

// now is the fixture's clock: 10:00 in Phnom Penh.
var now = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// fixture is a console over a real database file with a small archive.
type fixture struct {
	t      testing.TB
	cfg    *config.Config
	store  *store.Store
	server *Server
	ids    map[string]int64 // story id by title
}

type seedItem struct {
	feed    string
	daysAgo int
	item    feed.Item
}

func fixtureItems() []seedItem {
	return []seedItem{
		{"cambojanews", 3, feed.Item{GUID: "moi", URL: "https://cambojanews.example/moi", Title: "Ministry of Interior suspends land rights NGO",
			Summary: "The Ministry of Interior suspended the group for three months.", Lang: "en"}},
		{"cambojanews", 1, feed.Item{GUID: "x", URL: hostileURL, Title: hostileTitle,
			Summary: `Workers <img src=x onerror=alert(2)> went on strike; the union said.`, Lang: "en"}},
		{"cambojanews", 0, feed.Item{GUID: "arrest", URL: "https://cambojanews.example/arrest", Title: "Union leader arrested in Phnom Penh",
			Summary: "Police arrested the union leader on Tuesday.", Content: "Police arrested the union leader on Tuesday after a march. Colleagues called it an attack on the trade union movement.", Lang: "en"}},
		{"cambojanews", 0, feed.Item{GUID: "football", URL: "https://cambojanews.example/football", Title: "Football union strike ends",
			Summary: "The players' union ended its strike.", Lang: "en"}},
		{"rasmei", 0, feed.Item{GUID: "km", URL: "https://rasmei.example/km", Title: khmerTitle,
			Summary: "សមត្ថកិច្ចបានចាប់ខ្លួនមេដឹកនាំសហជីពម្នាក់។", Lang: "km"}},
		{"rasmei", 2, feed.Item{GUID: "weather", URL: "https://rasmei.example/weather", Title: "Weather in Phnom Penh",
			Summary: "Rain is expected.", Lang: "en"}},
	}
}

func newFixture(t testing.TB, opts ...func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(fixtureConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), filepath.Join(dir, "civicwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, cfg: cfg, store: st, ids: map[string]int64{}}
	f.seed()
	// httptest.NewRequest sends "Host: example.com": the fixture lists it
	// as an operator would a LAN name.
	o := Options{Store: st, Config: func() *config.Config { return f.cfg }, Now: func() time.Time { return now }, AllowedHosts: []string{"example.com"},
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for _, fn := range opts {
		fn(&o)
	}
	if f.server, err = New(o); err != nil {
		t.Fatal(err)
	}
	return f
}

// seed stores the fixture's items as the poller would: matched with the
// config's rules and the tags of the feed that carried them.
func (f *fixture) seed() {
	t := f.t
	var refs []store.FeedRef
	tags := map[string][]string{}
	for _, fd := range f.cfg.Feeds {
		refs = append(refs, store.FeedRef{ID: fd.ID, Name: fd.Name, URL: fd.URL})
		tags[fd.ID] = fd.Tags
	}
	if err := f.store.SyncFeeds(t.Context(), refs, now.AddDate(0, 0, -10)); err != nil {
		t.Fatal(err)
	}
	for i, it := range fixtureItems() {
		at := now.AddDate(0, 0, -it.daysAgo).Add(time.Duration(i) * time.Minute)
		f.store.SetClock(func() time.Time { return at })
		ms := store.ItemMatchStory(&it.item, tags[it.feed])
		fetch := &store.Fetch{FeedID: it.feed, StartedAt: at, Outcome: store.OutcomeOK, Status: 200,
			Items: []feed.Item{it.item}, RulesVersion: f.cfg.Rules.Version(),
			Matches: [][]match.Result{f.cfg.Rules.Match(&ms)}, NextDue: at.Add(30 * time.Minute)}
		if _, err := f.store.SaveFetches(t.Context(), []*store.Fetch{fetch}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.store.Stories(t.Context(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		f.ids[st.Title] = st.ID
	}
	if len(f.ids) != len(fixtureItems()) {
		t.Fatalf("stored %d stories, want %d", len(f.ids), len(fixtureItems()))
	}
}

// testWriter sends the console's log to the test's, so a failing page
// shows why.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// get requests path from the console and returns the response and body.
func (f *fixture) get(path string, hdr ...string) (*http.Response, string) {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return f.do(req)
}

func (f *fixture) do(req *http.Request) (*http.Response, string) {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	res := rec.Result()
	return res, rec.Body.String()
}

func (f *fixture) post(path string, form map[string]string, hdr ...string) (*http.Response, string) {
	f.t.Helper()
	var b strings.Builder
	for k, v := range form {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + v)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return f.do(req)
}

// ingest runs feed bytes through the poller's path (parse and normalise,
// match with the feed's tags, store) and returns the ids of the stories
// written, or nil when the bytes are no feed. t is the caller's own test,
// so a fuzz target can use one fixture for every input.
func (f *fixture) ingest(t testing.TB, feedID string, body []byte) []int64 {
	parsed, err := feed.Parse(body, "", "https://cambojanews.example/feed")
	if err != nil || len(parsed.Items) == 0 {
		return nil
	}
	var tags []string
	for _, fd := range f.cfg.Feeds {
		if fd.ID == feedID {
			tags = fd.Tags
		}
	}
	results := make([][]match.Result, len(parsed.Items))
	for i := range parsed.Items {
		ms := store.ItemMatchStory(&parsed.Items[i], tags)
		results[i] = f.cfg.Rules.Match(&ms)
	}
	before, err := f.store.Stories(t.Context(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	fetch := &store.Fetch{FeedID: feedID, StartedAt: now, Outcome: store.OutcomeOK, Status: 200, Items: parsed.Items,
		RulesVersion: f.cfg.Rules.Version(), Matches: results, NextDue: now.Add(30 * time.Minute)}
	if _, err := f.store.SaveFetches(t.Context(), []*store.Fetch{fetch}); err != nil {
		t.Fatalf("store: %v", err)
	}
	// Stories written or rewritten by this fetch: their sightings name
	// the feed and they are not among the ones listed before, or they
	// changed.
	after, err := f.store.Stories(t.Context(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	old := map[int64]store.Story{}
	for _, st := range before {
		old[st.ID] = st
	}
	var ids []int64
	for _, st := range after {
		if o, ok := old[st.ID]; !ok || o.Title != st.Title || o.Text != st.Text || o.Summary != st.Summary {
			ids = append(ids, st.ID)
		}
	}
	return ids
}
