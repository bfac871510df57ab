package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/feed"
)

// storyPageBound is the most a story page may weigh, whatever a feed sent:
// every stored field once, escaped (html/template writes at most 5 bytes
// for one: &#34;), plus per topic a bounded marked window of each field and
// a bounded list of hits, plus the layout. Pages of real stories are a few
// kilobytes.
func storyPageBound(topics int) int {
	const escaped = 5
	fields := feed.MaxText + 4*feed.MaxTitle*utf8.UTFMax + feed.MaxAuthor*utf8.UTFMax + 3*feed.MaxURL + feed.MaxGUID
	perTopic := 3*markedWindow + 2*maxHitsShown*256
	return escaped*(fields+topics*perTopic) + 64<<10
}

// hugeTitleFeed is an RSS feed whose one item has a title of about size
// bytes that matches the fixture's unions topic.
func hugeTitleFeed(size int) []byte {
	word := "union strike arrest "
	return fmt.Appendf(nil, `<rss version="2.0"><channel><title>x</title><item><guid>huge</guid><link>https://cambojanews.example/huge</link>`+
		`<title>%s</title><description>A union leader was arrested.</description></item></channel></rss>`, strings.Repeat(word, size/len(word)))
}

// TestHugeTitleBounded: a 5 MB title, well under the body cap, is stored
// cut to its bound and flagged, its page stays under 1 MB, and showing it
// allocates and keeps a bounded amount of memory. Before the bounds the
// page was ~38 MB and serving it took hundreds of megabytes.
func TestHugeTitleBounded(t *testing.T) {
	f := newFixture(t)
	ids := f.ingest(t, "cambojanews", hugeTitleFeed(5<<20))
	if len(ids) != 1 {
		t.Fatalf("stored %d stories, want 1", len(ids))
	}
	st, err := f.store.Story(t.Context(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(st.Title); n > feed.MaxTitle || !st.Cut || !strings.HasSuffix(st.Title, feed.CutMark) {
		t.Errorf("stored title: %d characters, cut %v", n, st.Cut)
	}

	path := fmt.Sprintf("/stories/%d", ids[0])
	f.get(path) // warm the templates and the statement caches
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, body := f.get(path)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "[… cut]") || !strings.Contains(body, "<dt>cut</dt>") {
		t.Fatalf("story page: %d, cut not shown", res.StatusCode)
	}
	if len(body) >= 1<<20 {
		t.Errorf("story page of %d bytes, want under 1 MB", len(body))
	}
	const maxAlloc = 16 << 20
	if allocated > maxAlloc {
		t.Errorf("showing the page allocated %d MB, want at most %d MB", allocated>>20, maxAlloc>>20)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("the heap grew by %d MB after showing the page", grown>>20)
	}
	t.Logf("page %d bytes; %d KB allocated to show it", len(body), allocated>>10)
}

// TestStoryPageBoundedForLongText: a text at its bound that repeats the
// topics' terms thousands of times still makes a bounded page, the hits
// beyond the first listed as a count.
func TestStoryPageBoundedForLongText(t *testing.T) {
	f := newFixture(t)
	text := strings.Repeat(`"union" <strike> & arrest & Ministry of Interior `, feed.MaxText/48)
	body := fmt.Appendf(nil, `<rss version="2.0"><channel><title>x</title><item><guid>long</guid><link>https://cambojanews.example/long</link>`+
		`<title>Union strike</title><description>%s</description><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">%s</content:encoded></item></channel></rss>`,
		escapeXML(text[:feed.MaxSummary]), escapeXML(text))
	ids := f.ingest(t, "cambojanews", body)
	if len(ids) != 1 {
		t.Fatalf("stored %d stories", len(ids))
	}
	res, page := f.get(fmt.Sprintf("/stories/%d", ids[0]))
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "more hits, not listed") {
		t.Fatalf("story page: %d; hits past the first %d not counted", res.StatusCode, maxHitsShown)
	}
	if bound := storyPageBound(len(f.cfg.Topics)); len(page) > bound {
		t.Errorf("story page of %d bytes, over its bound of %d", len(page), bound)
	}
	t.Logf("page %d bytes, bound %d", len(page), storyPageBound(len(f.cfg.Topics)))
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// FuzzFeedToStoryPage runs feed bytes through the whole path the daemon
// and the console take (parse, normalise, match, store, render the story
// page): nothing panics, every stored story's page is served, and its
// size stays within storyPageBound. The seed corpus (the feed package's
// fixtures and hostile shapes) runs in plain `go test`. To fuzz:
//
//	go test -run '^$' -fuzz FuzzFeedToStoryPage -fuzzminimizetime 0 ./internal/web/
//
// One database serves every input, so coverage varies with what is stored
// already; without -fuzzminimizetime 0 the engine spends its time
// minimising inputs that only look new.
func FuzzFeedToStoryPage(f *testing.F) {
	fixtures, _ := filepath.Glob("../feed/testdata/*.xml")
	fixtures = append(fixtures, "../feed/testdata/feed.json")
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Big enough to be cut or to fill the page's windows, small enough
	// for the fuzzer to mutate quickly: under -fuzz the SQLite driver is
	// instrumented too, and indexing a few hundred KB takes seconds.
	// TestHugeTitleBounded and TestStoryPageBoundedForLongText have the
	// large cases.
	f.Add(hugeTitleFeed(80 << 10))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title type="html">&lt;script&gt;alert(1)&lt;/script&gt; union strike</title>` +
		`<link href="javascript:alert(1)"/><content type="html">` + strings.Repeat("&lt;b&gt;union&lt;/b&gt; arrested ", 1500) + `</content></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"` + strings.Repeat("g", 5000) + `","title":"` +
		strings.Repeat("សហជីព្ត", 3000) + `","content_text":"ចាប់ខ្លួន"}]}`))
	fx := newFixture(f, func(o *Options) { o.Log = nil })
	bound := storyPageBound(len(fx.cfg.Topics))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, id := range fx.ingest(t, "cambojanews", body) {
			rec := httptest.NewRecorder()
			fx.server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/stories/%d", id), nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("story %d: %d\n%.500s", id, rec.Code, rec.Body)
			}
			if rec.Body.Len() > bound {
				t.Fatalf("story %d: page of %d bytes, over its bound of %d", id, rec.Body.Len(), bound)
			}
		}
	})
}

// TestStoryPageShowsTheCreditedOutlet: an aggregator's result is shown with
// the outlet it credits, apart from its headline.
func TestStoryPageShowsTheCreditedOutlet(t *testing.T) {
	f := newFixture(t)
	body := []byte(`<rss version="2.0"><channel><title>x</title><item><guid>g1</guid><link>https://cambojanews.example/g1</link>` +
		`<title>Union leader arrested - Radio Free Asia</title><description>Union leader arrested</description>` +
		`<source url="https://rfa.example">Radio Free Asia</source></item></channel></rss>`)
	ids := f.ingest(t, "cambojanews", body)
	if len(ids) != 1 {
		t.Fatalf("stored %d stories", len(ids))
	}
	res, page := f.get(fmt.Sprintf("/stories/%d", ids[0]))
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "<dt>credited</dt><dd>Radio Free Asia") || strings.Contains(page, "arrested - Radio") {
		t.Errorf("story page: %d; the credited outlet is not shown apart from the headline", res.StatusCode)
	}
}
