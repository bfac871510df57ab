package feed

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// benchFeed builds an RSS 2.0 feed of 30 items of about 1.7 KB each, shaped
// like a WordPress news feed: escaped HTML description, content:encoded in
// CDATA, tracking parameters on links.
func benchFeed(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Bench &amp; Co</title><link>https://bench.example.org/</link><language>en-US</language>
<description>Benchmark feed</description>
`)
	para := "Civil society groups said the authorities&#8217; actions threatened freedom of association, " +
		"and called on the government to release the detained union leaders without conditions. "
	for i := range 30 {
		fmt.Fprintf(&b, `<item>
<title>Union leader &amp;#8220;detained&amp;#8221; in story %d &#8211; ក្រសួង​ការងារ</title>
<link>https://bench.example.org/2026/11/story-%d/?utm_source=rss&amp;utm_medium=rss&amp;utm_campaign=story</link>
<guid isPermaLink="false">https://bench.example.org/?p=%d</guid>
<pubDate>Tue, 03 Nov 2026 %02d:15:00 +0700</pubDate>
<dc:creator><![CDATA[Reporter %d]]></dc:creator>
<description>&lt;p&gt;%s&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>%s</p><p>%s<a href="https://bench.example.org/">link</a></p><ul><li>One</li><li>Two</li></ul><script>track(%d)</script><p>%s%s</p>]]></content:encoded>
</item>
`, i, i, 1000+i, i%24, i, para, para, para, i, para, strings.Repeat("More text here. ", 20))
	}
	b.WriteString("</channel></rss>\n")
	if n := b.Len(); n < 45_000 || n > 60_000 {
		tb.Fatalf("bench feed is %d bytes, want about 50 KB", n)
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	body := benchFeed(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(body, "application/rss+xml; charset=UTF-8", "https://bench.example.org/feed/")
		if err != nil || len(f.Items) != 30 {
			b.Fatalf("Parse: %v", err)
		}
	}
}

// BenchmarkGofeedParse is the baseline: gofeed alone on the same bytes, so
// the cost of our normalisation is the difference.
func BenchmarkGofeedParse(b *testing.B) {
	body := benchFeed(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil || len(f.Items) != 30 {
			b.Fatalf("Parse: %v", err)
		}
	}
}

func BenchmarkToUTF8(b *testing.B) {
	body := benchFeed(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToUTF8(body, "application/rss+xml; charset=UTF-8"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckDepth(b *testing.B) {
	body := benchFeed(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckDepth(body, MaxDepth); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTMLToText(b *testing.B) {
	inputs := map[string]string{
		"plain":  "Union leader detained in Phnom Penh as rights groups call for release",
		"entity": "Rights group&#8217;s report on union arrests &amp; detentions",
		"html":   "<p>Police detained the union&#8217;s president.</p><script>track()</script><ul><li>One</li><li>Two</li></ul>",
	}
	for name, s := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = HTMLToText(s)
			}
		})
	}
}

// benchAtom is benchFeed's items as an Atom 1.0 feed: text titles, html
// summaries and content.
func benchAtom(tb testing.TB) []byte {
	tb.Helper()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(benchFeed(tb)))
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Bench</title><id>urn:bench</id><updated>2026-11-03T00:00:00Z</updated>
`)
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for _, it := range f.Items {
		fmt.Fprintf(&b, `<entry><id>%s</id><title>%s</title><link href="%s"/><updated>2026-11-03T00:00:00Z</updated>
<summary type="html">%s</summary><content type="html">%s</content></entry>
`, esc.Replace(it.GUID), esc.Replace(it.Title), esc.Replace(it.Link), esc.Replace(it.Description), esc.Replace(it.Content))
	}
	b.WriteString("</feed>\n")
	return b.Bytes()
}

// BenchmarkParseAtom parses the Atom feed, beside BenchmarkGofeedParseAtom
// (gofeed alone, the baseline) and BenchmarkAtomTextTypes (the scan that
// reads which text constructs are plain text, a part of Parse).
func BenchmarkParseAtom(b *testing.B) {
	body := benchAtom(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(body, "application/atom+xml", "https://bench.example.org/feed/")
		if err != nil || len(f.Items) != 30 {
			b.Fatalf("Parse: %v", err)
		}
	}
}

func BenchmarkGofeedParseAtom(b *testing.B) {
	body := benchAtom(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil || len(f.Items) != 30 {
			b.Fatalf("Parse: %v", err)
		}
	}
}

func BenchmarkAtomTextTypes(b *testing.B) {
	body := benchAtom(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if n := len(atomTextTypes(body)); n != 30 {
			b.Fatalf("%d entries", n)
		}
	}
}
