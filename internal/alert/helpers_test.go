package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

// t0 is the fixed start of every test's clock.
var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// clock is a fixed clock that a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// request is one request a fake receiver saw.
type request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is a loopback fake for an HTTP channel. It answers with the
// scripted responses in turn, then 200.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	script []func(w http.ResponseWriter)
}

func newReceiver(t *testing.T, script ...func(w http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{Method: req.Method, Path: req.URL.EscapedPath(), Header: req.Header.Clone(), Body: body})
		var answer func(w http.ResponseWriter)
		if len(r.script) > 0 {
			answer, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func status(code int, body string, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

// acceptAndDrop answers 200 and then drops the connection before the body
// it announced: the receiver has the message, whatever the client makes of
// the broken answer.
func acceptAndDrop(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"ok\"")
	buf.Flush()
	conn.Close()
}

// hangUp closes the connection without an answer, like a receiver that is
// down mid-request.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// harness is a store, a config and a service on a fixed clock.
type harness struct {
	t     *testing.T
	st    *store.Store
	cfg   *config.Config
	clock *clock
	env   map[string]string
	logs  *syncBuffer
	svc   *Service
	path  string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// baseConfig has two feeds and two topics; alerts are appended.
const baseConfig = `fetch:
  allow_private_networks: true
feeds:
  - id: cambojanews
    name: CamboJA News
    url: https://cambojanews.example/feed
    tags: [cambodia]
  - id: vod
    name: VOD
    url: https://vod.example/feed
    tags: [cambodia]
topics:
  - id: unions
    name: Unions
    rule: 'union* OR សហជីព'
  - id: moi
    name: Ministry of Interior
    rule: '"Ministry of Interior" OR ក្រសួងមហាផ្ទៃ'
`

func newHarness(t *testing.T, alerts string, env map[string]string) *harness {
	t.Helper()
	cfg, err := config.Parse([]byte(baseConfig+alerts), "feeds.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	path := filepath.Join(t.TempDir(), "cw.db")
	h := &harness{t: t, cfg: cfg, clock: &clock{t: t0}, env: env, logs: &syncBuffer{}, path: path}
	h.open()
	return h
}

// open (re)opens the store and builds the service, as a restart would.
func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(context.Background(), h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	st.SetClock(h.clock.now)
	h.st = st
	h.svc = &Service{
		Store: st, Config: h.cfg, Now: h.clock.now,
		LookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		Log:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	refs := make([]store.FeedRef, len(h.cfg.Feeds))
	for i, f := range h.cfg.Feeds {
		refs[i] = store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL}
	}
	if err := st.SyncFeeds(context.Background(), refs, h.clock.now()); err != nil {
		h.t.Fatal(err)
	}
	if err := h.svc.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// item is a feed item with a title, published at the clock's time.
func (h *harness) item(key, title string) feed.Item {
	return feed.Item{GUID: key, URL: "https://news.example/" + key, Title: title, Summary: title, Published: h.clock.now()}
}

// poll stores items as one poll of feedID would, matched by the config's
// rules, as the poller does.
func (h *harness) poll(feedID string, items ...feed.Item) {
	h.t.Helper()
	var tags []string
	for _, f := range h.cfg.Feeds {
		if f.ID == feedID {
			tags = f.Tags
		}
	}
	f := &store.Fetch{FeedID: feedID, StartedAt: h.clock.now(), Status: 200, Outcome: store.OutcomeOK,
		Items: items, RulesVersion: h.cfg.Rules.Version()}
	for i := range items {
		f.Matches = append(f.Matches, h.cfg.Rules.Match(ptr(store.ItemMatchStory(&items[i], tags))))
	}
	if _, err := h.st.SaveFetches(context.Background(), []*store.Fetch{f}); err != nil {
		h.t.Fatal(err)
	}
}

// round is what the daemon does after a poll round: queue, then deliver.
func (h *harness) round() time.Time {
	h.t.Helper()
	if _, err := h.svc.Enqueue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return h.deliver()
}

func (h *harness) deliver() time.Time {
	h.t.Helper()
	next, err := h.svc.Deliver(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return next
}

func (h *harness) ledger() []store.AlertMessage {
	h.t.Helper()
	rows, err := h.st.AlertMessages(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return rows
}

func decodeEvent(t *testing.T, body []byte) Event {
	t.Helper()
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("body is not an event: %v\n%s", err, body)
	}
	return ev
}
