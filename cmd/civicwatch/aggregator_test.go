package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
)

// TestShippedRulesIgnoreAggregatorCredits polls-parses an aggregator's
// results, shaped as the shipped Google News feeds deliver them (the
// outlet's name after the headline and in the description, and in
// <source>), and matches them with the shipped rules: ordinary crime
// headlines from outlets named "Radio Free Asia" or "… newspaper" must not
// become press stories. Matched with the outlet's name left on, as before
// feed.Parse took it off, three of them were filed under civic.
func TestShippedRulesIgnoreAggregatorCredits(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	results := []struct{ headline, outlet string }{
		{"Police arrest motorbike thieves in Phnom Penh", "Radio Free Asia"},
		{"ប៉ូលិសចាប់ខ្លួនជនសង្ស័យលួចម៉ូតូ នៅភ្នំពេញ", "កាសែតរស្មីកម្ពុជា"},
		{"Court jails man over drug smuggling in Cambodia", "The Cambodia Daily"},
		{"ក្រសួងមហាផ្ទៃ ប្រកាសលទ្ធផលប្រឡង", "សារព័ត៌មានថ្មីៗ"},
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News search</title>`)
	for i, r := range results {
		fmt.Fprintf(&b, `<item><title>%[1]s - %[2]s</title><link>https://news.example/articles/%[3]d</link>
<description>&lt;a href="https://news.example/articles/%[3]d"&gt;%[1]s&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;%[2]s&lt;/font&gt;</description>
<source url="https://outlet.example/%[3]d">%[2]s</source></item>`, r.headline, r.outlet, i)
	}
	b.WriteString(`</channel></rss>`)
	parsed, err := feed.Parse([]byte(b.String()), "application/rss+xml", "https://news.example/rss/search")
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.Items) != len(results) {
		t.Fatalf("parsed %d items, want %d", len(parsed.Items), len(results))
	}
	asBefore := 0
	for i, it := range parsed.Items {
		if it.Credited != results[i].outlet || strings.Contains(it.Title, results[i].outlet) || strings.Contains(it.Summary, results[i].outlet) {
			t.Errorf("item %d: title %q, summary %q, credited %q: the outlet's name should be taken off, into Credited", i, it.Title, it.Summary, it.Credited)
		}
		// The shipped Google News feeds carry no tags.
		if got := match.MatchedTopics(cfg.Rules.Explain(&match.Story{Title: it.Title, Summary: it.Summary})); len(got) > 0 {
			t.Errorf("%q from %s filed under %v", it.Title, it.Credited, got)
		}
		credited := it.Title + " - " + it.Credited
		if len(match.MatchedTopics(cfg.Rules.Explain(&match.Story{Title: credited, Summary: it.Summary + "  " + it.Credited}))) > 0 {
			asBefore++
		}
	}
	if asBefore < 3 {
		t.Errorf("with the outlet's name left on, %d of the headlines match; the test no longer shows what it guards against", asBefore)
	}
}

// TestShippedRulesIgnoreSiteFooters parses an item whose description ends
// with WordPress's footer ("The post … appeared first on The Cambodia
// Daily."), which names an outlet the rules count as the press next to the
// headline's words: a brawl's arrests must not become a press story.
func TestShippedRulesIgnoreSiteFooters(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const headline, body = "Two men arrested after brawl in Kandal", "Two men were arrested on Monday after a fight at a wedding."
	rss := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Daily</title>
<item><title>` + headline + `</title><link>https://daily.example/brawl</link>
<description><![CDATA[<p>` + body + `</p><p>The post <a href="https://daily.example/brawl">` + headline +
		`</a> appeared first on <a href="https://daily.example">The Cambodia Daily</a>.</p>]]></description></item></channel></rss>`
	parsed, err := feed.Parse([]byte(rss), "application/rss+xml", "https://daily.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	it := parsed.Items[0]
	if it.Summary != body {
		t.Fatalf("summary %q, want %q", it.Summary, body)
	}
	tags := []string{"cambodia"}
	if got := match.MatchedTopics(cfg.Rules.Explain(&match.Story{Title: it.Title, Summary: it.Summary, Tags: tags})); len(got) > 0 {
		t.Errorf("filed under %v", got)
	}
	footer := it.Summary + " The post " + headline + " appeared first on The Cambodia Daily."
	if len(match.MatchedTopics(cfg.Rules.Explain(&match.Story{Title: it.Title, Summary: footer, Tags: tags}))) == 0 {
		t.Error("with the footer left on, the story matches nothing; the test no longer shows what it guards against")
	}
}
