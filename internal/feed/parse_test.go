package feed

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad time in test: %v", err)
	}
	return tm.UTC()
}

// khmerTitle has U+200B between words, as Khmer news sites write it.
const khmerTitle = "ក្រសួង\u200bការងារ និង\u200bបណ្តុះបណ្តាល\u200bវិជ្ជាជីវៈ ចាប់ខ្លួន\u200bមេដឹកនាំ\u200bសហជីព"

func TestParseFixtures(t *testing.T) {
	const feedURL = "https://example.org/news/feed.xml"
	tests := []struct {
		fixture     string
		contentType string
		want        Feed
	}{
		{
			fixture:     "rss2.xml",
			contentType: "application/rss+xml; charset=UTF-8",
			want: Feed{
				Title: "Civic Monitor & Friends", Link: "https://www.example.org/", Lang: "en-us", Format: "rss",
				Items: []Item{
					{
						GUID:      "https://www.example.org/?p=1234",
						URL:       "https://www.example.org/2026/11/union-report/?b=2&id=7",
						Title:     "Rights group\u2019s report on union arrests",
						Summary:   "Police detained the union\u2019s president on Monday.",
						Content:   "Police detained the union\u2019s president. First point Second point Read more",
						Author:    "Sok Dara",
						Lang:      "en-us",
						Published: utc(t, "2026-11-03T01:15:00Z"),
					},
					{
						// No <link>: the guid is a permalink by default.
						GUID:      "https://www.example.org/2026/11/second-story",
						URL:       "https://www.example.org/2026/11/second-story",
						Title:     "Second story on two lines",
						Summary:   "Plain escaped summary.",
						Lang:      "en-us",
						Published: utc(t, "2026-11-02T23:30:00Z"),
					},
					{
						// javascript: link refused; a bare-id guid is no link.
						GUID:  "item-42",
						Title: "No date, guid is not a link",
						Lang:  "en-us",
					},
					// The fourth item, whitespace only, is dropped.
				},
			},
		},
		{
			fixture: "atom.xml",
			want: Feed{
				Title: "Example Atom News", Link: "https://news.example.com/", Lang: "en", Format: "atom",
				Items: []Item{
					{
						GUID: "tag:news.example.com,2026:1",
						// Relative href resolved by xml:base, fbclid dropped, sorted.
						URL:       "https://news.example.com/articles/cafe-workers?a=1&b=2",
						Title:     "Caf\u00e9 workers & unions", // e + U+0301 composed by NFC
						Summary:   "Workers at a caf\u00e9 organised.",
						Content:   "Full story here. Second paragraph.",
						Author:    "Chan Sopheap",
						Lang:      "en",
						Published: utc(t, "2026-11-04T02:30:00Z"),
						Updated:   utc(t, "2026-11-04T03:00:00Z"),
					},
					{
						GUID:      "tag:news.example.com,2026:2",
						URL:       "https://news.example.com/articles/only-updated",
						Title:     "Only updated",
						Summary:   "Plain summary.",
						Lang:      "en",
						Published: utc(t, "2026-11-03T12:00:00Z"), // from <updated>
						Updated:   utc(t, "2026-11-03T12:00:00Z"),
					},
				},
			},
		},
		{
			fixture: "rdf.xml",
			want: Feed{
				Title: "RDF Civic Wire", Link: "https://rdf.example.net/", Lang: "en", Format: "rss",
				Items: []Item{
					{
						URL:       "https://rdf.example.net/wire/1",
						Title:     "NGO law amendments debated",
						Summary:   "Lawmakers debated the amendments.",
						Author:    "Wire Desk",
						Lang:      "en",
						Published: utc(t, "2026-10-30T07:05:00Z"),
						Updated:   utc(t, "2026-10-30T07:05:00Z"),
					},
					{
						URL:       "https://rdf.example.net/wire/2",
						Title:     "សហជីព\u200bធ្វើ\u200bបាតុកម្ម",
						Summary:   "Khmer-language item.",
						Lang:      "km", // item dc:language overrides the feed's
						Published: utc(t, "2026-10-31T00:00:00Z"),
						Updated:   utc(t, "2026-10-31T00:00:00Z"),
					},
				},
			},
		},
		{
			fixture:     "feed.json",
			contentType: "application/feed+json",
			want: Feed{
				Title: "JSON Civic Feed", Link: "https://json.example.org/", Lang: "en", Format: "json",
				Items: []Item{
					{
						GUID:      "json-1",
						URL:       "https://json.example.org/posts/1?ref=home",
						Title:     "Land rights activists released",
						Summary:   "Three activists were released.",
						Content:   "Three activists were released on bail.",
						Author:    "Json Author",
						Lang:      "en",
						Published: utc(t, "2026-11-01T01:00:00Z"),
						Updated:   utc(t, "2026-11-01T03:00:00Z"),
					},
					{
						GUID:  "json-2",
						URL:   "https://example.org/posts/2",
						Title: "Text only",
						// content_text is plain text: nothing is taken for a tag.
						Content: "Plain text with <angle> brackets & ampersands.",
						Lang:    "km",
					},
				},
			},
		},
		{
			fixture: "khmer.xml",
			want: Feed{
				Title: "ព័ត៌មាន\u200bសង្គម\u200bស៊ីវិល", Link: "https://km.example.org/", Lang: "km", Format: "rss",
				Items: []Item{{
					GUID:      "https://km.example.org/?p=99",
					URL:       "https://km.example.org/news/2026/11/union-leader",
					Title:     khmerTitle,
					Summary:   "ប៉ូលិស\u200bបាន\u200bចាប់ខ្លួន មេដឹកនាំ\u200bសហជីព។",
					Lang:      "km",
					Published: utc(t, "2026-11-04T00:00:00Z"),
				}},
			},
		},
		{
			fixture: "cp1252.xml", // no declaration, no charset: guessed windows-1252
			want: Feed{
				Title: "Windows feed", Link: "http://cp.example.org/", Format: "rss",
				Items: []Item{{
					URL:       "http://cp.example.org/strike",
					Title:     "\u201cCaf\u00e9\u201d workers strike \u2014 union says",
					Summary:   "Na\u00efve \u2026 quotes \u2018here\u2019",
					Published: utc(t, "2026-11-05T12:00:00Z"),
				}},
			},
		},
		{
			// ISO-8859-1 is read as windows-1252 (WHATWG), so 0x92 is U+2019.
			fixture:     "latin1-declared.xml",
			contentType: "text/xml; charset=utf-8", // the declaration wins
			want: Feed{
				Title: "Latin-1 feed", Link: "https://l1.example.org/", Lang: "fr", Format: "rss",
				Items: []Item{{
					GUID:    "l1-1",
					URL:     "https://l1.example.org/rapport",
					Title:   "D\u00e9fenseurs des droits\u2019 rapport \u00ab annuel \u00bb",
					Summary: "\u00c9t\u00e9 \u00e0 Phnom Penh",
					Lang:    "fr",
				}},
			},
		},
		{
			fixture: "relative.xml",
			want: Feed{
				Title: "Relative Links", Link: "https://example.org/", Format: "rss",
				Items: []Item{
					{URL: "https://example.org/news/1", Title: "Root relative"},
					{URL: "https://example.org/news/story-2.html", Title: "Document relative"},
					{URL: "https://cdn.example.org/b/story-3", Title: "Scheme relative"},
					{URL: "https://example.org/news/4", Title: "Dot segments and default port"},
				},
			},
		},
		{
			// Unescaped '&', an HTML entity XML does not know, a stray <br>
			// and an unclosed <p>: gofeed's lenient decoder copes, and so
			// must CheckDepth.
			fixture: "malformed.xml",
			want: Feed{
				Title: "Broken & Proud", Link: "https://broken.example.org/", Format: "rss",
				Items: []Item{
					{
						URL:     "https://broken.example.org/1",
						Title:   "Unescaped & ampersand and entity",
						Summary: "Text with a stray tag and unclosed paragraph",
					},
					{URL: "https://broken.example.org/2", Title: "Second item after the mess"},
				},
			},
		},
		{
			// An aggregator credits each item's outlet (<source>); the
			// outlet's name comes off the title and the description, where
			// rules would read it as part of the story.
			fixture:     "aggregator.xml",
			contentType: "application/rss+xml",
			want: Feed{
				Title: `"Cambodia union arrested" - Google News`, Link: "https://news.example/search?q=Cambodia+union+arrested", Lang: "en-kh", Format: "rss",
				Items: []Item{
					{
						GUID: "CBMiX1", URL: "https://news.example/rss/articles/CBMiX1?oc=5",
						Title: "Union leader arrested in Phnom Penh", Summary: "Union leader arrested in Phnom Penh",
						Credited: "Radio Free Asia", Lang: "en-kh", Published: utc(t, "2026-12-01T03:00:00Z"),
					},
					{
						GUID: "CBMiX2", URL: "https://news.example/rss/articles/CBMiX2?oc=5",
						Title: "ប៉ូលិសចាប់ខ្លួនជនសង្ស័យលួចម៉ូតូ", Summary: "ប៉ូលិសចាប់ខ្លួនជនសង្ស័យលួចម៉ូតូ",
						Credited: "កាសែតរស្មីកម្ពុជា", Lang: "en-kh", Published: utc(t, "2026-12-01T04:00:00Z"),
					},
					{
						// No dash before the name: the title is the story's own.
						GUID: "CBMiX3", URL: "https://news.example/rss/articles/CBMiX3?oc=5",
						Title: "An interview with Radio Free Asia", Credited: "Radio Free Asia", Lang: "en-kh",
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := Parse(readFixture(t, tt.fixture), tt.contentType, feedURL)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			compareFeeds(t, got, &tt.want)
		})
	}
}

// compareFeeds reports differences field by field, which reads far better
// than one DeepEqual failure over a whole feed.
func compareFeeds(t *testing.T, got, want *Feed) {
	t.Helper()
	if got.Title != want.Title || got.Link != want.Link || got.Lang != want.Lang || got.Format != want.Format {
		t.Errorf("feed = {%q %q %q %q}, want {%q %q %q %q}",
			got.Title, got.Link, got.Lang, got.Format, want.Title, want.Link, want.Lang, want.Format)
	}
	if len(got.Items) != len(want.Items) {
		t.Fatalf("got %d items, want %d: %+v", len(got.Items), len(want.Items), got.Items)
	}
	for i := range want.Items {
		g, w := reflect.ValueOf(got.Items[i]), reflect.ValueOf(want.Items[i])
		for f := 0; f < g.NumField(); f++ {
			gf, wf := g.Field(f).Interface(), w.Field(f).Interface()
			if gt, ok := gf.(time.Time); ok {
				if !gt.Equal(wf.(time.Time)) || gt.Location() != time.UTC {
					t.Errorf("item %d %s = %v, want %v (UTC)", i, g.Type().Field(f).Name, gt, wf)
				}
				continue
			}
			if gf != wf {
				t.Errorf("item %d %s = %+q, want %+q", i, g.Type().Field(f).Name, gf, wf)
			}
		}
	}
}

func TestCP1252FixtureIsNotUTF8(t *testing.T) {
	b := readFixture(t, "cp1252.xml")
	if utf8.Valid(b) {
		t.Fatal("cp1252.xml is valid UTF-8; the fixture no longer tests the windows-1252 guess")
	}
	if bytes.HasPrefix(b, []byte("<?xml")) {
		t.Fatal("cp1252.xml must carry no XML declaration")
	}
}

func TestParseContentTypeCharset(t *testing.T) {
	// Without a declaration the header's charset decides: 0xE9 is é in
	// windows-1252 but is invalid UTF-8.
	body := []byte("<rss version=\"2.0\"><channel><title>x</title><item><title>caf\xe9</title></item></channel></rss>")
	tests := []struct {
		contentType, want string
	}{
		{"application/xml; charset=windows-1252", "café"},
		{"application/xml; charset=\"ISO-8859-1\"", "café"},
		{"application/xml; charset=utf-8", "caf\uFFFD"}, // declared UTF-8: replaced, not guessed
		{"application/xml", "café"},                     // nothing declared: guessed
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			f, err := Parse(body, tt.contentType, "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Fatalf("items = %+v, want title %q", f.Items, tt.want)
			}
		})
	}
}

func TestParseUTF16(t *testing.T) {
	src := `<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><title>ខ្មែរ</title>` +
		`<item><title>Union “strike”</title><link>https://u16.example.org/a</link></item></channel></rss>`
	tests := []struct {
		name string
		body []byte
	}{
		{"LE with BOM", encodeUTF16(src, false, true)},
		{"BE with BOM", encodeUTF16(src, true, true)},
		{"LE without BOM", encodeUTF16(src, false, false)},
		{"BE without BOM", encodeUTF16(src, true, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.body, "", "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.Title != "ខ្មែរ" || len(f.Items) != 1 || f.Items[0].Title != "Union “strike”" ||
				f.Items[0].URL != "https://u16.example.org/a" {
				t.Fatalf("got %+v", f)
			}
		})
	}
}

// encodeUTF16 is a tiny encoder so the test does not lean on the code under
// test. All runes used are in the BMP.
func encodeUTF16(s string, bigEndian, bom bool) []byte {
	var out []byte
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, r := range s {
		put(uint16(r))
	}
	return out
}

func TestParseErrors(t *testing.T) {
	deepXML := `<rss version="2.0"><channel><title>x</title><item><description>` +
		strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + `</description></item></channel></rss>`
	truncated := readFixture(t, "rss2.xml")
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name     string
		body     string
		notFeed  bool   // error wraps ErrNotFeed
		tooDeep  bool   // error wraps ErrTooDeep
		contains string // error text contains
	}{
		{name: "empty", body: "", notFeed: true, contains: "empty body"},
		{name: "whitespace", body: " \r\n\t ", notFeed: true, contains: "empty body"},
		{name: "BOM only", body: "\xEF\xBB\xBF", notFeed: true, contains: "empty body"},
		{
			name:    "HTML page",
			body:    "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Just a moment...</title></head><body></body></html>",
			notFeed: true, contains: "HTML page",
		},
		{name: "HTML without doctype", body: "  <HTML><body>Login</body></HTML>", notFeed: true, contains: "HTML page"},
		{
			name:    "other XML",
			body:    `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>`,
			notFeed: true, contains: "<urlset>",
		},
		{name: "plain text", body: "503 Service Unavailable", notFeed: true, contains: "neither XML nor JSON"},
		{name: "JSON not a feed", body: `{"error": "rate limited"}`, notFeed: true, contains: "JSON Feed version"},
		{name: "JSON broken", body: `{"version": "https://jsonfeed.org/version/1.1", "items": [`, contains: "parse JSON feed"},
		{name: "truncated RSS", body: string(truncated), contains: "parse XML feed"},
		{name: "too deep XML", body: deepXML, tooDeep: true},
		{name: "too deep JSON", body: `{"version":"https://jsonfeed.org/version/1.1","items":[` + strings.Repeat("[", 500), tooDeep: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "", "https://example.org/feed")
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want an error", f)
			}
			if got := errors.Is(err, ErrNotFeed); got != tt.notFeed {
				t.Errorf("errors.Is(%v, ErrNotFeed) = %v, want %v", err, got, tt.notFeed)
			}
			if got := errors.Is(err, ErrTooDeep); got != tt.tooDeep {
				t.Errorf("errors.Is(%v, ErrTooDeep) = %v, want %v", err, got, tt.tooDeep)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestParseRelativeWithoutFeedURL(t *testing.T) {
	// With no fetch address the channel link is the base, and links that
	// cannot be made absolute are left out rather than stored relative.
	body := []byte(`<rss version="2.0"><channel><title>t</title><link>https://site.example/blog/</link>` +
		`<item><title>a</title><link>post-1</link></item></channel></rss>`)
	f, err := Parse(body, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Items[0].URL, "https://site.example/blog/post-1"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}

	body = []byte(`<rss version="2.0"><channel><title>t</title>` +
		`<item><title>a</title><link>post-1</link></item></channel></rss>`)
	f, err = Parse(body, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Items[0].URL; got != "" {
		t.Errorf("URL = %q, want \"\" with no base", got)
	}
}

func TestParseDoesNotModifyInput(t *testing.T) {
	for _, name := range []string{"rss2.xml", "cp1252.xml", "latin1-declared.xml", "feed.json"} {
		t.Run(name, func(t *testing.T) {
			body := readFixture(t, name)
			orig := bytes.Clone(body)
			if _, err := Parse(body, "", ""); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, orig) {
				t.Fatal("Parse modified its input")
			}
		})
	}
}

func TestParseDeepEscapedHTML(t *testing.T) {
	// Escaped markup is text to the XML scan, so CheckDepth lets it through;
	// gofeed (html.Parse of Atom HTML content) and HTMLToText must cope with
	// it on their own, without recursion trouble or blow-up.
	deep := strings.Repeat("&lt;div&gt;", 100_000) + "hi"
	tests := []struct{ name, body string }{
		{"atom html content", `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>x</title><content type="html">` + deep + `</content></entry></feed>`},
		{"rss description", `<rss version="2.0"><channel><item><title>x</title><description>` + deep + `</description></item></channel></rss>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			f, err := Parse([]byte(tt.body), "", "https://example.org/")
			if err != nil {
				t.Fatal(err)
			}
			if it := f.Items[0]; it.Summary+it.Content != "hi" {
				t.Errorf("text = %q + %q, want \"hi\"", it.Summary, it.Content)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseFeedWithoutLink(t *testing.T) {
	body := []byte(`<rss version="2.0"><channel><title>t</title><item><title>a</title><link> </link></item></channel></rss>`)
	f, err := Parse(body, "", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Link != "" || f.Items[0].URL != "" {
		t.Errorf("Link = %q, item URL = %q; want both empty, not the feed URL", f.Link, f.Items[0].URL)
	}
}

func TestParseConcurrent(t *testing.T) {
	// Parse builds its gofeed parser per call; under -race this shows
	// nothing is shared between goroutines.
	names := []string{"rss2.xml", "atom.xml", "rdf.xml", "feed.json", "khmer.xml", "cp1252.xml", "latin1-declared.xml"}
	bodies := make([][]byte, len(names))
	for i, n := range names {
		bodies[i] = readFixture(t, n)
	}
	errs := make(chan error, 8*len(bodies))
	var wg sync.WaitGroup
	for range 8 {
		for _, b := range bodies {
			wg.Go(func() {
				if _, err := Parse(b, "", "https://example.org/news/feed.xml"); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAtomTextDecodedOnce: an Atom text construct of type text (the
// default) is entity-decoded once, by XML; it is text, not HTML, so
// "&amp;amp;" is the text "&amp;" and a written "<b>" is no tag. Types html
// and xhtml are HTML and become text as before.
func TestAtomTextDecodedOnce(t *testing.T) {
	f, err := Parse(readFixture(t, "atom-text.xml"), "application/atom+xml", "https://news.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ title, summary, content string }{
		{"Workers &amp; unions", "The text &lt;b&gt; is written, not bold", ""},
		{"a <b> tag, shown as written", "", "AT&amp;T &copy; strike"},
		{"Workers & unions in bold", "Fish & chips", ""},
		{"Workers & unions", "", ""},
		{"Workers &amp; unions", "", ""}, // CDATA in a text title is text too
	}
	if len(f.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(f.Items), len(want))
	}
	for i, w := range want {
		it := f.Items[i]
		if it.Title != w.title || it.Summary != w.summary || it.Content != w.content {
			t.Errorf("entry %d: title %q, summary %q, content %q; want %q, %q, %q", i+1, it.Title, it.Summary, it.Content, w.title, w.summary, w.content)
		}
	}
}

func TestWithoutSiteFooter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Two men were arrested on Monday. The post Two arrested over brawl appeared first on The Cambodia Daily.", "Two men were arrested on Monday."},
		{"The post Two arrested over brawl appeared first on CamboJA News", ""},
		{"Police said it appeared first on Facebook.", "Police said it appeared first on Facebook."}, // no "The post"
		{"The post office closed. The union said the strike appeared first on a list of demands that ran to three pages and was read out to the ministry officials at the meeting.",
			"The post office closed. The union said the strike appeared first on a list of demands that ran to three pages and was read out to the ministry officials at the meeting."},
		{"No footer here.", "No footer here."},
	} {
		if got := withoutSiteFooter(tc.in); got != tc.want {
			t.Errorf("withoutSiteFooter(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
