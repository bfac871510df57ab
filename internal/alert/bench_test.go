package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The alert benchmarks poll benchFeeds loopback feeds per round, as the
// daemon does, with benchActive of them carrying a new story each round,
// benchMatching of which match the alert. BenchmarkPollRound is the
// baseline: the same rounds without alerts. BenchmarkAlertLatency adds the
// daemon's hand-off (queue after the round commits, then deliver) and
// reports, from each story's first_seen_at to the webhook receiving it,
// the median and 99th percentile, beside the round time. Run:
//
//	go test -run '^$' -bench 'PollRound|AlertLatency' -benchtime 20x ./internal/alert/
const (
	benchFeeds    = 1000
	benchActive   = 20
	benchMatching = 5
)

// benchFeeds serves /f/N: three old items plus the ones added since, with
// an ETag per version so that an unchanged feed costs a 304.
type benchSource struct {
	mu    sync.Mutex
	extra [][]string // per feed: titles added by rounds
}

func (s *benchSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/f/%d", &i); err != nil || i < 0 || i >= len(s.extra) {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	titles := slices.Clone(s.extra[i])
	s.mu.Unlock()
	etag := fmt.Sprintf(`"%d"`, len(titles))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	var b strings.Builder
	fmt.Fprintf(&b, `<rss version="2.0"><channel><title>Outlet %d</title>`, i)
	for j, t := range append([]string{"Rice prices steady", "Football results", "Weather: rain expected"}, titles...) {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://outlet%d.example/n/%d</link><guid>o%d-%d</guid><description>%s. More in the full story.</description></item>`,
			t, i, j, i, j, t)
	}
	b.WriteString(`</channel></rss>`)
	io.WriteString(w, b.String())
}

// add gives the round's active feeds one new story each.
func (s *benchSource) add(round int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range benchActive {
		i := (round*benchActive + k*37) % len(s.extra)
		title := fmt.Sprintf("Market news %d-%d", round, k)
		if k < benchMatching {
			title = fmt.Sprintf("Union leader arrested %d-%d", round, k)
		}
		s.extra[i] = append(s.extra[i], title)
	}
}

// latencies records, per story pushed, the time from its storing to the
// receiver's seeing it.
type latencies struct {
	mu   sync.Mutex
	got  []time.Duration
	seen chan int
}

func (l *latencies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var ev Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	for _, s := range ev.Stories {
		l.got = append(l.got, at.Sub(s.FirstSeen))
	}
	l.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	l.seen <- len(ev.Stories)
}

type benchRig struct {
	src    *benchSource
	cfg    *config.Config
	poller *poll.Poller
	svc    *Service
}

func newBenchRig(b *testing.B, hook string) *benchRig {
	b.Helper()
	src := &benchSource{extra: make([][]string, benchFeeds)}
	fs := httptest.NewServer(src)
	b.Cleanup(fs.Close)
	var y strings.Builder
	y.WriteString("fetch:\n  timeout: 10s\n  concurrency: 8\n  per_host: 8\n  allow_private_networks: true\nfeeds:\n")
	for i := range benchFeeds {
		fmt.Fprintf(&y, "  - id: f%d\n    url: %s/f/%d\n", i, fs.URL, i)
	}
	y.WriteString("topics:\n  - id: unions\n    rule: 'union* AND (arrest* OR detain*)'\n")
	if hook != "" {
		fmt.Fprintf(&y, "alerts:\n  - id: urgent\n    topics: [unions]\n    cooldown: 0s\n    channels:\n      - webhook: %s\n", hook)
	}
	cfg, err := config.Parse([]byte(y.String()), "bench.yaml", nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p := poll.New(st, cfg.Fetch, "civicwatch-bench", slog.New(slog.DiscardHandler))
	p.Rules = cfg.Rules
	r := &benchRig{src: src, cfg: cfg, poller: p, svc: &Service{Store: st, Config: cfg}}
	// The first round stores every feed's old items; only later rounds count.
	r.round(b)
	if err := r.svc.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return r
}

// round polls every feed once and returns how long the round took.
func (r *benchRig) round(b *testing.B) time.Duration {
	start := time.Now()
	rep, err := r.poller.Poll(context.Background(), r.cfg.Feeds, poll.Selection{All: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, failed := rep.Totals(); failed > 0 {
		b.Fatalf("%d feeds failed", failed)
	}
	return time.Since(start)
}

func reportRounds(b *testing.B, rounds []time.Duration) {
	b.ReportMetric(float64(percentile(rounds, 50).Microseconds())/1000, "round-p50-ms")
}

// BenchmarkPollRound is the baseline: a round over 1,000 feeds with 20 new
// stories, without alerts.
func BenchmarkPollRound(b *testing.B) {
	r := newBenchRig(b, "")
	var rounds []time.Duration
	b.ResetTimer()
	for i := range b.N {
		r.src.add(i)
		rounds = append(rounds, r.round(b))
	}
	reportRounds(b, rounds)
}

// BenchmarkAlertLatency is the same rounds with an alert on five of the 20
// new stories: after each round the matches are queued and delivered, as
// the daemon's poll loop and alert loop do.
func BenchmarkAlertLatency(b *testing.B) {
	lat := &latencies{seen: make(chan int, 16)}
	hook := httptest.NewServer(lat)
	b.Cleanup(hook.Close)
	r := newBenchRig(b, hook.URL)
	var rounds []time.Duration
	b.ResetTimer()
	for i := range b.N {
		r.src.add(i)
		rounds = append(rounds, r.round(b))
		if _, err := r.svc.Enqueue(context.Background()); err != nil {
			b.Fatal(err)
		}
		if _, err := r.svc.Deliver(context.Background()); err != nil {
			b.Fatal(err)
		}
		if n := <-lat.seen; n != benchMatching {
			b.Fatalf("round %d pushed %d stories, want %d", i, n, benchMatching)
		}
	}
	b.StopTimer()
	reportRounds(b, rounds)
	lat.mu.Lock()
	defer lat.mu.Unlock()
	b.ReportMetric(float64(percentile(lat.got, 50).Microseconds())/1000, "latency-p50-ms")
	b.ReportMetric(float64(percentile(lat.got, 99).Microseconds())/1000, "latency-p99-ms")
}

// percentile is the nearest-rank percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[min(max(i, 0), len(s)-1)]
}
