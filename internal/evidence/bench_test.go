package evidence

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
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

var benchWords = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage
federation protest arrested court police association NGO rights activists Phnom Penh Kandal province
president leader members dismissed appeal statement petition investigation registration law the of and to in`)

// articlePageBench renders article i as a news site serves it: a header and
// navigation, the article (a headline and fifteen paragraphs), a sidebar of
// links, and a footer; about 25 KB, the size of a real article page's HTML
// without its scripts.
func articlePageBench(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 11))
	sentence := func(n int) string {
		w := make([]string, n)
		for j := range w {
			w[j] = benchWords[r.IntN(len(benchWords))]
		}
		return strings.Join(w, " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title></head><body>`, sentence(8))
	b.WriteString(`<header><nav><ul>`)
	for j := range 25 {
		fmt.Fprintf(&b, `<li><a href="/section/%d">%s</a></li>`, j, sentence(2))
	}
	b.WriteString(`</ul></nav></header><main><article>`)
	// The headline of the stories seed writes, as an article page carries
	// its story's, so every capture is checked, extracted and matched.
	fmt.Fprintf(&b, `<h1>Garment workers strike: %s</h1><p class="byline">By %s</p>`, sentence(10), sentence(2))
	for range 15 {
		fmt.Fprintf(&b, `<p>%s.</p>`, sentence(60))
	}
	b.WriteString(`</article><aside><h2>Most read</h2><ul>`)
	for j := range 20 {
		fmt.Fprintf(&b, `<li><a href="/news/%d">%s</a></li>`, j, sentence(9))
	}
	b.WriteString(`</ul></aside></main><footer>`)
	for range 6 {
		fmt.Fprintf(&b, `<p>%s</p>`, sentence(12))
	}
	b.WriteString(`</footer></body></html>`)
	return []byte(b.String())
}

func articleServer(tb testing.TB) *httptest.Server {
	pages := make([][]byte, benchArticles)
	for i := range pages {
		pages[i] = articlePageBench(i)
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
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkCapture: captures per second, the queue worked one page at a
// time as the Runner does, with the shipped topics matching each article.
func BenchmarkCapture(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	srv := articleServer(b)
	f := fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "civicwatch-bench/1"})
	var paths []story
	for i := range benchArticles {
		paths = append(paths, story{path: fmt.Sprintf("/a%d", i), matched: true})
	}
	var bytes int64
	for i := range benchArticles {
		bytes += int64(len(articlePageBench(i)))
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
		captured += rep.Captured
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(captured)/b.Elapsed().Seconds(), "captures/s")
}
