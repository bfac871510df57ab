package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
)

// page is an article among the boilerplate a news site wraps it in.
const page = `<!doctype html><html><head><title>Strike at the factory</title></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/login">Subscribe now</a></nav>
<article>
<h1>Strike at the factory</h1>
<p>Garment workers in Phnom Penh walked out on Monday after the union's leader was dismissed without notice,
their representatives said, and the factory's management refused to meet them.</p>
<p>The Ministry of Labour said it would send inspectors. Union members said they would stay out until their
leader was reinstated and the wages owed for October were paid in full.</p>
<p>សហជីព​បាន​ទាមទារ​ឱ្យ​ក្រុមហ៊ុន​បង់​ប្រាក់ឈ្នួល។ The strike is the third at the factory this year, and observers
said it was the largest, with more than two thousand workers taking part.</p>
</article>
<footer>Copyright 2026 Example News. Cookie settings. Advertise with us.</footer>
</body></html>`

func TestReadabilityExtract(t *testing.T) {
	deep := strings.Repeat("<div>", 20000) + "deep" + strings.Repeat("</div>", 20000)
	listy := "<html><body><article><p>" + strings.Repeat("A line of the report about the union. ", 20) + "</p><ul>" +
		strings.Repeat("<li>unclosed item, as old sites write them", 2000) + "</ul></article></body></html>"
	tests := []struct {
		name     string
		body     string
		want     []string
		notWant  []string
		wantErr  string
		sentinel error
	}{
		{name: "article among boilerplate", body: page,
			want:    []string{"Garment workers in Phnom Penh walked out on Monday", "សហជីព​បាន​ទាមទារ", "wages owed for October"},
			notWant: []string{"Subscribe now", "Cookie settings"}},
		{name: "implied end tags are not depth", body: listy, want: []string{"A line of the report about the union."}},
		{name: "nested markup", body: deep, wantErr: "nested too deeply", sentinel: ErrTooDeep},
		{name: "too big", body: strings.Repeat("a", MaxExtractBytes+1), wantErr: "extraction limit"},
		{name: "invalid UTF-8", body: "<html><body><article><p>" + strings.Repeat("Union leader café \xff\xfe arrested. ", 20) + "</p></article></body></html>",
			want: []string{"Union leader café \uFFFD arrested."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := Readability{}.Extract([]byte(tt.body), "https://news.example/a")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("text keeps boilerplate %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestCaptureStoresTextAndItsHash(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/deep" {
			io.WriteString(w, strings.Repeat("<div>", 5000))
			return
		}
		io.WriteString(w, page)
	}))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/deep", true})
	r, _ := newRunner(t, st, testFetcher(nil), Options{Now: func() time.Time { return t0 }})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 2 {
		t.Fatalf("run %+v, %v", rep, err)
	}
	caps, _ := st.Captures(t.Context(), ids["/a"])
	if len(caps) != 1 {
		t.Fatalf("%d captures", len(caps))
	}
	c := caps[0]
	sum := sha256.Sum256([]byte(c.Text))
	if !strings.Contains(c.Text, "Garment workers in Phnom Penh") || c.TextSHA256 != hex.EncodeToString(sum[:]) || c.ExtractError != "" {
		t.Errorf("capture text %q, hash %s (want %x), error %q", c.Text, c.TextSHA256, sum, c.ExtractError)
	}
	// Too deep to extract: the page is still kept, the reason recorded.
	caps, _ = st.Captures(t.Context(), ids["/deep"])
	if len(caps) != 1 || caps[0].Text != "" || caps[0].TextSHA256 != "" || !strings.Contains(caps[0].ExtractError, "nested too deeply") {
		t.Errorf("deep page capture %+v", caps)
	}
}

// Ten megabytes of nested markup, under the shipped fetch.max_body (10 MiB):
// the page is kept as evidence, extraction is refused with a reason, and the
// next story is captured all the same.
func TestTenMegabytesOfNestedMarkup(t *testing.T) {
	huge := strings.Repeat("<div><span>", 10<<20/len("<div><span>"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/huge" {
			io.WriteString(w, huge)
			return
		}
		io.WriteString(w, page)
	}))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/huge", true}, story{"/after", true})
	f := fetch.New(fetch.Options{Timeout: 10 * time.Second, MaxBody: 10 << 20, PerHost: 2, UserAgent: "civicwatch-test/1"})
	r, _ := newRunner(t, st, f, Options{Now: func() time.Time { return t0 }})
	rep, err := r.Run(t.Context())
	if err != nil || rep.Captured != 2 {
		t.Fatalf("run %+v, %v: want both pages captured", rep, err)
	}
	caps, _ := st.Captures(t.Context(), ids["/huge"])
	if len(caps) != 1 || caps[0].BodyBytes < int64(len(huge)) || caps[0].Text != "" || caps[0].ExtractError == "" {
		t.Fatalf("huge page capture %+v", caps)
	}
	if !strings.Contains(caps[0].ExtractError, "MiB") && !strings.Contains(caps[0].ExtractError, "bytes") {
		t.Errorf("extract error %q does not say the page was too large", caps[0].ExtractError)
	}
	if caps, _ := st.Captures(t.Context(), ids["/after"]); len(caps) != 1 || !strings.Contains(caps[0].Text, "Garment workers") {
		t.Errorf("the story after the huge page: %+v", caps)
	}
}

// What the address gives may not be the story: an aggregator's redirect
// page, a consent wall, a home page. Headline checks, in English and Khmer,
// with the small differences outlets make between feed and page.
func TestHeadlineShare(t *testing.T) {
	const kmHeadline = "អាជ្ញាធរ​ចាប់ខ្លួន​ប្រធាន​សហជីព"
	tests := []struct {
		name, headline, page string
		holds                bool
	}{
		{"the page's own headline", "Union leader arrested in Phnom Penh", "Home News Union leader arrested in Phnom Penh Police said on Monday…", true},
		{"an aggregator's suffix", "Union leader arrested in Phnom Penh - CamboJA News", "Union leader arrested in Phnom Penh | CamboJA", true},
		{"case and punctuation", "Union Leader Arrested: Police", "union leader arrested, police say", true},
		{"a word changed", "Union leader arrested in Phnom Penh on Monday", "Union leader detained in Phnom Penh on Monday", true},
		{"Khmer", kmHeadline, "ព័ត៌មាន " + kmHeadline + " នៅ​ភ្នំពេញ", true},
		{"a redirect page", "Union leader arrested in Phnom Penh", "Google News Opening… If you are not redirected, follow this link.", false},
		{"a consent wall", "Union leader arrested in Phnom Penh", "We value your privacy. Accept all cookies to continue reading.", false},
		{"another Khmer page", kmHeadline, "ក្រសួង​កសិកម្ម​ប្រកាស​តម្លៃ​ស្រូវ​ថ្មី", false},
	}
	for _, tt := range tests {
		if got := headlineShare(tt.headline, tt.page) >= minHeadline; got != tt.holds {
			t.Errorf("%s: headlineShare = %.2f, holds %v, want %v", tt.name, headlineShare(tt.headline, tt.page), got, tt.holds)
		}
	}
}

// A page that does not carry the story's headline is kept as evidence of
// what the address gave, with the reason; its text is neither the story's
// article nor matched.
func TestAggregatorPageIsNotTheArticle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><head><title>Google News</title><script>location.replace("https://elsewhere.example/")</script></head>`+
			`<body><article><p>Opening the article. If nothing happens, follow the link to read the union's statement on arrests and strikes.</p></article></body></html>`)
	}))
	defer srv.Close()
	rules, err := match.Compile([]match.Topic{{ID: "unions", Rule: "article:union"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/rss/articles/CBMi", false})
	r, _ := newRunner(t, st, testFetcher(nil), Options{Capture: config.CaptureAll, Rules: rules, Now: func() time.Time { return t0 }})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 {
		t.Fatalf("run %+v, %v", rep, err)
	}
	id := ids["/rss/articles/CBMi"]
	caps, _ := st.Captures(t.Context(), id)
	if len(caps) != 1 || caps[0].Text != "" || !strings.Contains(caps[0].ExtractError, "does not carry the story's headline") {
		t.Fatalf("capture %+v: want kept, no text, the reason", caps)
	}
	if s, _ := st.Story(t.Context(), id); s == nil || s.Article != "" {
		t.Errorf("the story's article is %q, want none", s.Article)
	}
	if ms, _ := st.MatchesForStory(t.Context(), id); len(ms) != 0 {
		t.Errorf("matched on a page that is not the story: %+v", ms)
	}
}
