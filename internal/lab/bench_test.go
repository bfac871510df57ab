package lab

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The benchmark measures the lab's acceptance point: a typical rule change
// answered over an archive of 100,000 stories, the target being a second
// (docs/performance.md, "Rules lab", has the figures). Run:
//
//	go test -run '^$' -bench TestRule -benchtime 3x -count 3 ./internal/lab/
//
// The archive is built once per process (about 20 s), through the same
// store API the poller uses, and removed by TestMain.

const benchStories = 100_000

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var (
	benchOnce sync.Once
	benchDir  string // removed by TestMain
	benchPath string
	benchErr  error
	benchNow  = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
)

// benchArchive returns the path of the 100,000-story archive and the
// shipped config, building the archive on first use. CIVICWATCH_LAB_ARCHIVE
// names a file to keep it in between runs (built when missing; delete it
// when the generator below changes).
func benchArchive(b *testing.B) (string, *config.Config) {
	b.Helper()
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	benchOnce.Do(func() {
		if benchPath = os.Getenv("CIVICWATCH_LAB_ARCHIVE"); benchPath != "" {
			if _, err := os.Stat(benchPath); err == nil {
				return
			}
		} else if benchDir, benchErr = os.MkdirTemp("", "civicwatch-lab-bench-"); benchErr != nil {
			return
		} else {
			benchPath = filepath.Join(benchDir, "cw.db")
		}
		benchErr = buildArchive(benchPath, cfg)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath, cfg
}

// buildArchive stores benchStories stories of about 2 KB over the 80 days
// before benchNow, spread over the shipped feeds, one in three with a Khmer
// paragraph. Words of the shipped lists are sprinkled in, so that the rules
// have hits to report and NEAR groups to check, as in real news.
func buildArchive(path string, cfg *config.Config) error {
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	var refs []store.FeedRef
	for _, f := range cfg.Feeds {
		refs = append(refs, store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL})
	}
	if err := st.SyncFeeds(ctx, refs, benchNow); err != nil {
		return err
	}
	g := newTextGen(cfg)
	const perFetch, fetches = 100, 8
	start := benchNow.Add(-80 * 24 * time.Hour)
	for n := 0; n < benchStories; n += perFetch * fetches {
		at := start.Add(time.Duration(n) * 80 * 24 * time.Hour / benchStories)
		st.SetClock(func() time.Time { return at })
		var batch []*store.Fetch
		for f := range fetches {
			feedID := cfg.Feeds[g.r.IntN(len(cfg.Feeds))].ID
			fe := &store.Fetch{FeedID: feedID, StartedAt: at, Outcome: store.OutcomeOK}
			for i := range perFetch {
				fe.Items = append(fe.Items, g.item(n+f*perFetch+i))
			}
			batch = append(batch, fe)
		}
		if _, err := st.SaveFetches(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// textGen writes news-like text. Real Cambodian news names the country,
// the government and the police all the time and a union or the labour
// ministry seldom, and the stories that do name them name them again and
// again; so do these. Common terms of the shipped lists come in about one
// word in 30 of every story, topic terms one word in 400, or one in 25 in the
// tenth of stories that are on a topic. The shipped rules then match 2.6 %
// (moi) to 10.7 % (civic) of the stories.
type textGen struct {
	r              *rand.Rand
	common, topics []string
	onTopic        bool // the story being written
}

var benchFiller = strings.Fields(`the a of to in and for on with at by from as is was were has have had will would
said says told after before over under about new year years week month day last first second local national
company public school health water road market prices rice farmers floods season trade export bank economy
growth plan project program official visit meeting million billion percent according report where which while
when during since between against among other more most many some such only also than then there their they`)

var benchKhmer = strings.Fields(`ថ្ងៃ នេះ បាន និង ដែល នៅ ក្នុង ការ របស់ ពី ទៅ លោក ឆ្នាំ ខែ សប្តាហ៍ ទីក្រុង ប្រជាជន មាន ជា
ត្រូវ ទទួល ផ្តល់ ធ្វើ ចំនួន ច្រើន តម្លៃ ស្រូវ ទឹក ភ្លៀង ផ្លូវ សាលា សុខភាព`)

func newTextGen(cfg *config.Config) *textGen {
	g := &textGen{r: rand.New(rand.NewPCG(6, 100_000))}
	terms := func(lists ...string) []string {
		var out []string
		for _, name := range lists {
			for _, t := range cfg.Lists[name] {
				out = append(out, strings.TrimSuffix(t, "*"))
			}
		}
		return out
	}
	g.common = terms("cambodia", "authorities", "workers", "elsewhere")
	g.topics = terms("union_words", "collective_action", "molvt", "labour_rights", "moi", "civil_society",
		"repression", "ngos", "official_acts", "civic_space")
	return g
}

// word is the next word: a filler word, or a term.
func (g *textGen) word(filler []string) string {
	topicRate := 400
	if g.onTopic {
		topicRate = 25
	}
	switch {
	case g.r.IntN(topicRate) == 0:
		return g.topics[g.r.IntN(len(g.topics))]
	case g.r.IntN(30) == 0:
		return g.common[g.r.IntN(len(g.common))]
	}
	return filler[g.r.IntN(len(filler))]
}

func (g *textGen) words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.word(benchFiller))
	}
	return b.String()
}

// khmer is n words of Khmer, run together with zero-width spaces as Khmer
// sites write them.
func (g *textGen) khmer(n int) string {
	km := make([]string, n)
	for i := range km {
		km[i] = g.word(benchKhmer)
	}
	return strings.Join(km, "\u200b")
}

// item is story i: about 2 KB of title, summary and content.
func (g *textGen) item(i int) feed.Item {
	url := fmt.Sprintf("https://news.example/%d", i)
	g.onTopic = g.r.IntN(10) == 0
	it := feed.Item{GUID: url, URL: url, Title: g.words(10), Summary: g.words(40), Content: g.words(260)}
	if i%3 == 0 {
		it.Content = g.words(140) + " " + g.khmer(90)
	}
	return it
}

// edits are the typical rule changes: each shipped topic's rule with one
// NEAR distance changed.
var edits = []struct{ topic, from, to string }{
	{"unions", "NEAR/8", "NEAR/10"},
	{"molvt", "NEAR/20", "NEAR/25"},
	{"moi", "NEAR/20", "NEAR/15"},
	{"civic", "NEAR/8", "NEAR/10"},
}

// editRequest is a topic's shipped rule with its edit, over the last 90 days
// (every story of the archive).
func editRequest(b *testing.B, cfg *config.Config, topic, from, to string) Request {
	t, ok := findTopic(cfg.Topics, topic)
	if !ok || !strings.Contains(t.Rule, from) {
		b.Fatalf("the shipped %s rule has no %s any more: pick another edit", topic, from)
	}
	return Request{Topic: topic, Rule: strings.Replace(t.Rule, from, to, 1), Since: benchNow.Add(-90 * 24 * time.Hour)}
}

// BenchmarkTestRule100k answers the typical requests as the console does,
// from an Index kept between answers that has already answered the topic's
// current rule (the figure the acceptance is about), and beside them:
//
//   - cold: the same request answered by TestRule, which reads and scans
//     the whole period for it (what `rules test` does);
//   - first-answer: the console's first answer, from a new Index, which
//     reads the period and learns every pattern of the config (once per
//     session of the lab: an Index lets go after half an hour unused);
//   - new-word: the unions rule with a word no list has, a different one
//     each answer, so the Index scans the archive for it every time;
//   - scan-only: ScanStories alone, reading the stories and their feeds and
//     doing nothing with them.
func BenchmarkTestRule100k(b *testing.B) {
	path, cfg := benchArchive(b)
	st, err := store.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	since := benchNow.Add(-90 * 24 * time.Hour)

	check := func(b *testing.B, res *Result) {
		if res.Scanned != benchStories {
			b.Fatalf("scanned %d stories, want %d", res.Scanned, benchStories)
		}
		b.ReportMetric(float64(res.Current), "current")
		b.ReportMetric(float64(res.NumGained), "gained")
		b.ReportMetric(float64(res.NumLost), "lost")
	}
	// warmIndex is an Index that has answered the topic's current rule,
	// and what holding it costs in heap.
	warmIndex := func(b *testing.B, topic string) (*Index, float64) {
		before := heapInUse()
		x := NewIndex(nil, 0)
		if _, err := x.TestRule(b.Context(), st, cfg, Request{Topic: topic, Since: since}); err != nil {
			b.Fatal(err)
		}
		return x, float64(heapInUse()-before) / (1 << 20)
	}
	for _, e := range edits {
		req := editRequest(b, cfg, e.topic, e.from, e.to)
		b.Run(e.topic, func(b *testing.B) {
			x, heapMB := warmIndex(b, e.topic)
			var res *Result
			cpu := cpuTime()
			for b.Loop() {
				if res, err = x.TestRule(b.Context(), st, cfg, req); err != nil {
					b.Fatal(err)
				}
			}
			reportTimes(b, cpu)
			check(b, res)
			stories, occBytes := x.Stories()
			b.ReportMetric(heapMB, "index-MB")
			b.ReportMetric(float64(occBytes)/float64(stories), "occ-B/story")
			if kb, ok := rssAnonKB(); ok {
				b.ReportMetric(float64(kb)/1024, "rss-anon-MB")
			}
		})
		b.Run(e.topic+"-cold", func(b *testing.B) {
			var res *Result
			cpu := cpuTime()
			for b.Loop() {
				if res, err = TestRule(b.Context(), st, cfg, req); err != nil {
					b.Fatal(err)
				}
			}
			reportTimes(b, cpu)
			check(b, res)
		})
	}
	b.Run("first-answer", func(b *testing.B) {
		req := Request{Topic: "unions", Since: since}
		var res *Result
		cpu := cpuTime()
		for b.Loop() {
			if res, err = NewIndex(nil, 0).TestRule(b.Context(), st, cfg, req); err != nil {
				b.Fatal(err)
			}
		}
		reportTimes(b, cpu)
		check(b, res)
	})
	b.Run("new-word", func(b *testing.B) {
		x, _ := warmIndex(b, "unions")
		base := editRequest(b, cfg, "unions", "OR កូដកម្ម)", "OR កូដកម្ម OR %s)")
		var res *Result
		n := 0
		cpu := cpuTime()
		for b.Loop() {
			n++
			req := base
			req.Rule = fmt.Sprintf(base.Rule, fmt.Sprintf("walkout%d", n))
			if res, err = x.TestRule(b.Context(), st, cfg, req); err != nil {
				b.Fatal(err)
			}
		}
		reportTimes(b, cpu)
		check(b, res)
	})
	b.Run("scan-only", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			n := 0
			err := st.ScanStories(b.Context(), since, func(batch []store.ScanStory) error {
				n += len(batch)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != benchStories {
				b.Fatalf("scanned %d stories, want %d", n, benchStories)
			}
		}
		reportTimes(b, cpu)
	})
}

// rssAnonKB is the process's anonymous resident memory (Linux): its own
// memory, where the RSS counts the database pages mapped by the scan too.
func rssAnonKB() (int, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			var kb int
			_, err := fmt.Sscanf(rest, "%d", &kb)
			return kb, err == nil
		}
	}
	return 0, false
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// reportTimes reports wall and CPU milliseconds per answer. The machine is
// shared, so the wall time of one run can suffer from others' work; the CPU
// time (the process's, all threads) says what an answer costs regardless.
func reportTimes(b *testing.B, cpuBefore time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/answer")
	b.ReportMetric(float64((cpuTime()-cpuBefore).Microseconds())/1e3/float64(b.N), "cpu-ms/answer")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
