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
	e := newBenchEnv(b)
	f := newLoopbackArticles(b)
	b.SetBytes(e.bytes())
	b.ResetTimer()
	var cpu time.Duration
	var captured atomic.Int64
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		p, st := benchPoller(b, dir)
		p.Rules = cfg.Rules
		f.st = st
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
