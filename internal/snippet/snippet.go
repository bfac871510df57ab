// Package snippet cuts the passage of a story's text to show beside its
// headline, with the matched or searched words marked. The digest, the web
// console and the CLI all show snippets, and a reader comparing them should
// see the same passage everywhere, so there is one implementation.
//
// Offsets are byte offsets into the original text, as match.Hit carries
// them; the text shown is cleaned (see Clean) only after it is cut, so the
// offsets stay valid.
package snippet

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Segment is a piece of snippet text; Mark is set on matched or searched
// words. Templates escape Text: it is cleaned, not HTML.
type Segment struct {
	Text string
	Mark bool
}

// Span is a half-open byte range [Start, End) of a text.
type Span struct {
	Start int
	End   int
}

// Hits returns the spans of the hits found in one field, in their order.
func Hits(hits []match.Hit, field match.Field) []Span {
	var out []Span
	for _, h := range hits {
		if h.Field == field {
			out = append(out, Span{h.Start, h.End})
		}
	}
	return out
}

// Around cuts about width characters of text around the first span, on word
// boundaries, and splits it into plain and marked segments. With no span it
// is the start of the text. An ellipsis segment stands for text cut off at
// either end. Spans outside the text or not on rune boundaries (stale hits
// of a story whose text changed) are ignored; a span running past the
// window's end is left unmarked, except the first, which the window is
// stretched to hold.
func Around(text string, spans []Span, width int) []Segment {
	spans = usable(text, spans)
	from := 0
	if len(spans) > 0 {
		from = back(text, spans[0].Start, width/3)
	}
	to := forward(text, from, width)
	if len(spans) > 0 && to < spans[0].End {
		to = spans[0].End
	}
	var segs []Segment
	if from > 0 {
		segs = append(segs, Segment{Text: "… "})
	}
	segs = mark(segs, text, spans, from, to)
	if to < len(text) {
		segs = append(segs, Segment{Text: " …"})
	}
	return segs
}

// Mark splits the whole of text into plain and marked segments: for a
// headline, which is shown whole.
func Mark(text string, spans []Span) []Segment {
	return mark(nil, text, usable(text, spans), 0, len(text))
}

// mark appends text[from:to] with the spans inside it marked. Spans are
// sorted by start, longest first, so of two spans starting together the
// longer is marked and a span overlapping one already marked is skipped.
func mark(segs []Segment, text string, spans []Span, from, to int) []Segment {
	pos := from
	for _, sp := range spans {
		if sp.Start < pos || sp.End > to {
			continue
		}
		segs = appendText(segs, text[pos:sp.Start], false)
		segs = appendText(segs, text[sp.Start:sp.End], true)
		pos = sp.End
	}
	return appendText(segs, text[pos:to], false)
}

// usable returns a sorted copy of the spans that can be cut out of text.
func usable(text string, spans []Span) []Span {
	out := make([]Span, 0, len(spans))
	for _, sp := range spans {
		if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End ||
			!boundary(text, sp.Start) || !boundary(text, sp.End) {
			continue
		}
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b Span) int { return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End)) })
	return out
}

// boundary reports whether i is where a rune of text starts, as ranging
// over the string decodes it: invalid bytes decode one at a time.
func boundary(text string, i int) bool {
	if i <= 0 || i >= len(text) || utf8.RuneStart(text[i]) {
		return true
	}
	// A continuation byte: inside a rune only if the nearest lead byte
	// before it starts a valid rune long enough to reach it.
	for p := i - 1; p >= 0 && p >= i-(utf8.UTFMax-1); p-- {
		if utf8.RuneStart(text[p]) {
			_, size := utf8.DecodeRuneInString(text[p:])
			return p+size <= i
		}
	}
	return true
}

// appendText adds cleaned text, keeping one space at either edge where the
// original had whitespace, so a marked word does not glue to its neighbours.
func appendText(segs []Segment, s string, mark bool) []Segment {
	c := Clean(s)
	if c == "" {
		if strings.TrimSpace(s) != s && len(segs) > 0 {
			c = " "
		} else {
			return segs
		}
	} else {
		if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
			c = " " + c
		}
		if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
			c += " "
		}
	}
	return append(segs, Segment{Text: c, Mark: mark})
}

// back moves from i about n characters back, to the start of a word.
func back(text string, i, n int) int {
	j := i
	for k := 0; k < n && j > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(text[:j])
		j -= size
	}
	if j == 0 {
		return 0
	}
	if sp := strings.IndexFunc(text[j:i], unicode.IsSpace); sp >= 0 {
		return j + sp + 1
	}
	return j
}

// forward moves from i about n characters on, to the end of a word.
func forward(text string, i, n int) int {
	j := i
	for k := 0; k < n && j < len(text); k++ {
		_, size := utf8.DecodeRuneInString(text[j:])
		j += size
	}
	if j >= len(text) {
		return len(text)
	}
	if sp := strings.LastIndexFunc(text[i:j], unicode.IsSpace); sp > 0 {
		return i + sp
	}
	return j
}

// Clean makes feed text safe to show: control and bidirectional-override
// characters (U+202E can make a link read backwards) are removed and
// whitespace folded. Zero-width spaces stay: in Khmer they are where a line
// may break. Escaping is the templates' job.
func Clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '\u202A' || r == '\u202B' || r == '\u202C' || r == '\u202D' || r == '\u202E' ||
			'\u2066' <= r && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == utf8.RuneError:
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
