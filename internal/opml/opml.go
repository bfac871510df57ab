// Package opml reads and writes OPML 2.0 subscription lists, the format
// every feed reader imports and exports, so a reading list moves in and out
// of civicwatch without retyping URLs.
package opml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Feed is one subscription: an outline with an xmlUrl.
type Feed struct {
	Title      string
	URL        string   // xmlUrl
	HTMLURL    string   // htmlUrl, the site
	Categories []string // from the category attribute and the folders it sits in, in order, without duplicates
	// ID is the civicwatchId attribute: the feed's id in the civicwatch
	// that exported it, so a list moved between two keeps its ids (and
	// the history stored under them). Outline attributes beyond the spec's
	// are allowed by OPML 2.0, and readers ignore them.
	ID string
	// Disabled is an outline marked isComment="true": OPML's way of keeping
	// an entry listed but switched off, which is what a disabled feed is.
	Disabled bool
}

type document struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    head     `xml:"head"`
	Body    body     `xml:"body"`
}

type head struct {
	Title       string `xml:"title,omitempty"`
	DateCreated string `xml:"dateCreated,omitempty"`
	Docs        string `xml:"docs,omitempty"`
}

type body struct {
	Outlines []outline `xml:"outline"`
}

type outline struct {
	Text      string    `xml:"text,attr"`
	Title     string    `xml:"title,attr,omitempty"`
	Type      string    `xml:"type,attr,omitempty"`
	XMLURL    string    `xml:"xmlUrl,attr,omitempty"`
	HTMLURL   string    `xml:"htmlUrl,attr,omitempty"`
	Category  string    `xml:"category,attr,omitempty"`
	IsComment string    `xml:"isComment,attr,omitempty"`
	ID        string    `xml:"civicwatchId,attr,omitempty"`
	Outlines  []outline `xml:"outline"`
}

// maxDepth bounds folder nesting: a subscription list is a few levels
// deep, and a hostile file must not make the walk recurse without end.
const maxDepth = 32

// ErrNotOPML is returned (wrapped) for a document that is not OPML.
var ErrNotOPML = errors.New("not an OPML document")

// Parse reads the feeds of an OPML document, in document order. Folders
// (outlines without xmlUrl) become categories of the feeds inside them.
func Parse(r io.Reader) ([]Feed, error) {
	var doc document
	dec := xml.NewDecoder(r)
	// OPML files in the wild declare other encodings rarely; UTF-8 and
	// ASCII are what encoding/xml reads, and the rest is refused clearly.
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q: only UTF-8 is read", charset)
	}
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("opml: line %d: %s", se.Line, se.Msg)
		}
		if strings.Contains(err.Error(), "expected element type <opml>") {
			return nil, fmt.Errorf("opml: %w", ErrNotOPML)
		}
		return nil, fmt.Errorf("opml: %w", err)
	}
	var out []Feed
	if err := walk(doc.Body.Outlines, nil, false, 0, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func walk(outlines []outline, folders []string, disabled bool, depth int, out *[]Feed) error {
	if depth > maxDepth {
		return fmt.Errorf("opml: outlines nested deeper than %d levels", maxDepth)
	}
	for _, o := range outlines {
		off := disabled || o.IsComment == "true"
		if strings.TrimSpace(o.XMLURL) == "" {
			name := strings.TrimSpace(firstNonEmpty(o.Text, o.Title))
			inner := folders
			if name != "" {
				inner = append(append([]string(nil), folders...), name)
			}
			if err := walk(o.Outlines, inner, off, depth+1, out); err != nil {
				return err
			}
			continue
		}
		f := Feed{Title: strings.TrimSpace(firstNonEmpty(o.Title, o.Text)), URL: strings.TrimSpace(o.XMLURL),
			HTMLURL: strings.TrimSpace(o.HTMLURL), ID: strings.TrimSpace(o.ID), Disabled: off}
		f.Categories = categories(folders, o.Category)
		*out = append(*out, f)
	}
	return nil
}

// categories merges the folders an outline sits in with its category
// attribute, a comma-separated list of names or slash-delimited paths
// ("/news/cambodia" is news and cambodia).
func categories(folders []string, attr string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		c = strings.TrimSpace(c)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, f := range folders {
		add(f)
	}
	for _, c := range strings.Split(attr, ",") {
		for _, part := range strings.Split(c, "/") {
			add(part)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// Write writes feeds as an OPML 2.0 document: one flat list of rss
// outlines, categories as the category attribute, a disabled feed marked
// isComment="true".
func Write(w io.Writer, title string, created time.Time, feeds []Feed) error {
	doc := document{Version: "2.0", Head: head{Title: title, Docs: "https://opml.org/spec2.opml"}}
	if !created.IsZero() {
		doc.Head.DateCreated = created.UTC().Format(time.RFC1123Z)
	}
	for _, f := range feeds {
		o := outline{Text: f.Title, Title: f.Title, Type: "rss", XMLURL: f.URL, HTMLURL: f.HTMLURL,
			Category: strings.Join(f.Categories, ","), ID: f.ID}
		if f.Disabled {
			o.IsComment = "true"
		}
		doc.Body.Outlines = append(doc.Body.Outlines, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
