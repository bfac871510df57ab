package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// Extractor finds an article's main text in a page. It is an interface so
// the extractor can be swapped, or two compared, without touching captures.
type Extractor interface {
	Extract(body []byte, pageURL string) (string, error)
}

// Limits on what is handed to the extractor. A capture keeps any page the
// fetcher accepted; extraction, which builds a DOM and scores it, is bounded
// more tightly so a hostile page costs a clear error, not the daemon.
const (
	MaxExtractBytes = 4 << 20 // articles are far smaller; a bigger page is not an article
	MaxNesting      = 512     // browsers give up deeper than this too
)

// ErrTooDeep is markup nested deeper than MaxNesting.
var ErrTooDeep = errors.New("markup nested too deeply to extract")

// Readability extracts with codeberg.org/readeck/go-readability/v2, a
// maintained port of Mozilla's Readability (what Firefox's reader view runs).
type Readability struct{}

// Extract returns the article's text, whitespace-collapsed per line.
func (Readability) Extract(body []byte, pageURL string) (string, error) {
	if len(body) > MaxExtractBytes {
		return "", fmt.Errorf("page of %d bytes is over the %d-byte extraction limit", len(body), MaxExtractBytes)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		// The parser has a depth bound of its own; it says so only in words.
		if strings.Contains(err.Error(), "open stack of elements exceeds") {
			return "", fmt.Errorf("%w: %v", ErrTooDeep, err)
		}
		return "", fmt.Errorf("parse markup: %w", err)
	}
	if err := checkNesting(doc); err != nil {
		return "", err
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("page URL: %w", err)
	}
	p := readability.NewParser()
	art, err := p.ParseAndMutate(doc, u)
	if err != nil {
		return "", fmt.Errorf("extract text: %w", err)
	}
	var b strings.Builder
	if err := art.RenderText(&b); err != nil {
		return "", fmt.Errorf("extract text: %w", err)
	}
	text := normalizeText(b.String())
	if text == "" {
		return "", errors.New("no article text found")
	}
	return text, nil
}

// checkNesting measures the parsed tree with an explicit stack: the HTML
// parser is iterative and applies the implied end tags a token count would
// miss, but the extractor's walks recurse, so depth is checked before them.
func checkNesting(doc *html.Node) error {
	type item struct {
		n     *html.Node
		depth int
	}
	stack := []item{{doc, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > MaxNesting {
			return fmt.Errorf("%w (more than %d levels)", ErrTooDeep, MaxNesting)
		}
		for c := it.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return nil
}

// normalizeText makes the text valid UTF-8 and collapses runs of spaces, so
// its hash changes when words change and not when markup is reflowed.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var out []string
	for line := range strings.Lines(s) {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return strings.Join(out, "\n")
}
