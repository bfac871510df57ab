package feed

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	nethtml "golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// HTMLToText returns the readable text of an HTML fragment as one line:
// tags are removed, entities decoded, the contents of elements that are not
// prose (scripts, styles, embedded documents, SVG) dropped, block elements
// turned into word breaks, whitespace folded to single spaces, and the
// result put in NFC. Plain text passes through folded.
//
// It runs on every title, summary and content, so text without markup takes
// a path that never starts the tokenizer, and already clean text is
// returned without allocating.
func HTMLToText(s string) string {
	if !strings.Contains(s, "<") {
		// Entities alone need no tokenizer. Whatever they decode to is text,
		// including "<" from "&lt;", exactly as the tokenizer would treat it.
		return Clean(html.UnescapeString(s))
	}
	var w textWriter
	w.b.Grow(len(s))
	z := nethtml.NewTokenizer(strings.NewReader(s))
	skipping := 0 // depth inside elements whose content is dropped
	for {
		tt := z.Next()
		switch tt {
		case nethtml.ErrorToken:
			// io.EOF or a read error from a strings.Reader that cannot fail:
			// either way the text so far is all there is.
			return norm.NFC.String(w.b.String())
		case nethtml.TextToken:
			if skipping == 0 {
				w.writeBytes(z.Text())
			}
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			name, _ := z.TagName()
			switch kind := elementKind(name); {
			case kind == rawSkipped || kind == skipped && tt == nethtml.StartTagToken:
				// The tokenizer reads a raw-text element's content as text
				// up to its end tag even when the start tag ends in "/>",
				// so such a tag opens a skipped region regardless.
				skipping++
			case kind == block:
				w.breakWord()
			}
		case nethtml.EndTagToken:
			name, _ := z.TagName()
			switch elementKind(name) {
			case skipped, rawSkipped:
				if skipping > 0 {
					skipping--
				}
			case block:
				w.breakWord()
			}
		}
	}
}

// Clean folds whitespace in plain text (runs of spaces, tabs, newlines,
// NBSP and other Unicode spaces become one space, ends trimmed), removes
// control characters and U+FEFF, replaces invalid UTF-8 with U+FFFD, and
// puts the result in NFC. Text that is already clean is returned as is.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var w textWriter
	w.b.Grow(len(s))
	w.writeString(s)
	// Folding first: removing U+FEFF can bring a base letter and a combining
	// mark together, which NFC must then see.
	return norm.NFC.String(w.b.String())
}

type elemKind uint8

const (
	inline     elemKind = iota
	block               // separates words
	skipped             // content dropped
	rawSkipped          // content dropped; the tokenizer reads it as raw text
)

// elementKind classifies a lower-case tag name. The switch on string(name)
// does not allocate.
func elementKind(name []byte) elemKind {
	switch string(name) {
	case "script", "style", "noscript", "iframe", "noembed", "noframes":
		return rawSkipped
	case "template", "svg", "head":
		return skipped
	case "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd",
		"h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
		"thead", "tbody", "tfoot", "caption", "blockquote", "pre",
		"section", "article", "aside", "header", "footer", "nav", "main",
		"figure", "figcaption", "address", "details", "summary", "form",
		"fieldset", "legend", "option", "title", "body", "html", "img":
		return block
	}
	return inline
}

// textWriter accumulates folded text: a run of whitespace is remembered and
// written as one space only when more text follows, which trims both ends
// and collapses runs without a second pass.
type textWriter struct {
	b     strings.Builder
	space bool
}

// breakWord marks a word boundary, as a block element's edge does.
func (w *textWriter) breakWord() { w.space = true }

func (w *textWriter) writeBytes(p []byte) {
	for len(p) > 0 {
		if c := p[0]; c < utf8.RuneSelf {
			w.writeRune(rune(c))
			p = p[1:]
			continue
		}
		r, n := utf8.DecodeRune(p)
		w.writeRune(r) // invalid input decodes to U+FFFD
		p = p[n:]
	}
}

func (w *textWriter) writeString(s string) {
	for _, r := range s { // invalid input ranges as U+FFFD
		w.writeRune(r)
	}
}

func (w *textWriter) writeRune(r rune) {
	switch classify(r) {
	case runeSpace:
		w.space = true
	case runeKeep:
		if w.space && w.b.Len() > 0 {
			w.b.WriteByte(' ')
		}
		w.space = false
		if r < utf8.RuneSelf {
			w.b.WriteByte(byte(r))
		} else {
			w.b.WriteRune(r)
		}
	}
}

type runeClass uint8

const (
	runeKeep runeClass = iota
	runeSpace
	runeDrop
)

// classify decides what folding does with r. U+200B (zero width space) is
// kept: Khmer, Thai and Lao text use it as the only word boundary.
func classify(r rune) runeClass {
	if r < utf8.RuneSelf {
		switch {
		case r == ' ', r >= '\t' && r <= '\r':
			return runeSpace
		case r < ' ', r == 0x7F:
			return runeDrop
		}
		return runeKeep
	}
	switch {
	case unicode.IsSpace(r): // NBSP, U+2000..U+200A, U+3000, ...
		return runeSpace
	case r == '\uFEFF', r >= 0x80 && r <= 0x9F: // BOM, C1 controls
		return runeDrop
	}
	return runeKeep
}

// isClean reports whether Clean would return s unchanged.
func isClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	prevSpace := true // so that a leading space fails
	for _, r := range s {
		switch classify(r) {
		case runeDrop:
			return false
		case runeSpace:
			if r != ' ' || prevSpace {
				return false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	if prevSpace && s != "" {
		return false // trailing space
	}
	// QuickSpanString, unlike IsNormalString, does not allocate; the rare
	// text it is unsure of just takes the slow path.
	return norm.NFC.QuickSpanString(s) == len(s)
}
