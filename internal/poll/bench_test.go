package poll

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The benchmarks poll benchFeeds loopback feeds of benchItems items, about
// 50 KB each, as the ingest issue specifies, and compare with gofeed parsing
// the same bytes in memory. Run:
//
//	go test -run '^$' -bench . -benchtime 5x ./internal/poll/
const (
	benchFeeds = 200
	benchItems = 30
)

var words = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage
federation protest arrested court police association NGO rights activists Phnom Penh Kandal province
president leader members dismissed court appeal statement petition investigation registration law`)

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// benchFeed renders feed i: RSS 2.0 with content:encoded, ~50 KB.
func benchFeed(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Outlet %d</title><link>https://outlet%d.example/</link><language>en</language>`, i, i)
	for j := range benchItems {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://outlet%d.example/news/%d?utm_source=rss</link><guid isPermaLink="false">o%d-%d</guid><pubDate>%s</pubDate><description><![CDATA[<p>%s</p>]]></description><content:encoded><![CDATA[<p>%s</p><p>%s</p><p>%s</p>]]></content:encoded></item>`,
			sentence(r, 10), i, j, i, j, time.Date(2026, 11, 20, 0, j, 0, 0, time.UTC).Format(time.RFC1123Z),
			sentence(r, 30), sentence(r, 45), sentence(r, 45), sentence(r, 45))
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

type benchEnv struct {
	bodies [][]byte
	feeds  []config.Feed
	srv    *httptest.Server
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	fs := newFeedServer()
	e := &benchEnv{}
	e.srv = httptest.NewServer(fs)
	b.Cleanup(e.srv.Close)
	for i := range benchFeeds {
		body := benchFeed(i)
		e.bodies = append(e.bodies, body)
		path := fmt.Sprintf("/feed/%d", i)
		fs.set(path, servedFile{body: body, ctype: "application/rss+xml", validators: true})
		e.feeds = append(e.feeds, feedAt(fmt.Sprintf("f%d", i), e.srv.URL+path))
	}
	return e
}

// bytes is the size of one round: every feed's body once.
func (e *benchEnv) bytes() int64 {
	var n int
	for _, body := range e.bodies {
		n += len(body)
	}
	return int64(n)
}

func benchPoller(b *testing.B, dir string) (*Poller, *store.Store) {
	st, err := store.Open(context.Background(), filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	fc := testFetchConfig()
	fc.Concurrency, fc.PerHost = 8, 8
	return newPoller(st, fc, nil), st
}

func reportFeeds(b *testing.B, feeds int) {
	b.ReportMetric(float64(feeds)*float64(b.N)/b.Elapsed().Seconds(), "feeds/s")
	b.ReportMetric(float64(feeds*benchItems)*float64(b.N)/b.Elapsed().Seconds(), "stories/s")
}

// processCPU is the process's user and system time so far. On a shared
// machine the processor time a round takes moves less than its wall time,
// so the benchmarks that civicwatch bench is compared with report it too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the processor time of the timed work per feed.
func reportCPU(b *testing.B, cpu time.Duration, feeds int) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(feeds*b.N), "cpu-ms/feed")
}

// BenchmarkParseInMemory is the baseline: gofeed parsing the same bodies,
// no network, no normalisation, no storage.
func BenchmarkParseInMemory(b *testing.B) {
	e := newBenchEnv(b)
	b.SetBytes(e.bytes())
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		for _, body := range e.bodies {
			if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, processCPU()-cpu, len(e.bodies))
	reportFeeds(b, len(e.bodies))
}

// BenchmarkPollFirst is the first poll an operator runs: every item is
// new, so it is fetched, parsed, normalised, matched with the shipped
// feeds.yaml's topics, stored and indexed. `civicwatch bench` times the
// command doing the same work on the same feeds (issue 15: the benchmark
// had polled without topics, a poll nobody runs, and so promised 2× the
// speed the command gave).
func BenchmarkPollFirst(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	benchPollFirst(b, cfg.Rules, nil)
}

// BenchmarkPollFirstNoTopics is the same first poll without topics: what
// the process costs without the matching and the matches it writes.
func BenchmarkPollFirstNoTopics(b *testing.B) { benchPollFirst(b, nil, nil) }

// benchPollFirst times first polls into a new store each. beside, when not
// nil, is started on the round's store and directory before the poll and
// runs with it (its CPU is counted with the poll's); the function it returns
// stops it, untimed, once the poll is done.
func benchPollFirst(b *testing.B, rules *match.Rules, beside func(st *store.Store, dir string) (stop func())) {
	e := newBenchEnv(b)
	b.SetBytes(e.bytes())
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		p, st := benchPoller(b, dir)
		p.Rules = rules
		stop := func() {}
		if beside != nil {
			stop = beside(st, dir)
		}
		b.StartTimer()
		start := processCPU()
		rep, err := p.Poll(context.Background(), e.feeds, Selection{All: true})
		if err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - start
		b.StopTimer()
		stop()
		if t, failed := rep.Totals(); failed > 0 || t.New != benchFeeds*benchItems {
			b.Fatalf("first poll: %+v, %d failed", t, failed)
		}
		st.Close()
		b.StartTimer()
	}
	reportCPU(b, cpu, len(e.feeds))
	reportFeeds(b, len(e.feeds))
}

// BenchmarkPollRepoll: nothing changed; every feed answers 304.
func BenchmarkPollRepoll(b *testing.B) {
	e := newBenchEnv(b)
	p, st := benchPoller(b, b.TempDir())
	defer st.Close()
	if _, err := p.Poll(context.Background(), e.feeds, Selection{All: true}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(e.bytes())
	b.ResetTimer()
	for range b.N {
		rep, err := p.Poll(context.Background(), e.feeds, Selection{All: true})
		if err != nil {
			b.Fatal(err)
		}
		if t, failed := rep.Totals(); failed > 0 || t.New != 0 || rep.Results[0].Outcome != store.OutcomeNotModified {
			b.Fatalf("re-poll: %+v, %d failed, %s", t, failed, rep.Results[0].Outcome)
		}
	}
	reportFeeds(b, len(e.feeds))
}

// BenchmarkStages splits the first poll into its parts, each over all the
// feeds, so the time of the whole can be attributed: fetch (loopback HTTP),
// parse (gofeed alone), normalise (our feed.Parse: gofeed plus charset, depth
// check, canonical URLs, HTML to text, NFC, minus parse), store (SQLite
// with the FTS index; see the store package's benchmarks for the index's share).
func BenchmarkStages(b *testing.B) {
	e := newBenchEnv(b)
	b.Run("fetch", func(b *testing.B) {
		f := fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 8, UserAgent: "bench"})
		for range b.N {
			for _, fd := range e.feeds {
				if _, err := f.Fetch(context.Background(), fetch.Request{URL: fd.URL}); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportFeeds(b, len(e.feeds))
	})
	b.Run("parse", func(b *testing.B) {
		for range b.N {
			for _, body := range e.bodies {
				if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportFeeds(b, len(e.feeds))
	})
	b.Run("parse+normalise", func(b *testing.B) {
		for range b.N {
			for i, body := range e.bodies {
				if _, err := feed.Parse(body, "application/rss+xml", e.feeds[i].URL); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportFeeds(b, len(e.feeds))
	})
	b.Run("store", func(b *testing.B) {
		var recs []*store.Fetch
		for i, body := range e.bodies {
			parsed, err := feed.Parse(body, "application/rss+xml", e.feeds[i].URL)
			if err != nil {
				b.Fatal(err)
			}
			recs = append(recs, &store.Fetch{FeedID: e.feeds[i].ID, StartedAt: time.Now(), Outcome: store.OutcomeOK, Items: parsed.Items})
		}
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			_, st := benchPoller(b, b.TempDir())
			refs := make([]store.FeedRef, len(e.feeds))
			for i, f := range e.feeds {
				refs[i] = store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL}
			}
			if err := st.SyncFeeds(context.Background(), refs, time.Now()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for i := 0; i < len(recs); i += 8 {
				if _, err := st.SaveFetches(context.Background(), recs[i:min(i+8, len(recs))]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st.Close()
			b.StartTimer()
		}
		reportFeeds(b, len(e.feeds))
	})
}
