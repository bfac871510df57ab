package daemon

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/alert"
)

// fixedClock is a clock that stands still until the test moves it.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// growingFeed serves one RSS feed whose items the test adds to.
type growingFeed struct {
	mu    sync.Mutex
	items []string // titles; item i links to /story/i
}

func (f *growingFeed) add(titles ...string) {
	f.mu.Lock()
	f.items = append(f.items, titles...)
	f.mu.Unlock()
}

func (f *growingFeed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>News</title>`)
	for i, t := range f.items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://news.example/story/%d</link><guid>s%d</guid><description>%s</description></item>`, t, i, i, t)
	}
	b.WriteString(`</channel></rss>`)
	fmt.Fprint(w, b.String())
}

// hookReceiver is a loopback webhook receiver with scripted answers.
type hookReceiver struct {
	mu     sync.Mutex
	got    []hookRequest
	script []string // "500", "drop", "hangup"; then 200
}

type hookRequest struct {
	at     time.Time
	header http.Header
	body   []byte
	event  alert.Event
}

func (h *hookReceiver) then(answers ...string) {
	h.mu.Lock()
	h.script = append(h.script, answers...)
	h.mu.Unlock()
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev alert.Event
	_ = json.Unmarshal(body, &ev)
	h.mu.Lock()
	h.got = append(h.got, hookRequest{at: time.Now(), header: r.Header.Clone(), body: body, event: ev})
	answer := ""
	if len(h.script) > 0 {
		answer, h.script = h.script[0], h.script[1:]
	}
	h.mu.Unlock()
	switch answer {
	case "":
		w.WriteHeader(http.StatusNoContent)
	case "drop": // accepted, then the connection dies mid-answer
		conn, buf, _ := http.NewResponseController(w).Hijack()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
		buf.Flush()
		conn.Close()
	case "hangup": // no answer at all
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	default:
		var code int
		fmt.Sscan(answer, &code)
		w.WriteHeader(code)
	}
}

const alertSecret = "e2e-signing-secret-42"

// TestAlertsEndToEnd drives the daemon with a fixed clock against a loopback
// feed and webhook receiver: a matching story is pushed once, signed, within
// the two-minute bound; polling the same feed again pushes nothing; twenty
// stories in one poll are one message; a receiver answering 500 twice gets
// the message on the third try with the same event id; one that accepts and
// drops the connection is not sent it again; and a message pending when the
// daemon stops is sent once by the next daemon.
func TestAlertsEndToEnd(t *testing.T) {
	feedSrv := &growingFeed{}
	fs := httptest.NewServer(feedSrv)
	defer fs.Close()
	hook := &hookReceiver{}
	hs := httptest.NewServer(hook)
	defer hs.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feeds.yaml")
	cfgText := fmt.Sprintf(`fetch:
  interval: 1s
  timeout: 2s
  allow_private_networks: true
feeds:
  - id: news
    name: Loopback News
    url: %s/feed
topics:
  - id: unions
    rule: union*
alerts:
  - id: urgent
    topics: [unions]
    cooldown: 15m
    channels:
      - webhook: %s/hook
        secret_env: CW_HOOK_SECRET
evidence:
  capture: off
`, fs.URL, hs.URL)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "cw.db")
	clock := &fixedClock{t: time.Now().UTC().Truncate(time.Second).Add(-time.Minute)}
	env := func(k string) (string, bool) {
		if k == "CW_HOOK_SECRET" {
			return alertSecret, true
		}
		return "", false
	}
	trigger := make(chan struct{})
	opts := Options{ConfigPath: cfgPath, DBPath: db, Now: clock.now, LookupEnv: env, AlertTrigger: trigger}
	r := start(t, opts)
	waitRequests := func(what string, n int) []hookRequest {
		t.Helper()
		eventually(t, what, func() bool { return len(hook.requests()) >= n })
		return hook.requests()
	}
	// settle lets the daemon poll a few more rounds and run the alert
	// loop, so that a message that should not exist would have been sent.
	settle := func() {
		t.Helper()
		time.Sleep(1500 * time.Millisecond) // more than a fetch.interval: the feed is polled again
		clock.add(2 * time.Hour)
		trigger <- struct{}{}
		trigger <- struct{}{}
	}

	// 1. One matching story: one signed POST within the bound, listing it.
	feedSrv.add("Union leader arrested", "Rice harvest up")
	reqs := waitRequests("the first alert", 1)
	first := reqs[0]
	if got, want := first.header.Get(alert.HeaderSignature), alert.Sign([]byte(alertSecret), first.body); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature %q does not verify (want %q)", got, want)
	}
	if first.header.Get(alert.HeaderEventID) != first.event.EventID || first.event.Alert != "urgent" {
		t.Errorf("event id header %q, body %+v", first.header.Get(alert.HeaderEventID), first.event)
	}
	if len(first.event.Stories) != 1 || first.event.Stories[0].Title != "Union leader arrested" ||
		first.event.Stories[0].Outlets[0] != "Loopback News" {
		t.Fatalf("stories %+v", first.event.Stories)
	}
	if lag := first.at.Sub(first.event.Stories[0].FirstSeen); lag < 0 || lag > 2*time.Minute {
		t.Errorf("pushed %v after the story was stored, want within 2 minutes", lag)
	}
	// 2. The same feed polled again: nothing.
	settle()
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("after polling the same feed again the receiver has %d requests, want 1", n)
	}

	// 3. Twenty stories in one poll: one message. The receiver accepts it
	// and drops the connection: recorded sent, never repeated.
	hook.then("drop")
	var burst []string
	for i := range 20 {
		burst = append(burst, fmt.Sprintf("Union federation statement %d", i))
	}
	feedSrv.add(burst...)
	reqs = waitRequests("the bundled alert", 2)
	if n := len(reqs[1].event.Stories); n != 20 {
		t.Fatalf("the burst gave a message with %d stories, want 20", n)
	}
	settle()
	if n := len(hook.requests()); n != 2 {
		t.Fatalf("after an accepted-then-dropped delivery the receiver has %d requests, want 2", n)
	}

	// 4. A receiver answering 500 twice: the third try delivers, same id.
	hook.then("500", "500")
	feedSrv.add("Union registration refused")
	waitRequests("the first try", 3)
	// Move past each backoff and wake the alert loop until the retries
	// have come (a wake-up during an attempt finds nothing due yet).
	eventually(t, "the third try", func() bool {
		if len(hook.requests()) >= 5 {
			return true
		}
		clock.add(10 * time.Minute)
		select {
		case trigger <- struct{}{}:
		case <-time.After(100 * time.Millisecond):
		}
		return false
	})
	reqs = hook.requests()
	id := reqs[2].event.EventID
	for _, rq := range reqs[3:] {
		if rq.event.EventID != id || rq.header.Get(alert.HeaderEventID) != id || string(rq.body) != string(reqs[2].body) {
			t.Errorf("a retry carries event id %q, want %q and the same body", rq.event.EventID, id)
		}
	}
	settle()
	if n := len(hook.requests()); n != 5 {
		t.Fatalf("after the third try succeeded the receiver has %d requests, want 5", n)
	}

	// 5. A message pending when the daemon stops goes out once after a restart.
	hook.then("hangup")
	feedSrv.add("Union president detained")
	reqs = waitRequests("the attempt before the restart", 6)
	pendingID := reqs[5].event.EventID
	if err := r.wait(t); err != nil {
		t.Fatalf("daemon stopped with %v", err)
	}
	clock.add(time.Hour)
	r = start(t, opts)
	reqs = waitRequests("the resend after the restart", 7)
	if reqs[6].event.EventID != pendingID {
		t.Errorf("after the restart the receiver got event %q, want the pending %q", reqs[6].event.EventID, pendingID)
	}
	settle()
	if n := len(hook.requests()); n != 7 {
		t.Errorf("after the restart the receiver has %d requests, want 7", n)
	}
	m := getMetrics(t, r.addr)
	if !strings.Contains(m, `civicwatch_alert_attempts_total{alert="urgent",kind="webhook",outcome="sent"} 1`) {
		t.Errorf("/metrics does not count the resend:\n%s", grepLines(m, "civicwatch_alert"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAlertChannelFailingReported: a channel whose messages fail is quiet
// on /healthz for the first hour and reported after it, with its error but
// no secret; /metrics counts the attempts.
func TestAlertChannelFailingReported(t *testing.T) {
	feedSrv := &growingFeed{}
	fs := httptest.NewServer(feedSrv)
	defer fs.Close()
	hook := &hookReceiver{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	hook.then("500", "500", "500", "500", "500", "500", "500", "500")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feeds.yaml")
	cfgText := fmt.Sprintf(`fetch:
  interval: 1s
  timeout: 2s
  allow_private_networks: true
feeds:
  - id: news
    url: %s/feed
topics:
  - id: unions
    rule: union*
alerts:
  - id: urgent
    topics: [unions]
    channels:
      - webhook: %s/hook?key=querysecret
        secret_env: CW_HOOK_SECRET
evidence:
  capture: off
`, fs.URL, hs.URL)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{t: time.Now().UTC().Add(-time.Minute)}
	env := func(k string) (string, bool) { return alertSecret, k == "CW_HOOK_SECRET" }
	r := start(t, Options{ConfigPath: cfgPath, DBPath: filepath.Join(dir, "cw.db"), Now: clock.now, LookupEnv: env})
	feedSrv.add("Union leader arrested")
	eventually(t, "the first attempt", func() bool { return len(hook.requests()) >= 1 })
	eventually(t, "the first failure in /metrics", func() bool {
		return strings.Contains(getMetrics(t, r.addr), `civicwatch_alert_attempts_total{alert="urgent",kind="webhook",outcome="pending"} 1`)
	})
	if code, h := getHealth(t, r.addr); len(h.Alerts) != 0 || code != http.StatusOK {
		t.Errorf("a channel failing for a minute is reported: %d %+v", code, h.Alerts)
	}
	clock.add(61 * time.Minute)
	code, h := getHealth(t, r.addr)
	if code != http.StatusServiceUnavailable || len(h.Alerts) != 1 {
		t.Fatalf("/healthz %d, alerts %+v: want the failing channel", code, h.Alerts)
	}
	a := h.Alerts[0]
	if a.Alert != "urgent" || a.Channel != "webhook "+hs.URL+"/hook" || !strings.Contains(a.LastError, "HTTP 500") {
		t.Errorf("failing channel %+v", a)
	}
	resp, err := http.Get("http://" + r.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "querysecret") || strings.Contains(string(body), alertSecret) {
		t.Errorf("/healthz shows a secret:\n%s", body)
	}
}
