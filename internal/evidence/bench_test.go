package evidence

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evidence/articletest"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The capture benchmarks work the queue against a loopback article server
// with the real Runner: fetch, WARC records (gzip per record, synced),
// readability extraction, and the story matched again with its article.
// Run:
//
//	go test -run '^$' -bench Capture -benchtime 3x ./internal/evidence/
const benchArticles = 200

// BenchmarkCapture: captures per second, the queue worked one page at a
// time as the Runner does, with the shipped topics matching each article.
func BenchmarkCapture(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	srv := articletest.NewServer(b, benchArticles, seedHeadline)
	f := fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "civicwatch-bench/1"})
	var paths []story
	for i := range benchArticles {
		paths = append(paths, story{path: fmt.Sprintf("/a%d", i), matched: true})
	}
	var bytes int64
	for i := range benchArticles {
		bytes += int64(len(articletest.Page(i, seedHeadline)))
	}
	b.SetBytes(bytes)
	b.ResetTimer()
	captured := 0
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(b.Context(), filepath.Join(dir, "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		seed(b, st, srv.URL, paths...)
		a, err := NewWARCDir(filepath.Join(dir, "evidence"), 0)
		if err != nil {
			b.Fatal(err)
		}
		r := NewRunner(st, f, a, Options{Batch: benchArticles, DailyBudget: 10 * benchArticles, Rules: cfg.Rules,
			Log: slog.New(slog.DiscardHandler)})
		b.StartTimer()
		rep, err := r.Run(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if rep.Captured != benchArticles || rep.Failed != 0 {
			b.Fatalf("run %+v", rep)
		}
		// Every page was taken as its story's article, so each capture was
		// extracted, checked and matched: the work this measures.
		all, err := st.Stories(b.Context(), store.StoryQuery{})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range all {
			if s.Article == "" {
				b.Fatalf("story %d has no article: its page was not taken as the story's", s.ID)
			}
		}
		captured += rep.Captured
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(captured)/b.Elapsed().Seconds(), "captures/s")
}
