package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/worddiff"
)

// ErrNotHTML is a page that is not a web page: a PDF statement, an image,
// a document. It is kept as evidence byte for byte; it has no article text
// to extract, so its re-checks compare the bytes instead.
var ErrNotHTML = errors.New("not an HTML page")

// extracted is what a fetched page gives as its story's article: the text,
// or why there is none.
type extracted struct {
	text  string
	story *store.Story // loaded when a text was extracted, for the headline and the re-match
	err   error        // ErrNotHTML, ErrNotTheStory, or the extractor's refusal
}

// readArticle extracts a fetched page's article and checks that it is its
// story's. Only HTML is extracted, decoded once to UTF-8 from the charset
// its header, byte-order mark or <meta> declares: handing the extractor a
// PDF made up text from its bytes, and a re-check that found none then
// called the statement removed. Its error is for the database failing.
func (r *Runner) readArticle(ctx context.Context, storyID int64, ex *fetch.Exchange) (extracted, error) {
	ct := ex.ResponseHeader.Get("Content-Type")
	if mt := mediaType(ct, ex.Body); mt != "text/html" && mt != "application/xhtml+xml" {
		return extracted{err: fmt.Errorf("%w (%s): kept as it came, no text extracted", ErrNotHTML, mt)}, nil
	}
	body := utf8Body(ex.Body, ct)
	text, err := r.o.Extractor.Extract(body, ex.FinalURL)
	if err != nil {
		return extracted{err: err}, nil
	}
	st, err := r.st.Story(ctx, storyID)
	if err != nil {
		return extracted{}, fmt.Errorf("story %d: %w", storyID, err)
	}
	// The headline is looked for in the article and in the page's own
	// title and headings, which the extractor keeps apart.
	if share := headlineShare(st.Title, text+"\n"+visibleText(body)); share < minHeadline {
		return extracted{err: fmt.Errorf("%w (%.0f%% of it on the page): an aggregator's, paywall or home page? Kept as it came, its text not used",
			ErrNotTheStory, 100*share)}, nil
	}
	return extracted{text: text, story: st}, nil
}

// mediaType is the page's media type as its server declares it, or as its
// bytes say when the server declares none or only "octet-stream".
func mediaType(contentType string, body []byte) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" || mt == "application/octet-stream" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	}
	return strings.ToLower(mt)
}

// utf8Body decodes body to UTF-8. An unknown or lying charset leaves the
// bytes as they are; the extractor's text is made valid UTF-8 anyway.
func utf8Body(body []byte, contentType string) []byte {
	rd, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return body
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		return body
	}
	return out
}

// ErrNotTheStory is a page that answers but does not carry the story's
// headline: an aggregator's redirect page (Google News links are pages
// whose script sends the browser on), a consent or paywall page, a home
// page. It is kept as evidence of what the address gave; its text is not
// the article, so it is neither matched nor compared as one.
var ErrNotTheStory = errors.New("the page does not carry the story's headline")

// minHeadline is the share of the headline's word pairs the page must show.
// Outlets retitle a little between feed and page ("… - Outlet" suffixes,
// a word changed); a page that is not the story shares next to none.
const minHeadline = 0.5

// headlineShare is the share of the headline's word pairs (pairs of
// orthographic clusters in Khmer) found in the page, case aside.
func headlineShare(headline, page string) float64 {
	eachWord := func(s string, each func(string)) {
		for _, tok := range words(strings.ToLower(s)) {
			if !isPunct(tok) {
				each(tok)
			}
		}
	}
	var hw []string
	eachWord(headline, func(w string) { hw = append(hw, w) })
	want := map[string]bool{} // pair → found
	switch len(hw) {
	case 0:
		return 1 // no headline to look for
	case 1:
		want[hw[0]] = false
	default:
		for i := 0; i+1 < len(hw); i++ {
			want[hw[i]+" "+hw[i+1]] = false
		}
	}
	prev := ""
	eachWord(page, func(w string) {
		if len(hw) == 1 {
			if _, ok := want[w]; ok {
				want[w] = true
			}
			return
		}
		if prev != "" {
			if found, ok := want[prev+" "+w]; ok && !found {
				want[prev+" "+w] = true
			}
		}
		prev = w
	})
	n := 0
	for _, found := range want {
		if found {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// words is worddiff's tokens of text (words; orthographic clusters in
// Khmer) without the spaces and zero-width spaces between them: what the
// headline check and the edited-or-replaced check compare.
func words(text string) []string {
	var out []string
	for _, tok := range worddiff.Tokens(text) {
		if strings.TrimSpace(strings.ReplaceAll(tok, "\u200b", "")) != "" {
			out = append(out, tok)
		}
	}
	return out
}

func isPunct(tok string) bool {
	for _, r := range tok {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 0x7f {
			return false
		}
	}
	return true
}

// visibleText is the text of a page outside scripts and styles: its title
// and headings included, which readability keeps apart from the article.
func visibleText(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if a := atomOf(z); a == atom.Script || a == atom.Style || a == atom.Noscript {
				skip++
			}
		case html.EndTagToken:
			if a := atomOf(z); (a == atom.Script || a == atom.Style || a == atom.Noscript) && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
				b.WriteByte(' ')
			}
		}
	}
}

func atomOf(z *html.Tokenizer) atom.Atom {
	name, _ := z.TagName()
	return atom.Lookup(name)
}
