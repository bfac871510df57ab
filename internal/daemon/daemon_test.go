package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// feedServer serves /fN as an RSS feed of items stories about a strike;
// delay slows every answer down, and /hang never answers before the test
// ends.
func feedServer(t *testing.T, items int, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	done := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		}
		served.Add(1)
		time.Sleep(delay)
		n := strings.TrimPrefix(r.URL.Path, "/")
		var b strings.Builder
		fmt.Fprintf(&b, `<rss version="2.0"><channel><title>feed %s</title>`, n)
		for i := range items {
			fmt.Fprintf(&b, `<item><title>Garment workers strike %d in feed %s</title><link>https://d.example/%s/%d</link><description>%s</description></item>`,
				i, n, n, i, strings.Repeat("Workers protested at the factory gate. ", 10))
		}
		b.WriteString(`</channel></rss>`)
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(func() { close(done); ts.Close() })
	return ts, &served
}

// writeConfig writes feeds.yaml into dir: feeds named by path on base, a
// topic with rule, and extra appended (a digest section). Evidence capture
// is off unless extra has an evidence section.
func writeConfig(t *testing.T, dir, base string, paths []string, rule, extra string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("fetch:\n  interval: 1s\n  timeout: 1s\n  concurrency: 8\n  per_host: 8\n  allow_private_networks: true\nfeeds:\n")
	for i, p := range paths {
		fmt.Fprintf(&b, "  - id: f%03d\n    url: %s/%s\n", i, base, p)
	}
	if rule != "" {
		fmt.Fprintf(&b, "topics:\n  - id: strikes\n    name: Strikes\n    rule: %s\n", rule)
	}
	b.WriteString(extra)
	if !strings.Contains(extra, "evidence:") {
		// The stories of these tests link to names under .example: a
		// capture would leave the machine. Tests of evidence configure it.
		b.WriteString("evidence:\n  capture: off\n")
	}
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// running is a daemon started by a test.
type running struct {
	addr string
	done chan error
	stop context.CancelFunc
}

func start(t *testing.T, opts Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	opts.Ready = func(a string) { ready <- a }
	if opts.Tick == 0 {
		opts.Tick = 50 * time.Millisecond
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &running{done: make(chan error, 1), stop: cancel}
	go func() { r.done <- Run(ctx, opts) }()
	select {
	case r.addr = <-ready:
	case err := <-r.done:
		cancel()
		t.Fatalf("daemon did not start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("daemon did not start within 10s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return r
}

// wait stops r and returns Run's error.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("daemon did not stop within 15s")
		return nil
	}
}

func getHealth(t *testing.T, addr string) (int, Health) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func getMetrics(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// eventually polls cond for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countStories(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Stories(context.Background(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(s)
}

func TestSecondDaemonIsRefused(t *testing.T) {
	ts, _ := feedServer(t, 1, 0)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, ts.URL, []string{"a"}, "", "")
	db := filepath.Join(dir, "cw.db")
	first := start(t, Options{ConfigPath: cfg, DBPath: db})

	began := time.Now()
	err := Run(context.Background(), Options{ConfigPath: cfg, DBPath: db, Listen: "127.0.0.1:0"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second daemon: %v, want ErrLocked", err)
	}
	if time.Since(began) > 2*time.Second {
		t.Errorf("second daemon took %s to give up", time.Since(began))
	}
	for _, want := range []string{db + ".lock", fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %q", err, want)
		}
	}
	if code, _ := getHealth(t, first.addr); code != http.StatusOK {
		t.Errorf("first daemon's /healthz: %d after the second was refused", code)
	}
	if err := first.wait(t); err != nil {
		t.Fatal(err)
	}
	// The lock died with the first daemon: a third one starts.
	third := start(t, Options{ConfigPath: cfg, DBPath: db})
	if err := third.wait(t); err != nil {
		t.Fatal(err)
	}
}

// panicSender panics on every digest it is asked to send.
type panicSender struct{ calls atomic.Int64 }

func (p *panicSender) Send(context.Context, *digest.Message) error {
	p.calls.Add(1)
	panic("sender exploded")
}

// TestPanicsAndHangsDoNotStopTheDaemon: a digest job that panics is
// recovered, a fetch that hangs ends at fetch.timeout, and polling goes on.
func TestPanicsAndHangsDoNotStopTheDaemon(t *testing.T) {
	ts, served := feedServer(t, 2, 0)
	dir := t.TempDir()
	extra := "digest:\n  delivery: file\n  dir: " + filepath.Join(dir, "out") + "\n  from: \"cw <cw@example.org>\"\n  recipients:\n    - email: a@example.org\n"
	cfg := writeConfig(t, dir, ts.URL, []string{"good", "hang"}, "strike", extra)
	ps := &panicSender{}
	trigger := make(chan struct{})
	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), Sender: ps, DigestTrigger: trigger})

	eventually(t, "the digest job to run", func() bool { return ps.calls.Load() >= 1 })
	trigger <- struct{}{} // the loop survived the panic: it takes the trigger
	eventually(t, "the hung fetch to time out", func() bool {
		_, h := getHealth(t, r.addr)
		return len(h.Failing) == 1 && h.Failing[0].ID == "f001"
	})
	before := served.Load()
	eventually(t, "the good feed to be polled again", func() bool { return served.Load() > before+1 })
	if m := getMetrics(t, r.addr); !strings.Contains(m, `civicwatch_fetches_total{outcome="error"}`) {
		t.Errorf("no error fetch counted:\n%s", m)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

// TestLinksToARunningDaemonsDatabaseAreRefused: the lock follows the file,
// not its name. A symlink and a hard link to the database of a running
// daemon are refused, naming its PID, and it keeps running.
func TestLinksToARunningDaemonsDatabaseAreRefused(t *testing.T) {
	ts, _ := feedServer(t, 1, 0)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, ts.URL, []string{"a"}, "", "")
	db := filepath.Join(dir, "cw.db")
	first := start(t, Options{ConfigPath: cfg, DBPath: db})

	other := t.TempDir() // a hard link's side file would be elsewhere
	sym, hard := filepath.Join(other, "alias.db"), filepath.Join(other, "hard.db")
	if err := os.Symlink(db, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	for _, alias := range []string{sym, hard} {
		err := Run(context.Background(), Options{ConfigPath: cfg, DBPath: alias, Listen: "127.0.0.1:0"})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("daemon on %s: %v, want ErrLocked", alias, err)
		}
		for _, want := range []string{alias, fmt.Sprintf("pid %d", os.Getpid())} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not name %q", err, want)
			}
		}
		if _, err := AcquireLock(alias); !errors.Is(err, ErrLocked) {
			t.Errorf("AcquireLock(%s) beside the daemon: %v, want ErrLocked", alias, err)
		}
	}
	if code, _ := getHealth(t, first.addr); code != http.StatusOK {
		t.Errorf("first daemon's /healthz: %d after the links were refused", code)
	}
	if err := first.wait(t); err != nil {
		t.Fatal(err)
	}
	// Free again: the hard link now takes the lock, and the original is refused.
	l, err := AcquireLock(hard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(db); !errors.Is(err, ErrLocked) {
		t.Errorf("AcquireLock(%s) beside its hard link's holder: %v", db, err)
	}
	l.Release()
}

// stuckSender never hears back from its mail server: each attempt waits
// until the run gives up on it.
type stuckSender struct{ calls atomic.Int64 }

func (s *stuckSender) Send(ctx context.Context, _ *digest.Message) error {
	s.calls.Add(1)
	<-ctx.Done()
	return &digest.DeliveryError{Temporary: true, Err: ctx.Err()}
}

// TestStuckMailServerDoesNotHoldPollsUp: digests are built between poll
// rounds but delivered beside them, so polling goes on while a delivery
// waits on a mail server that never answers.
func TestStuckMailServerDoesNotHoldPollsUp(t *testing.T) {
	ts, served := feedServer(t, 2, 0)
	dir := t.TempDir()
	extra := "digest:\n  delivery: file\n  dir: " + filepath.Join(dir, "out") + "\n  from: \"cw <cw@example.org>\"\n  recipients:\n    - email: a@example.org\n"
	cfg := writeConfig(t, dir, ts.URL, []string{"good"}, "strike", extra)
	ss := &stuckSender{}
	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), Sender: ss,
		Retry: digest.Retry{Attempts: 1, Budget: time.Minute, Sleep: digest.DefaultRetry.Sleep}})
	eventually(t, "a delivery to get stuck", func() bool { return ss.calls.Load() >= 1 })
	before := served.Load()
	eventually(t, "the feed to be polled while the delivery is stuck", func() bool { return served.Load() >= before+2 })
	if n := ss.calls.Load(); n != 1 {
		t.Errorf("%d deliveries started; the stuck one should still be the only one", n)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}
