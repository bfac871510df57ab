package evidence

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// story is a feed item to store; matched stories get a hit on "unions".
type story struct {
	path    string
	matched bool
}

// seed stores one feed's items pointing at base+path and returns the story
// id of each path.
// seedHeadline is the title seed gives every story.
const seedHeadline = "Garment workers strike"

func seed(t testing.TB, st *store.Store, base string, stories ...story) map[string]int64 {
	t.Helper()
	ctx := t.Context()
	if err := st.SyncFeeds(ctx, []store.FeedRef{{ID: "f", Name: "f", URL: "https://f.example/feed"}}, t0); err != nil {
		t.Fatal(err)
	}
	var items []feed.Item
	var matches [][]match.Result
	for _, s := range stories {
		// Every test page carries this headline, as a real article page
		// carries its story's (Runner.readArticle checks it).
		items = append(items, feed.Item{GUID: s.path, URL: base + s.path, Title: seedHeadline})
		var res []match.Result
		if s.matched {
			res = []match.Result{{Topic: "unions", Hits: []match.Hit{{Term: "strike", Field: match.FieldTitle, Start: 16, End: 22}}}}
		}
		matches = append(matches, res)
	}
	st.SetClock(func() time.Time { return t0 })
	if _, err := st.SaveFetches(ctx, []*store.Fetch{{FeedID: "f", StartedAt: t0, Outcome: store.OutcomeOK,
		Items: items, RulesVersion: "v1", Matches: matches}}); err != nil {
		t.Fatal(err)
	}
	all, err := st.Stories(ctx, store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, s := range all {
		ids[strings.TrimPrefix(s.URL, base)] = s.ID
	}
	return ids
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "cw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newRunner(t *testing.T, st *store.Store, f Fetcher, o Options) (*Runner, Archive) {
	t.Helper()
	a, err := NewWARCDir(filepath.Join(t.TempDir(), "evidence"), 0)
	if err != nil {
		t.Fatal(err)
	}
	o.Log = slog.New(slog.DiscardHandler)
	return NewRunner(st, f, a, o), a
}

func testFetcher(guard func(string) error) *fetch.Fetcher {
	return fetch.New(fetch.Options{Timeout: 2 * time.Second, MaxBody: 1 << 20, PerHost: 2,
		UserAgent: "civicwatch-test/1", Guard: guard})
}

const article = "<html><body><article><h1>Garment workers strike</h1><p>Union leaders said…</p></article></body></html>"

func TestMatchedStoryCapturedOnceAndVerifies(t *testing.T) {
	var hits atomic.Int32
	var gotUA atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		gotUA.Store(r.UserAgent())
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/a", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, article+r.URL.Path)
	}))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/old", true}, story{"/unmatched", false})
	r, a := newRunner(t, st, testFetcher(nil), Options{Now: func() time.Time { return t0 }})

	rep, err := r.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 1 || rep.Captured != 1 || rep.Failed != 0 {
		t.Fatalf("first run %+v, want one queued and captured", rep)
	}
	if ua, _ := gotUA.Load().(string); ua != "civicwatch-test/1" {
		t.Errorf("User-Agent %q, want the fetcher's", ua)
	}
	caps, err := st.Captures(t.Context(), ids["/old"])
	if err != nil || len(caps) != 1 {
		t.Fatalf("captures %+v, %v; want one", caps, err)
	}
	c := caps[0]
	if c.FinalURL != srv.URL+"/a" || c.URL != srv.URL+"/old" || c.Status != 200 {
		t.Errorf("capture %+v: want final URL %s/a after the redirect, status 200", c, srv.URL)
	}
	want := sha256.Sum256([]byte(article + "/a"))
	if c.BodySHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("stored SHA-256 %s, want %x", c.BodySHA256, want)
	}
	// The WARC reads back with the library's reader; its payload hashes to
	// the stored value.
	body, err := a.Payload(Location{File: c.WARCFile, Offset: c.WARCOffset})
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(body); hex.EncodeToString(got[:]) != c.BodySHA256 {
		t.Errorf("WARC payload SHA-256 %x, stored %s", got, c.BodySHA256)
	}

	// The unmatched story is not captured, nor even queued.
	if caps, _ := st.Captures(t.Context(), ids["/unmatched"]); len(caps) != 0 {
		t.Errorf("unmatched story captured: %+v", caps)
	}
	if _, err := st.EvidenceOf(t.Context(), ids["/unmatched"]); !errors.Is(err, store.ErrNoEvidence) {
		t.Errorf("unmatched story queued (%v)", err)
	}

	// A second run captures nothing new and fetches nothing.
	before := hits.Load()
	rep, err = r.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 0 || rep.Captured != 0 || hits.Load() != before {
		t.Errorf("second run %+v, %d requests: want nothing new", rep, hits.Load()-before)
	}
	if caps, _ := st.Captures(t.Context(), ids["/old"]); len(caps) != 1 {
		t.Errorf("%d captures after the second run, want 1", len(caps))
	}
}

func TestCaptureModes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, article) }))
	defer srv.Close()
	for _, tt := range []struct {
		mode string
		want int
	}{{config.CaptureMatched, 1}, {config.CaptureAll, 2}, {config.CaptureOff, 0}} {
		t.Run(tt.mode, func(t *testing.T) {
			st := openStore(t)
			seed(t, st, srv.URL, story{"/m", true}, story{"/u", false})
			r, _ := newRunner(t, st, testFetcher(nil), Options{Capture: tt.mode, Now: func() time.Time { return t0 }})
			rep, err := r.Run(t.Context())
			if err != nil || rep.Captured != tt.want {
				t.Errorf("capture: %s captured %d (%v), want %d", tt.mode, rep.Captured, err, tt.want)
			}
		})
	}
}

func TestDailyBudget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, article) }))
	defer srv.Close()
	st := openStore(t)
	seed(t, st, srv.URL, story{"/1", true}, story{"/2", true}, story{"/3", true})
	now := t0
	r, _ := newRunner(t, st, testFetcher(nil), Options{DailyBudget: 2, Now: func() time.Time { return now }})
	rep, err := r.Run(t.Context())
	if err != nil || rep.Captured != 2 || !rep.OutOfBudget {
		t.Fatalf("run %+v, %v: want 2 captures and the budget spent", rep, err)
	}
	if rep, _ = r.Run(t.Context()); rep.Captured != 0 {
		t.Errorf("same day: %d more captures, want 0", rep.Captured)
	}
	now = t0.Add(24 * time.Hour)
	if rep, _ = r.Run(t.Context()); rep.Captured != 1 {
		t.Errorf("next day: %d captures, want the last 1", rep.Captured)
	}
}

// countingListener counts connections accepted, to show the guard refused
// a redirect before any connection was made.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func TestHostilePagesFailClearly(t *testing.T) {
	// The loopback target of the redirect, which the guard must refuse.
	inner := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	innerL := &countingListener{Listener: inner.Listener}
	inner.Listener = innerL
	inner.Start()
	defer inner.Close()

	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	gz.Write(make([]byte, 8<<20)) // 8 MiB of zeros, a few KiB on the wire
	gz.Close()

	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		case "/stall":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "/to-loopback":
			http.Redirect(w, r, inner.URL+"/admin", http.StatusFound)
		case "/gone":
			http.NotFound(w, r)
		case "/latin1":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<p>caf\xe9 \xff\xfe</p>"))
		default:
			io.WriteString(w, article)
		}
	}))
	defer srv.Close()
	defer close(stop)

	// The guard is on, as in production, except for the article server
	// itself, which tests can only run on loopback.
	outer := srv.Listener.Addr().String()
	guard := func(addr string) error {
		if addr == outer {
			return nil
		}
		return fetch.PublicOnly(addr)
	}
	f := fetch.New(fetch.Options{Timeout: 500 * time.Millisecond, MaxBody: 1 << 20, PerHost: 2, UserAgent: "t", Guard: guard})

	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/bomb", true}, story{"/stall", true}, story{"/to-loopback", true},
		story{"/gone", true}, story{"/latin1", true}, story{"/good", true})
	r, a := newRunner(t, st, f, Options{Now: func() time.Time { return t0 }})
	rep, err := r.Run(t.Context())
	if err != nil {
		t.Fatalf("run stopped: %v", err)
	}
	if rep.Failed != 4 || rep.Captured != 2 {
		t.Errorf("run %+v: want 4 failures and 2 captures", rep)
	}
	wantErr := map[string]string{
		"/bomb":        "exceeds the size limit",
		"/stall":       "timed out",
		"/to-loopback": "private or reserved",
		"/gone":        "HTTP 404",
	}
	for path, want := range wantErr {
		e, err := st.EvidenceOf(t.Context(), ids[path])
		if err != nil {
			t.Fatal(err)
		}
		if e.State != store.EvidenceQueued || e.Attempts != 1 || !strings.Contains(e.LastError, want) || e.Captures != 0 {
			t.Errorf("%s: %+v, want queued for retry after 1 attempt, error containing %q, no capture", path, e, want)
		}
	}
	if n := innerL.n.Load(); n != 0 {
		t.Errorf("the guard let %d connections reach the loopback target", n)
	}
	// A page that is not valid UTF-8 is evidence all the same: its bytes are
	// kept exactly, to be judged when text is extracted.
	caps, _ := st.Captures(t.Context(), ids["/latin1"])
	if len(caps) != 1 {
		t.Fatalf("invalid UTF-8 page: %d captures, want 1", len(caps))
	}
	body, err := a.Payload(Location{File: caps[0].WARCFile, Offset: caps[0].WARCOffset})
	if err != nil || !bytes.Equal(body, []byte("<p>caf\xe9 \xff\xfe</p>")) {
		t.Errorf("payload %q, %v: want the bytes as served", body, err)
	}
}

func TestGivenUpAfterMaxAttempts(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/x", true})
	now := t0
	r, _ := newRunner(t, st, testFetcher(nil), Options{MaxAttempts: 2, RetryAfter: time.Hour, Now: func() time.Time { return now }})
	for i, want := range []string{store.EvidenceQueued, store.EvidenceQueued, store.EvidenceFailed} {
		// The middle run is too early for the retry and tries nothing.
		if i == 2 {
			now = now.Add(time.Hour)
		}
		if _, err := r.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		e, _ := st.EvidenceOf(t.Context(), ids["/x"])
		if e.State != want {
			t.Errorf("after run %d: state %s (%d attempts), want %s", i+1, e.State, e.Attempts, want)
		}
	}
	e, _ := st.EvidenceOf(t.Context(), ids["/x"])
	if e.Attempts != 2 {
		t.Errorf("%d attempts, want 2", e.Attempts)
	}
}
