package snippet

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Find returns where the words occur in text, for marking the words of a
// search in its results: every occurrence of every word, overlapping and
// touching ones merged, sorted, as byte offsets into text on rune
// boundaries.
//
// Letters are compared under Unicode simple case folding, so "UNION" finds
// "union" and "Профсоюз" finds "профсоюз"; scripts without case, Khmer
// among them, are matched as written. Khmer is compared in its search form
// on both sides (match.SearchForm), as store.Search and the rules compare
// it: zero-width characters (U+200B, U+200C, U+200D, U+FEFF) ignored, since
// feeds put a zero-width space inside words as often as between them;
// spellings writers interchange (្ដ and ្ត, ឱ and ឲ, អោយ) one; a syllable's
// parts in whatever order they were typed. A span never starts or ends on a
// zero-width character, and covers whole syllables where the text's were
// typed in another order. Words are compared in NFC, the form stored text
// is in.
func Find(text string, words []string) []Span {
	if text == "" || len(words) == 0 {
		return nil
	}
	f := newFolded(text)
	var spans []Span
	for _, w := range words {
		pat := foldString(match.SearchForm(norm.NFC.String(w)))
		if pat == "" {
			continue
		}
		for k := 0; k <= len(f.text)-len(pat); {
			i := strings.Index(f.text[k:], pat)
			if i < 0 {
				break
			}
			start, end := k+i, k+i+len(pat)
			spans = append(spans, f.span(start, end))
			// On by one rune, not by the word: "aa" occurs twice in "aaa",
			// and the merge below joins them.
			_, size := utf8.DecodeRuneInString(f.text[start:])
			k = start + size
		}
	}
	return merge(spans)
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans []Span) []Span {
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b Span) int { return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End)) })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.Start <= last.End {
			last.End = max(last.End, sp.End)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// folded is a text in its search form (match.SearchForm, which also drops
// zero-width characters and reads ្ដ as ្ត) and case-folded (fold), with the
// way back to the original's offsets: from[k] is where the byte at k of the
// folded text came from in the original. Both folded strings are valid
// UTF-8, so a match of one in the other falls on rune boundaries of the
// folded text.
type folded struct {
	text     string
	original string
	from     []int
}

func newFolded(text string) folded {
	form, at := match.SearchFormOffsets(text)
	b := make([]byte, 0, len(form))
	from := make([]int, 0, len(form))
	for i := 0; i < len(form); {
		r, size := utf8.DecodeRuneInString(form[i:]) // an invalid byte is one rune of size 1
		n := len(b)
		b = utf8.AppendRune(b, fold(r))
		for k := range len(b) - n {
			from = append(from, at[i+min(k, size-1)])
		}
		i += size
	}
	return folded{text: string(b), original: text, from: from}
}

// span maps the folded bytes [start, end) back to the original: from the
// start of the first rune any of them came from to the end of the last.
// In a syllable typed in another order the bytes come from anywhere in it,
// so all are looked at, not just the ends.
func (f *folded) span(start, end int) Span {
	lo, hi := len(f.original), 0
	for _, o := range f.from[start:end] {
		s := o
		for s > 0 && !utf8.RuneStart(f.original[s]) {
			s--
		}
		_, size := utf8.DecodeRuneInString(f.original[s:])
		lo, hi = min(lo, s), max(hi, s+size)
	}
	return Span{lo, hi}
}

// foldString is s as it is searched for, case-folded as newFolded folds
// text; s is already in its search form.
func foldString(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, fold(r))
	}
	return string(b)
}

// fold maps a rune to one representative of its simple case-folding orbit
// (the smallest), so that runes equal under folding compare equal.
func fold(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z':
		return r - 'a' + 'A'
	case r < utf8.RuneSelf:
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
