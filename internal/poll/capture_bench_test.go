package poll

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/evidence/articletest"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
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
	f := newLoopbackArticles(b)
	var captured atomic.Int64
	benchPollFirst(b, cfg.Rules, func(st *store.Store, dir string) func() {
		f.st = st
		// A round that captured nothing waits a little: the poll has not
		// stored a match yet, and spinning would be counted as its CPU.
		return startCapture(b, f, st, dir, cfg.Rules, 0, 5*time.Millisecond, &captured)
	})
	b.ReportMetric(float64(captured.Load())/float64(b.N), "captures/round")
}

// startCapture runs a Runner (capture: matched, as the daemon's evidence
// loop does) over st's queue against the loopback article server until the
// function it returns is called, adding each round's captures to captured.
// batch is the Runner's batch (0: its default); idle is how long to wait
// after a round that captured nothing (0: start the next at once).
func startCapture(b *testing.B, f *loopbackArticles, st *store.Store, dir string, rules *match.Rules, batch int,
	idle time.Duration, captured *atomic.Int64) (stop func()) {
	a, err := evidence.NewWARCDir(filepath.Join(dir, "evidence"), 0)
	if err != nil {
		b.Fatal(err)
	}
	r := evidence.NewRunner(st, f, a, evidence.Options{Rules: rules, DailyBudget: 1 << 30, Batch: batch,
		Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			rep, err := r.Run(ctx)
			if err != nil && ctx.Err() == nil {
				b.Error(err)
				return
			}
			captured.Add(int64(rep.Captured))
			if rep.Captured == 0 && idle > 0 {
				time.Sleep(idle)
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// loopbackArticles sends every capture to the loopback article server, one
// of its pages chosen by the story's URL and served under the story's
// headline, as the outlet's page would be, so the benchmark's feeds can keep
// their outlets' addresses and every capture is taken as its story's
// article: extracted, checked and matched.
type loopbackArticles struct {
	f    *fetch.Fetcher
	base string
	st   *store.Store // the round's store, for the headlines
}

func (l *loopbackArticles) Capture(ctx context.Context, storyURL string) (*fetch.Exchange, error) {
	s, err := l.st.StoryByURL(ctx, storyURL)
	if err != nil {
		return nil, err
	}
	h := fnv.New32a()
	h.Write([]byte(storyURL))
	return l.f.Capture(ctx, fmt.Sprintf("%s/a%d?h=%s", l.base, h.Sum32()%articlePages, url.QueryEscape(s.Title)))
}

const articlePages = 100

// newLoopbackArticles starts the article server and the fetcher for it.
func newLoopbackArticles(b *testing.B) *loopbackArticles {
	srv := articletest.NewServer(b, articlePages, "")
	return &loopbackArticles{f: fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "bench"}),
		base: srv.URL}
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
	f := newLoopbackArticles(b)
	dir := b.TempDir()
	p, st := benchPoller(b, dir)
	defer st.Close()
	p.Rules = cfg.Rules
	f.st = st
	if _, err := p.Poll(context.Background(), e.feeds, Selection{All: true}); err != nil {
		b.Fatal(err)
	}
	// The backlog is thousands of stories deep: the runner never idles.
	var captured atomic.Int64
	stop := startCapture(b, f, st, dir, cfg.Rules, 20, 0, &captured)
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
	stop()
	// The captures must have been taken as their stories' articles
	// (extracted, checked, matched), or this measures less than a daemon does.
	all, err := st.Stories(context.Background(), store.StoryQuery{})
	if err != nil {
		b.Fatal(err)
	}
	articles := 0
	for _, s := range all {
		if s.Article != "" {
			articles++
		}
	}
	if articles == 0 || int64(articles) < captured.Load()/2 {
		b.Fatalf("%d of %d captures became their story's article", articles, captured.Load())
	}
	reportFeeds(b, len(e.feeds))
	b.ReportMetric(float64(captured.Load()-before)/b.Elapsed().Seconds(), "captures/s")
}
