// Package feed turns the bytes of an RSS, RDF, Atom or JSON feed into
// normalised items: UTF-8 in NFC, plain text instead of HTML, canonical
// absolute links and UTC times, ready for storage and keyword matching.
package feed

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	jsonfeed "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"
)

// Item is one entry of a feed, normalised for storage and matching.
type Item struct {
	GUID    string // the feed's id/guid, trimmed; "" if none
	URL     string // canonical absolute http(s) link (see CanonicalURL); "" if the item has no usable link
	Title   string // plain text (HTMLToText), NFC
	Summary string // plain text of description/summary, NFC
	Content string // plain text of full content (content:encoded, atom content, JSON content_html/content_text), NFC; "" if none
	Author  string // plain text name, or the e-mail address when no name is given
	// Credited is the outlet an aggregator's item credits (RSS <source>, as
	// Google News gives it), plain text; "" for an outlet's own item. Such
	// items carry the outlet's name at the end of their title ("Union leader
	// arrested - Radio Free Asia") and description; it is taken off both, so
	// that rules do not read the outlet's name as part of the story.
	Credited  string
	Lang      string    // item language if given, else the feed's ("en", "km", "en-us", ...), lower-case; "" if unknown
	Published time.Time // UTC; zero when the feed gives no parseable date (caller decides fallbacks)
	Updated   time.Time // UTC; zero if none
	// Cut is set when a field was longer than its bound (see MaxTitle and
	// the others) and was cut, ending with CutMark.
	Cut bool
}

// Feed is a parsed feed with its items.
type Feed struct {
	Title  string
	Link   string // canonical site link, "" if none
	Lang   string
	Format string // "rss", "atom", "json" (gofeed's FeedType; RDF comes out as rss)
	Items  []Item
}

// ErrNotFeed is wrapped by the error Parse returns for a body that is not a
// feed at all (empty, an HTML page, some other XML or JSON), as opposed to a
// feed that is broken.
var ErrNotFeed = errors.New("not a feed")

// sniffLimit bounds how much of a rejected body is examined to explain what
// it is instead of a feed.
const sniffLimit = 1024

// Parse decodes a feed body. contentType is the HTTP Content-Type header
// ("" if unknown); feedURL is the address it was fetched from, used to
// resolve relative links (xml:base in the feed, which gofeed applies, takes
// precedence).
//
// The body is converted to UTF-8 and checked for hostile nesting before
// gofeed sees it. Items with no title, link, guid or text are dropped.
func Parse(body []byte, contentType, feedURL string) (*Feed, error) {
	body, err := ToUTF8(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotFeed)
	}
	if err := CheckDepth(body, MaxDepth); err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	gf, err := newParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, notAFeed(body)
		}
		return nil, fmt.Errorf("parse %s: %w", describe(body), err)
	}
	if gf.FeedType == "json" && !strings.Contains(gf.FeedVersion, "jsonfeed.org/version/") {
		// gofeed takes any object for a JSON Feed; an API error document
		// would otherwise pass as a feed with no items.
		return nil, fmt.Errorf("%w: JSON document without a JSON Feed version", ErrNotFeed)
	}
	return normalise(gf, body, feedURL), nil
}

// newParser returns a gofeed parser for one call; gofeed parsers hold state
// and must not be shared between goroutines.
func newParser() *gofeed.Parser {
	p := gofeed.NewParser()
	// The image scan runs a full HTML parse of every description to find an
	// <img> we never use.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	// The source feed holds what the universal item drops: the RSS guid's
	// isPermaLink, the JSON Feed item language and content_text.
	p.KeepOriginalFeed = true
	return p
}

// notAFeed explains what a body that gofeed did not recognise is instead,
// since "failed to detect feed type" sends people looking in the wrong place
// when a site serves its home page or a login wall at the feed address.
func notAFeed(body []byte) error {
	head := body[skipSpace(body, 0):]
	head = head[:min(len(head), sniffLimit)]
	lower := bytes.ToLower(head)
	switch {
	case bytes.Contains(lower, []byte("<!doctype html")) || bytes.Contains(lower, []byte("<html")):
		return fmt.Errorf("%w: got an HTML page", ErrNotFeed)
	case len(head) > 0 && head[0] == '<':
		if root := rootElement(head); root != "" {
			return fmt.Errorf("%w: XML with root element <%s>, not rss, rdf:RDF or feed", ErrNotFeed, root)
		}
		return fmt.Errorf("%w: XML without a root element", ErrNotFeed)
	}
	return fmt.Errorf("%w: neither XML nor JSON", ErrNotFeed)
}

// rootElement returns the name of the first start tag in head, skipping the
// declaration, comments and DOCTYPE.
func rootElement(head []byte) string {
	for i := 0; i < len(head); i++ {
		if head[i] == '<' && i+1 < len(head) && isNameStart(head[i+1]) {
			name := tagName(head, i+1)
			return string(head[name.start:name.end])
		}
	}
	return ""
}

// describe names the kind of document for an error message.
func describe(body []byte) string {
	i := skipSpace(body, 0)
	if i < len(body) && body[i] == '{' {
		return "JSON feed"
	}
	return "XML feed"
}

// sourceHints carries, per item, what gofeed's universal Item loses.
type sourceHints struct {
	permalink   string // RSS guid usable as the link
	lang        string // JSON Feed item language
	contentText bool   // the content is plain text: JSON Feed content_text, Atom type="text"
	titleText   bool   // the title is plain text: Atom type="text"
	summaryText bool   // the summary is plain text: Atom type="text"
	credited    string // RSS <source>: the outlet an aggregator credits
}

// hintsFor reads the hints from the source feed. gofeed's translators map
// source items to universal items one to one and in order, so hints line up
// by index.
func hintsFor(gf *gofeed.Feed, body []byte) []sourceHints {
	switch src := gf.OriginalFeed().(type) {
	case *atom.Feed:
		types := atomTextTypes(body)
		if len(types) != len(src.Entries) {
			return nil
		}
		hints := make([]sourceHints, len(types))
		for i, t := range types {
			hints[i] = sourceHints{titleText: t.title, summaryText: t.summary, contentText: t.content}
		}
		return hints
	case *rss.Feed:
		hints := make([]sourceHints, len(src.Items))
		for i, it := range src.Items {
			// isPermaLink defaults to true, so only an explicit "false"
			// rules the guid out as a link.
			if it.GUID != nil && !strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") {
				hints[i].permalink = it.GUID.Value
			}
			if it.Source != nil {
				hints[i].credited = it.Source.Title
			}
		}
		return hints
	case *jsonfeed.Feed:
		hints := make([]sourceHints, len(src.Items))
		for i, it := range src.Items {
			hints[i].lang = it.Language
			hints[i].contentText = it.ContentHTML == "" && it.ContentText != ""
		}
		return hints
	}
	return nil
}

func normalise(gf *gofeed.Feed, body []byte, feedURL string) *Feed {
	base := baseURL(feedURL, gf.Link)
	f := &Feed{
		Title:  HTMLToText(gf.Title),
		Lang:   normaliseLang(gf.Language),
		Format: gf.FeedType,
	}
	if link, err := CanonicalURL(gf.Link, base); err == nil {
		f.Link = link
	}
	hints := hintsFor(gf, body)
	if len(hints) != len(gf.Items) {
		hints = nil
	}
	f.Items = make([]Item, 0, len(gf.Items))
	for i, gi := range gf.Items {
		var h sourceHints
		if hints != nil {
			h = hints[i]
		}
		it := convertItem(gi, h, base, f.Lang)
		if it.isEmpty() {
			continue
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// baseURL picks the base for relative links. The address the feed was
// fetched from is the document's base URI, as RFC 3986 and XML Base have it
// ("story.html" in https://example.org/news/feed.xml is
// https://example.org/news/story.html). The channel link is only a fallback
// for callers that do not know where the bytes came from.
func baseURL(feedURL, feedLink string) *url.URL {
	for _, candidate := range []string{feedURL, feedLink} {
		u, err := url.Parse(strings.TrimSpace(candidate))
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return u
		}
	}
	return nil
}

func convertItem(gi *gofeed.Item, h sourceHints, base *url.URL, feedLang string) Item {
	title, cutTitle := preCut(gi.Title, MaxTitle*utf8.UTFMax)
	summary, cutSummary := preCut(gi.Description, MaxSummary)
	content, cutContent := preCut(gi.Content, MaxText)
	it := Item{
		GUID:    strings.TrimSpace(gi.GUID),
		URL:     itemURL(gi, h, base),
		Title:   toText(title, h.titleText),
		Summary: toText(summary, h.summaryText),
		Author:  authorName(gi),
		Lang:    itemLang(gi, h, feedLang),
		Cut:     cutTitle || cutSummary || cutContent,
	}
	it.Content = toText(content, h.contentText)
	it.Summary, it.Content = withoutSiteFooter(it.Summary), withoutSiteFooter(it.Content)
	if h.credited != "" {
		it.Credited = HTMLToText(h.credited)
		it.Title, it.Summary = withoutCredit(it.Title, it.Credited, true), withoutCredit(it.Summary, it.Credited, false)
	}
	it.Title, it.Summary, it.Content = markCut(it.Title, cutTitle), markCut(it.Summary, cutSummary), markCut(it.Content, cutContent)
	it.bound()
	if gi.PublishedParsed != nil {
		it.Published = gi.PublishedParsed.UTC()
	}
	if gi.UpdatedParsed != nil {
		it.Updated = gi.UpdatedParsed.UTC()
	}
	if it.Published.IsZero() {
		it.Published = it.Updated
	}
	return it
}

// toText makes a field's text: plain text as it is (cleaned), anything
// else as HTML.
func toText(s string, plain bool) string {
	if plain {
		return Clean(s)
	}
	return HTMLToText(s)
}

// itemURL returns the first usable link of an item: its link, its other
// links (JSON Feed's external_url among them), then an RSS guid that is a
// permalink. A permalink guid must be absolute on its own: a bare id such as
// "1234" resolved against the base would invent an address.
func itemURL(gi *gofeed.Item, h sourceHints, base *url.URL) string {
	if u, err := CanonicalURL(gi.Link, base); err == nil {
		return u
	}
	for _, l := range gi.Links {
		if u, err := CanonicalURL(l, base); err == nil {
			return u
		}
	}
	if u, err := CanonicalURL(h.permalink, nil); err == nil {
		return u
	}
	return ""
}

func authorName(gi *gofeed.Item) string {
	p := gi.Author
	if p == nil && len(gi.Authors) > 0 {
		p = gi.Authors[0]
	}
	if p == nil {
		return ""
	}
	name, _ := preCut(p.Name, MaxAuthor*utf8.UTFMax)
	if name := HTMLToText(name); name != "" {
		return name
	}
	return Clean(p.Email)
}

// itemLang prefers the item's own language (dc:language, JSON Feed
// language) to the feed's, as multilingual feeds mix Khmer and English.
func itemLang(gi *gofeed.Item, h sourceHints, feedLang string) string {
	if dc := gi.DublinCoreExt; dc != nil {
		for _, l := range dc.Language {
			if lang := normaliseLang(l); lang != "" {
				return lang
			}
		}
	}
	if lang := normaliseLang(h.lang); lang != "" {
		return lang
	}
	return feedLang
}

// normaliseLang lower-cases a language tag and writes it with hyphens
// ("en_US" becomes "en-us"), keeping the region so nothing is lost; callers
// wanting the primary language cut at the first '-'.
func normaliseLang(lang string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
}

func (it *Item) isEmpty() bool {
	return it.Title == "" && it.URL == "" && it.GUID == "" && it.Summary == "" && it.Content == ""
}

// withoutCredit takes the credited outlet's name off the end of an
// aggregator's title or summary, with the separator before it: "Union
// leader arrested - Radio Free Asia" is "Union leader arrested". A title
// must have a dash or bar before the name (Google News writes " - "); a
// summary may have spacing alone (its description is the headline, then the
// outlet). A text that is the name alone, or that runs on into it, is left
// as it is.
func withoutCredit(text, outlet string, dash bool) string {
	if outlet == "" || !strings.HasSuffix(text, outlet) {
		return text
	}
	rest := strings.TrimSuffix(text, outlet)
	sawDash := false
	trimmed := strings.TrimRightFunc(rest, func(r rune) bool {
		switch r {
		case '-', '–', '—', '|', '·':
			sawDash = true
			return true
		}
		return unicode.IsSpace(r)
	})
	if trimmed == "" || trimmed == rest || dash && !sawDash {
		return text
	}
	return trimmed
}

// BodyText reads a description or content as Parse reads an item's: the
// plain text of its HTML (HTMLToText), without a site's footer line
// (withoutSiteFooter). Labelled stories are read with it, so they score
// as the poller would store them.
func BodyText(s string) string { return withoutSiteFooter(HTMLToText(s)) }

// withoutSiteFooter takes off the line WordPress adds to every item of a
// feed, "The post <headline> appeared first on <site>.": it repeats the
// headline beside the outlet's name, so a rule reads the outlet ("… on The
// Cambodia Daily") as the press next to whatever the headline says. Only a
// footer that ends the text is taken.
func withoutSiteFooter(text string) string {
	const post, first = "The post ", " appeared first on "
	i := strings.LastIndex(text, post)
	if i < 0 {
		return text
	}
	tail := text[i+len(post):]
	j := strings.LastIndex(tail, first)
	if j < 0 {
		return text
	}
	// A site's name, not a sentence that happens to use the words.
	if site := strings.TrimSuffix(strings.TrimSpace(tail[j+len(first):]), "."); site == "" || utf8.RuneCountInString(site) > 80 {
		return text
	}
	return strings.TrimRightFunc(text[:i], unicode.IsSpace)
}
