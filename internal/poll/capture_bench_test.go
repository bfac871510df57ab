package poll

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/fetch"
)

// BenchmarkPollFirstCapture is BenchmarkPollFirst (shipped topics) with evidence
// capture on: while the round polls, a Runner (capture: matched) works the
// queue the round fills, against a loopback article server, as the daemon
// does beside its polls. Compare feeds/s with BenchmarkPollFirst in the
// same run:
//
//	go test -run '^$' -bench 'PollFirst$|PollFirstCapture' -benchtime 5x ./internal/poll/
func BenchmarkPollFirstCapture(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	e := newBenchEnv(b)
	articles := newArticleServer(b)
	f := &loopbackArticles{f: fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "bench"}),
		base: articles.URL}
	b.SetBytes(e.bytes())
	b.ResetTimer()
	var cpu time.Duration
	var captured atomic.Int64
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		p, st := benchPoller(b, dir)
		p.Rules = cfg.Rules
		a, err := evidence.NewWARCDir(filepath.Join(dir, "evidence"), 0)
		if err != nil {
			b.Fatal(err)
		}
		r := evidence.NewRunner(st, f, a, evidence.Options{Rules: cfg.Rules, DailyBudget: 1 << 30,
			Log: slog.New(slog.DiscardHandler)})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		b.StartTimer()
		start := processCPU()
		wg.Go(func() {
			for ctx.Err() == nil {
				rep, err := r.Run(ctx)
				if err != nil && ctx.Err() == nil {
					b.Error(err)
					return
				}
				captured.Add(int64(rep.Captured))
				if rep.Captured == 0 {
					time.Sleep(5 * time.Millisecond) // the round has not stored a match yet
				}
			}
		})
		rep, err := p.Poll(context.Background(), e.feeds, Selection{All: true})
		if err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - start
		b.StopTimer()
		cancel()
		wg.Wait()
		if t, failed := rep.Totals(); failed > 0 || t.New != benchFeeds*benchItems {
			b.Fatalf("first poll: %+v, %d failed", t, failed)
		}
		st.Close()
		b.StartTimer()
	}
	reportCPU(b, cpu, len(e.feeds))
	reportFeeds(b, len(e.feeds))
	b.ReportMetric(float64(captured.Load())/float64(b.N), "captures/round")
}

// loopbackArticles sends every capture to the loopback article server, one
// of its pages chosen by the story's URL, so the benchmark's feeds can keep
// their outlets' addresses.
type loopbackArticles struct {
	f    *fetch.Fetcher
	base string
}

func (l *loopbackArticles) Capture(ctx context.Context, url string) (*fetch.Exchange, error) {
	h := fnv.New32a()
	h.Write([]byte(url))
	return l.f.Capture(ctx, fmt.Sprintf("%s/a%d", l.base, h.Sum32()%articlePages))
}

const articlePages = 100

// newArticleServer serves articlePages article pages of about 25 KB: a
// navigation bar, fifteen paragraphs, a sidebar and a footer.
func newArticleServer(b *testing.B) *httptest.Server {
	pages := make([][]byte, articlePages)
	for i := range pages {
		r := rand.New(rand.NewPCG(uint64(i), 13))
		var s strings.Builder
		fmt.Fprintf(&s, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body><nav>`, sentence(r, 8))
		for j := range 25 {
			fmt.Fprintf(&s, `<a href="/s/%d">%s</a> `, j, sentence(r, 2))
		}
		fmt.Fprintf(&s, `</nav><article><h1>%s</h1>`, sentence(r, 10))
		for range 15 {
			fmt.Fprintf(&s, `<p>%s.</p>`, sentence(r, 60))
		}
		s.WriteString(`</article><aside><ul>`)
		for j := range 20 {
			fmt.Fprintf(&s, `<li><a href="/n/%d">%s</a></li>`, j, sentence(r, 9))
		}
		fmt.Fprintf(&s, `</ul></aside><footer>%s</footer></body></html>`, sentence(r, 40))
		pages[i] = []byte(s.String())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/a%d", &i); err != nil || i < 0 || i >= len(pages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[i])
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkPollRepollCapture is BenchmarkPollRepoll (every feed answers
// 304) while a Runner works a backlog of thousands of matched stories
// beside it: the steady state of a daemon that has just been given
// evidence capture. Compare with BenchmarkPollRepoll in the same run.
func BenchmarkPollRepollCapture(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	e := newBenchEnv(b)
	articles := newArticleServer(b)
	f := &loopbackArticles{f: fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "bench"}),
		base: articles.URL}
	dir := b.TempDir()
	p, st := benchPoller(b, dir)
	defer st.Close()
	p.Rules = cfg.Rules
	if _, err := p.Poll(context.Background(), e.feeds, Selection{All: true}); err != nil {
		b.Fatal(err)
	}
	a, err := evidence.NewWARCDir(filepath.Join(dir, "evidence"), 0)
	if err != nil {
		b.Fatal(err)
	}
	r := evidence.NewRunner(st, f, a, evidence.Options{Rules: cfg.Rules, DailyBudget: 1 << 30, Batch: 20,
		Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var captured atomic.Int64
	wg.Go(func() {
		for ctx.Err() == nil {
			rep, err := r.Run(ctx)
			if err != nil && ctx.Err() == nil {
				b.Error(err)
				return
			}
			captured.Add(int64(rep.Captured))
		}
	})
	time.Sleep(200 * time.Millisecond) // the runner is under way
	b.SetBytes(e.bytes())
	b.ResetTimer()
	before := captured.Load()
	for range b.N {
		rep, err := p.Poll(context.Background(), e.feeds, Selection{All: true})
		if err != nil {
			b.Fatal(err)
		}
		if t, failed := rep.Totals(); failed > 0 || t.New != 0 {
			b.Fatalf("re-poll: %+v, %d failed", t, failed)
		}
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	reportFeeds(b, len(e.feeds))
	b.ReportMetric(float64(captured.Load()-before)/b.Elapsed().Seconds(), "captures/s")
}
