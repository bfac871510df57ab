package evidence

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// articlePage is a page under the story's headline whose article names
// what the feed's title does not.
func articlePage(body string) string {
	return "<html><head><title>x</title></head><body><nav>Home News</nav><article><h1>Garment workers strike</h1><h2>Court hearing</h2>" +
		"<p>" + body + "</p><p>Lawyers for the defendants said they would appeal the decision of the court, " +
		"which was handed down after a hearing that lasted most of the day in the capital.</p></article></body></html>"
}

// TestCaptureMatchesTheArticle: a story the feed's text did not match
// matches on its captured article, the topic's matched_at is the capture's
// time and the story's article_at (what the digest reads), an edit re-matches
// with the new text, and a later feed update does not drop the article's
// topics.
func TestCaptureMatchesTheArticle(t *testing.T) {
	body := "The union leader Rong Chhun was arrested on Monday."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, articlePage(body))
	}))
	defer srv.Close()
	rules, err := match.Compile([]match.Topic{{ID: "unions", Rule: "article:union AND arrest*"}, {ID: "courts", Rule: "appeal*"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/thin", false})
	id := ids["/thin"]
	now := t0.Add(time.Hour)
	r, _ := newRunner(t, st, testFetcher(nil), Options{Capture: config.CaptureAll, Rules: rules,
		Rechecks: []time.Duration{24 * time.Hour, 48 * time.Hour}, Now: func() time.Time { return now }})
	if _, err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms, err := st.MatchesForStory(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Topic != "courts" || ms[1].Topic != "unions" {
		t.Fatalf("matches after capture %+v, want courts and unions from the article", ms)
	}
	s, err := st.Story(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Article, "Rong Chhun") || s.RulesVersion != rules.Version() {
		t.Errorf("story article %q, rules %q", s.Article, s.RulesVersion)
	}
	for _, m := range ms {
		if !m.MatchedAt.Equal(now) {
			t.Errorf("%s matched at %v, want the time of the capture run %v", m.Topic, m.MatchedAt, now)
		}
		for _, h := range m.Hits {
			if h.Field != match.FieldArticle || s.Article[h.Start:h.End] == "" {
				t.Errorf("%s hit %+v: want a hit in the article", m.Topic, h)
			}
		}
	}

	// The page is edited: the arrest is gone, so is the topic; the
	// appeal stays.
	body = "The union leader Rong Chhun was questioned on Monday."
	now = now.Add(25 * time.Hour)
	if rep, err := r.Run(t.Context()); err != nil || rep.Changed[store.EvidenceEdited] != 1 {
		t.Fatalf("re-check: %+v, %v; want edited", rep, err)
	}
	if ms, _ = st.MatchesForStory(t.Context(), id); len(ms) != 1 || ms[0].Topic != "courts" {
		t.Fatalf("matches after the edit %+v, want courts alone", ms)
	}

	// The feed changes the story's title: the poller's results lack the
	// article, so the story keeps its matches until the runner matches it
	// again, article included.
	if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "f", StartedAt: now, Outcome: store.OutcomeOK,
		Items: []feed.Item{{GUID: "/thin", URL: srv.URL + "/thin", Title: "story /thin, updated"}}, RulesVersion: rules.Version(),
		Matches: [][]match.Result{nil}}}); err != nil {
		t.Fatal(err)
	}
	if ms, _ = st.MatchesForStory(t.Context(), id); len(ms) != 1 {
		t.Fatalf("a feed update dropped the article's matches: %+v", ms)
	}
	if stale, err := st.StaleArticles(t.Context(), 10); err != nil || len(stale) != 1 {
		t.Fatalf("stale articles %d, %v; want the updated story", len(stale), err)
	}
	if _, err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stale, _ := st.StaleArticles(t.Context(), 10); len(stale) != 0 {
		t.Errorf("%d stories still to match after a run", len(stale))
	}
	if ms, _ = st.MatchesForStory(t.Context(), id); len(ms) != 1 || ms[0].Topic != "courts" {
		t.Errorf("matches after the runner's re-match %+v, want courts", ms)
	}
}
