package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/savepagenow/spntest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// articleSite serves a feed at /feed whose items link to pages on the same
// loopback server: /a/strike-N (matched by the test rule "strike") and
// /a/weather (not matched). Pages answer with handle, or an article.
type articleSite struct {
	srv      *httptest.Server
	feeds    atomic.Int64
	mu       sync.Mutex
	requests map[string]int    // article path → requests
	agents   map[string]string // article path → User-Agent
	handle   func(w http.ResponseWriter, r *http.Request) bool
	strikes  int
}

func newArticleSite(t *testing.T, strikes int, handle func(w http.ResponseWriter, r *http.Request) bool) *articleSite {
	t.Helper()
	s := &articleSite{requests: map[string]int{}, agents: map[string]string{}, handle: handle, strikes: strikes}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed" {
			s.feeds.Add(1)
			var b strings.Builder
			b.WriteString(`<rss version="2.0"><channel><title>site</title>`)
			for i := range s.strikes {
				fmt.Fprintf(&b, `<item><title>Garment workers strike %d</title><link>%s/a/strike-%d</link></item>`, i, s.srv.URL, i)
			}
			fmt.Fprintf(&b, `<item><title>Rain all week</title><link>%s/a/weather</link></item></channel></rss>`, s.srv.URL)
			fmt.Fprint(w, b.String())
			return
		}
		s.mu.Lock()
		s.requests[r.URL.Path]++
		s.agents[r.URL.Path] = r.UserAgent()
		s.mu.Unlock()
		if s.handle != nil && s.handle(w, r) {
			return
		}
		// Each page carries its item's headline, as an article page does.
		headline := "Rain all week"
		if n, ok := strings.CutPrefix(r.URL.Path, "/a/strike-"); ok {
			headline = "Garment workers strike " + n
		}
		fmt.Fprintf(w, `<html><body><article><h1>%s</h1><p>%s</p></article></body></html>`, headline,
			strings.Repeat("Garment workers walked out after their union leader was dismissed. ", 8))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *articleSite) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *articleSite) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

func evidenceOf(t *testing.T, db string) []store.EvidenceEntry {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.EvidenceList(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestDaemonCapturesEvidence: the daemon captures matched stories' pages
// in the background, through the poller's fetcher (its User-Agent, its body
// cap), once each; an unmatched story is left alone; a page over the body
// cap is a capture error logged with the story's id and URL, and the
// daemon goes on; /metrics tells the archive's figures.
func TestDaemonCapturesEvidence(t *testing.T) {
	site := newArticleSite(t, 3, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/a/strike-2" {
			// Over fetch.max_body (64 KiB below).
			fmt.Fprint(w, strings.Repeat("<p>bomb</p>", 20_000))
			return true
		}
		return false
	})
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	cfg := writeConfig(t, dir, site.srv.URL, []string{"feed"}, "strike", "evidence:\n  capture: matched\n")
	// writeConfig has no max_body; a small one shows the cap applies to captures.
	setFetch(t, cfg, "  max_body: 64KiB\n")
	var logs syncBuffer
	r := start(t, Options{ConfigPath: cfg, DBPath: db, UserAgent: "civicwatch-test/1", EvidenceWait: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})

	eventually(t, "two captures and a failure", func() bool {
		es := evidenceOf(t, db)
		captured, failed := 0, 0
		for _, e := range es {
			if e.State == store.EvidenceCaptured {
				captured++
			}
			if e.LastError != "" {
				failed++
			}
		}
		return captured == 2 && failed == 1
	})
	before := site.feeds.Load()
	eventually(t, "polls to go on after the capture error", func() bool { return site.feeds.Load() >= before+2 })
	for _, p := range []string{"/a/strike-0", "/a/strike-1"} {
		if n := site.count(p); n != 1 {
			t.Errorf("%s fetched %d times, want once", p, n)
		}
		site.mu.Lock()
		ua := site.agents[p]
		site.mu.Unlock()
		if ua != "civicwatch-test/1" {
			t.Errorf("%s fetched with User-Agent %q, want the poller's", p, ua)
		}
	}
	if n := site.count("/a/weather"); n != 0 {
		t.Errorf("the unmatched story's page was fetched %d times", n)
	}
	var bomb store.EvidenceEntry
	for _, e := range evidenceOf(t, db) {
		if strings.HasSuffix(e.URL, "/a/strike-2") {
			bomb = e
		}
	}
	if !strings.Contains(bomb.LastError, "size limit") {
		t.Errorf("the oversized page's error: %q, want the body cap named", bomb.LastError)
	}
	logRE := regexp.MustCompile(fmt.Sprintf(`msg="evidence capture failed" story=%d url=%s/a/strike-2 .*size limit`, bomb.StoryID, regexp.QuoteMeta(site.srv.URL)))
	if !logRE.MatchString(logs.String()) {
		t.Errorf("no log line naming the story and URL of the failed capture:\n%s", logs.String())
	}
	m := getMetrics(t, r.addr)
	for _, want := range []string{
		"civicwatch_evidence_captures 2\n",
		`civicwatch_evidence_stories{state="captured"} 2` + "\n",
		`civicwatch_evidence_stories{state="edited"} 0` + "\n",
		`civicwatch_evidence_captures_total{kind="first"} 2` + "\n",
		`civicwatch_evidence_errors_total{kind="capture"} 1` + "\n",
		"civicwatch_evidence_queue_length 1\n", // the oversized page, waiting for its retry
		"civicwatch_evidence_warc_files 1\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^civicwatch_evidence_bytes [1-9]`).MatchString(m) {
		t.Errorf("/metrics gives no evidence bytes on disk:\n%s", m)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

// setFetch adds lines to the fetch section of a config written by writeConfig.
func setFetch(t *testing.T, path, lines string) {
	t.Helper()
	rewrite(t, path, func(s string) string { return strings.Replace(s, "fetch:\n", "fetch:\n"+lines, 1) })
}

// TestEvidenceOffAndBudget: with capture off nothing is fetched but feeds;
// with a daily budget of one, one page is fetched however many qualify.
func TestEvidenceOffAndBudget(t *testing.T) {
	tests := []struct {
		name, section string
		want          int
	}{
		{"off", "evidence:\n  capture: off\n", 0},
		{"budget of one", "evidence:\n  daily_budget: 1\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newArticleSite(t, 3, nil)
			dir := t.TempDir()
			cfg := writeConfig(t, dir, site.srv.URL, []string{"feed"}, "strike", tt.section)
			r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), EvidenceWait: 10 * time.Millisecond})
			// Several poll rounds, each waking the evidence loop, and many
			// of its own passes.
			eventually(t, "three poll rounds", func() bool { return site.feeds.Load() >= 3 })
			time.Sleep(300 * time.Millisecond)
			if n := site.total(); n != tt.want {
				t.Errorf("%d article fetches, want %d", n, tt.want)
			}
			if err := r.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStuckArticleServerDoesNotDelayPolls: a capture waiting on an article
// server that never answers holds up no poll round, and the daemon still
// stops at once when asked.
func TestStuckArticleServerDoesNotDelayPolls(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	site := newArticleSite(t, 1, func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	// The article is on a server of its own, so per-host limits play no part.
	stuck := site.srv.URL
	var polled atomic.Int64
	feeds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polled.Add(1)
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>x</title><item><title>Workers strike</title><link>%s/a/stuck</link></item></channel></rss>`, stuck)
	}))
	defer feeds.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, feeds.URL, []string{"feed"}, "strike", "evidence:\n  capture: matched\n")
	// A fetch may take 30 s: were the capture in the round's way, the
	// round would wait that long.
	rewrite(t, cfg, func(s string) string { return strings.Replace(s, "timeout: 1s", "timeout: 30s", 1) })
	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), Tick: 20 * time.Millisecond})
	select {
	case <-entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the article page was never asked for")
	}
	before := polled.Load()
	began := time.Now()
	// The feed's interval is 1 s: two more rounds take about two seconds.
	eventually(t, "two poll rounds while the capture hangs", func() bool { return polled.Load() >= before+2 })
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("two poll rounds took %s beside a hung capture", d)
	}
	stopped := time.Now()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(stopped); d > 3*time.Second {
		t.Errorf("shutdown took %s with a capture in flight", d)
	}
}

// rewrite edits a file in place.
func rewrite(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonSavePageNow: with evidence.save_page_now on, the daemon hands
// each capture's URL to the API (a loopback fake) with the keys from the
// environment, and counts it in /metrics.
func TestDaemonSavePageNow(t *testing.T) {
	site := newArticleSite(t, 1, nil)
	fake := spntest.New(t, "AK", "SK")
	dir := t.TempDir()
	cfg := writeConfig(t, dir, site.srv.URL, []string{"feed"}, "strike",
		"evidence:\n  save_page_now:\n    enabled: true\n    endpoint: "+fake.Endpoint()+"\n    access_key_env: CW_IA_KEY\n    secret_key_env: CW_IA_SECRET\n")
	env := map[string]string{"CW_IA_KEY": "AK", "CW_IA_SECRET": "SK"}
	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), EvidenceWait: 20 * time.Millisecond,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	eventually(t, "a submission", func() bool { return len(fake.Requests()) >= 1 })
	eventually(t, "the submission counted", func() bool {
		return strings.Contains(getMetrics(t, r.addr), `civicwatch_evidence_spn_submissions_total{outcome="submitted"} 1`+"\n")
	})
	if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].URL != site.srv.URL+"/a/strike-0" || reqs[0].Auth != "LOW AK:SK" {
		t.Errorf("submissions %+v; want the captured page, once, with the keys", reqs)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonMatchesTheArticle: the daemon's runner matches each captured
// story again with its article, so a story whose feed item names nothing
// of the rule ("Rain all week") matches on its page, hits in the field
// article.
func TestDaemonMatchesTheArticle(t *testing.T) {
	site := newArticleSite(t, 1, nil)
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	cfg := writeConfig(t, dir, site.srv.URL, []string{"feed"}, "article:dismissed", "evidence:\n  capture: all\n")
	r := start(t, Options{ConfigPath: cfg, DBPath: db, UserAgent: "civicwatch-test/1", EvidenceWait: 20 * time.Millisecond})
	eventually(t, "the weather story matched on its article", func() bool {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s, err := st.StoryByURL(context.Background(), site.srv.URL+"/a/weather")
		if err != nil {
			return false
		}
		ms, err := st.MatchesForStory(context.Background(), s.ID)
		return err == nil && len(ms) == 1 && len(ms[0].Hits) > 0 && ms[0].Hits[0].Field == "article"
	})
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}
