package feed

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// rssItem is a one-item RSS feed with the given raw (escaped) fields.
func rssItem(guid, link, title, description, content, author string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><link>https://news.example/</link>
<item><guid isPermaLink="false">%s</guid><link>%s</link><title>%s</title><description>%s</description><content:encoded>%s</content:encoded><dc:creator>%s</dc:creator></item>
</channel></rss>`, guid, link, title, description, content, author)
}

func TestBoundsAtNormalisation(t *testing.T) {
	khmer := "សហជីព្ត" // ends on a subscript: a cut must not split it
	cases := []struct {
		name                                          string
		guid, link, title, description, content, auth string
		cut                                           bool
	}{
		{name: "ordinary item is kept whole", guid: "a", link: "https://news.example/a", title: "Union leader arrested",
			description: "Police arrested him.", content: "Police arrested the union leader.", auth: "Reporter"},
		{name: "5 MB title", guid: "b", link: "https://news.example/b", title: strings.Repeat("strike ", 5<<20/7), cut: true},
		{name: "Khmer title just over the bound", guid: "c", link: "https://news.example/c", title: strings.Repeat(khmer, MaxTitle/utf8.RuneCountInString(khmer)+1), cut: true},
		{name: "title of escaped markup", guid: "d", link: "https://news.example/d", title: strings.Repeat("&lt;b&gt;x", 200000), cut: true},
		{name: "huge content", guid: "e", link: "https://news.example/e", description: "short", content: strings.Repeat("Workers marched. ", 1<<20/17*3), cut: true},
		{name: "huge summary and content", guid: "f", link: "https://news.example/f", description: strings.Repeat("ក", 200000), content: strings.Repeat("word ", 200000), cut: true},
		{name: "huge author", guid: "g", link: "https://news.example/g", title: "x", auth: strings.Repeat("Name ", 100000), cut: true},
		{name: "huge guid and link", guid: strings.Repeat("g", 1<<20), link: "https://news.example/" + strings.Repeat("p", 1<<20), title: "y"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(rssItem(c.guid, c.link, c.title, c.description, c.content, c.auth), "application/rss+xml", "https://news.example/feed")
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 {
				t.Fatalf("%d items", len(f.Items))
			}
			it := f.Items[0]
			if it.Cut != c.cut {
				t.Errorf("Cut = %v, want %v", it.Cut, c.cut)
			}
			if n := utf8.RuneCountInString(it.Title); n > MaxTitle {
				t.Errorf("title of %d characters", n)
			}
			if n := len(it.Summary) + len(it.Content); n > MaxText {
				t.Errorf("summary and content of %d bytes", n)
			}
			if n := utf8.RuneCountInString(it.Author); n > MaxAuthor {
				t.Errorf("author of %d characters", n)
			}
			if len(it.GUID) > MaxGUID || len(it.URL) > MaxURL {
				t.Errorf("guid of %d bytes, url of %d", len(it.GUID), len(it.URL))
			}
			for name, v := range map[string]string{"title": it.Title, "summary": it.Summary, "content": it.Content, "author": it.Author} {
				if !utf8.ValidString(v) {
					t.Errorf("%s is not valid UTF-8 after the cut", name)
				}
				if before, ok := strings.CutSuffix(v, CutMark); ok {
					if !c.cut {
						t.Errorf("%s carries the cut mark, yet nothing was cut", name)
					}
					last, _ := utf8.DecodeLastRuneInString(before)
					if last == '\u17D2' {
						t.Errorf("%s cut inside a written character: ends %q", name, before[max(0, len(before)-12):])
					}
				}
			}
			if c.cut && !strings.HasSuffix(it.Title, CutMark) && !strings.HasSuffix(it.Summary, CutMark) &&
				!strings.HasSuffix(it.Content, CutMark) && !strings.HasSuffix(it.Author, CutMark) {
				t.Error("cut, yet no field shows the mark")
			}
		})
	}
}

// TestBoundsKeepIdentity: two items whose over-long GUIDs differ only past
// the bound stay two items.
func TestBoundsKeepIdentity(t *testing.T) {
	long := strings.Repeat("g", 2*MaxGUID)
	a, b := Item{GUID: long + "a"}, Item{GUID: long + "b"}
	a.bound()
	b.bound()
	if a.GUID == b.GUID || len(a.GUID) > MaxGUID {
		t.Errorf("bounded GUIDs %q and %q", a.GUID, b.GUID)
	}
}

func TestCutKeepsClusters(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want string
	}{
		{"abcdef", 100, "abcdef"},
		{"abcdefghijklmnopqrstuvwxyz", 12, "abcd" + CutMark},
		// ក្ត: KA, COENG, TA; the cut falls after COENG and backs off to KA.
		{"ក្ត" + strings.Repeat("x", 20), 10, "" + CutMark},
		{"abក្ត" + strings.Repeat("y", 20), 12, "ab" + CutMark},
		{"abកាx" + strings.Repeat("y", 20), 11, "ab" + CutMark}, // the vowel sign AA stays with KA
		{"abcកាx" + strings.Repeat("y", 20), 13, "abcកា" + CutMark},
	} {
		got, cut := cutRunes(tc.s, tc.max)
		if got != tc.want || cut != (got != tc.s) {
			t.Errorf("cutRunes(%q, %d) = %q, %v; want %q", tc.s, tc.max, got, cut, tc.want)
		}
	}
}
