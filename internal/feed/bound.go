package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what one item may store. A feed is outside input: without them
// a 5 MB title (well under the body cap) is stored whole and then copied
// into every page, export, digest and rules-lab answer that shows it. The
// limits sit far above any real article (a long feature runs to some
// 60 KB of text) so that only hostile or broken feeds are cut.
const (
	MaxTitle   = 1000      // characters of the title
	MaxText    = 256 << 10 // bytes of summary and content together
	MaxSummary = 64 << 10  // bytes of the summary: its share of MaxText, the rest is the content's
	MaxAuthor  = 200       // characters of the author
	MaxLang    = 35        // bytes of a language tag (RFC 5646 advises 35)
	MaxGUID    = 1024      // bytes of a GUID; a longer one is stored as its hash
	MaxURL     = 8 << 10   // bytes of a link; a longer one is no usable link
)

// CutMark ends a field that was cut, so a reader sees that text is missing.
const CutMark = " [… cut]"

// rawFactor bounds how much markup is converted to reach a bounded field:
// HTML shrinks when it becomes text, but never by more than this in any
// feed worth reading, and converting a 5 MB title only to keep 1,000
// characters of it would be work for nothing.
const rawFactor = 16

// bound cuts an item's fields to the limits above and reports whether
// anything was cut; Item.Cut records it.
func (it *Item) bound() {
	var cut [6]bool
	it.Title, cut[0] = cutRunes(it.Title, MaxTitle)
	it.Author, cut[1] = cutRunes(it.Author, MaxAuthor)
	it.Credited, cut[5] = cutRunes(it.Credited, MaxAuthor)
	it.Summary, cut[2] = cutBytes(it.Summary, MaxSummary)
	it.Content, cut[3] = cutBytes(it.Content, MaxText-len(it.Summary))
	if len(it.Lang) > MaxLang {
		it.Lang, cut[4] = "", true // a tag that long is no language
	}
	if len(it.GUID) > MaxGUID {
		// Identity must survive: a cut GUID could collide with another
		// item's, the hash cannot (in practice).
		sum := sha256.Sum256([]byte(it.GUID))
		it.GUID = "sha256:" + hex.EncodeToString(sum[:])
	}
	for _, c := range cut {
		it.Cut = it.Cut || c
	}
}

// preCut shortens raw markup before it is converted to a field of at most
// limit bytes of text, reporting whether it did.
func preCut(raw string, limit int) (string, bool) {
	if len(raw) <= limit*rawFactor {
		return raw, false
	}
	return raw[:runeStart(raw, limit*rawFactor)], true
}

// markCut ends text whose markup preCut shortened with the mark.
func markCut(text string, cut bool) string {
	if !cut {
		return text
	}
	return strings.TrimRightFunc(text, unicode.IsSpace) + CutMark
}

// cutRunes keeps at most max characters of s, the mark included.
func cutRunes(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	keep := max - utf8.RuneCountInString(CutMark)
	i := 0
	for n := 0; n < keep; n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return strings.TrimRightFunc(s[:clusterStart(s, i)], unicode.IsSpace) + CutMark, true
}

// cutBytes keeps at most max bytes of s, the mark included.
func cutBytes(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	if max < len(CutMark) {
		return "", s != ""
	}
	i := clusterStart(s, runeStart(s, max-len(CutMark)))
	return strings.TrimRightFunc(s[:i], unicode.IsSpace) + CutMark, true
}

// runeStart moves i back to the start of the character it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// clusterStart moves a cut at i back so that it does not split a written
// character: a combining mark (a Khmer vowel sign, a diacritic) stays with
// its base, and a Khmer COENG (U+17D2) with the consonant it subscripts,
// so the kept text never ends on a dangling sign. It gives up after a few
// steps, since a run of marks that long is no word.
func clusterStart(s string, i int) int {
	for range 16 {
		if i <= 0 || i >= len(s) {
			return i
		}
		next, _ := utf8.DecodeRuneInString(s[i:])
		prev, size := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.Is(unicode.M, next) && prev != '\u17D2' && prev != '\u200D' && next != '\u200D' {
			return i
		}
		i -= size
	}
	return i
}
