package match

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// normalizer turns text into the form rules are matched against, keeping a
// map from output bytes back to input bytes so that hits can be reported in
// the caller's text. Terms and story text go through the same code, which is
// what makes them comparable:
//
//   - NFC, then case folding;
//   - U+200B, U+200C, U+200D and U+FEFF removed (Khmer sites put them between
//     words, or not, at will);
//   - the parts of a Khmer syllable put in Unicode's order when they were
//     typed in another (khmerSyllable: a vowel before a subscript, NIKAHIT
//     before a vowel, a subscript ្រ before another subscript);
//   - Khmer spellings that writers use interchangeably folded into one
//     (khmerLetter): ំរ and ំល after a consonant into ម្រ and ម្ល (an
//     older and a newer spelling, both in use); the subscript ្ដ (COENG +
//     DA) into ្ត (COENG + TA); ឱ
//     into ឲ, and the informal អោយ into ឲ្យ, so the three spellings of
//     "to give, to let" (ឲ្យ, ឱ្យ, អោយ) read alike; and the two-part
//     vowels typed as two signs (េ + ី, េ + ា) into the one sign (ើ, ោ)
//     that Unicode does not compose them into;
//   - every run of characters that are not letters, marks or digits becomes
//     one space, and a space between two Khmer characters is dropped (kept
//     for NEAR in breaks), so "trade-union" reads "trade union" and Khmer
//     spacing never matters.
//
// This is the hot loop of matching, so it is one pass with fast paths for
// ASCII and Khmer, and the offset map is sparse: output and input advance
// together except where bytes are dropped or replaced, and only those places
// are recorded.
type normalizer struct {
	out   []byte
	marks []mark // where the distance between output and input offsets changes
	delta int32  // input offset minus output offset since the last mark

	pendingSpace         bool  // a word break was seen and not yet written
	spaceAt              int32 // input offset of the break
	lastKhmer, lastCoeng bool

	// breaks are the output offsets of Khmer letters that follow a word
	// break the output leaves out (a space between two Khmer letters), so
	// NEAR can still count Khmer words. Zero-width spaces are not breaks:
	// some outlets put one between every word and others none, and a
	// story must match alike either way (NEAR/15 would span a clause in
	// one and a paragraph in the other).
	breaks []int32
}

// mark says that output offset out comes from input offset in, and the bytes
// after it follow one for one until the next mark.
type mark struct{ out, in int32 }

// asciiClass maps an ASCII byte to what it becomes: itself, its lower case,
// or 0 for a word break.
var asciiClass = func() (t [128]byte) {
	for c := 0; c < 128; c++ {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

const (
	khmerLo  = '\u1780'
	khmerHi  = '\u17FF'
	khmerSym = '\u19E0' // Khmer Symbols block, U+19E0..U+19FF
)

func isKhmer(r rune) bool {
	return khmerLo <= r && r <= khmerHi || khmerSym <= r && r <= '\u19FF'
}

// khmerWord tells, for U+1780..U+17FF, which code points are part of words
// (letters, signs, digits) rather than punctuation and symbols.
var khmerWord = func() (t [128]bool) {
	for i := range t {
		r := rune(0x1780 + i)
		t[i] = unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
	}
	return t
}()

func isZeroWidth(r rune) bool {
	return r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\uFEFF'
}

// reset normalises s into n.out, reusing storage.
func (n *normalizer) reset(s string) {
	n.out, n.marks, n.breaks = n.out[:0], n.marks[:0], n.breaks[:0]
	if cap(n.out) < len(s) {
		n.out = make([]byte, 0, len(s)+len(s)/4)
	}
	n.delta = 0
	n.pendingSpace, n.lastKhmer, n.lastCoeng = false, false, false
	n.marks = append(n.marks, mark{0, 0})
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if m := asciiClass[c]; m != 0 {
				if n.pendingSpace {
					n.space()
				}
				n.lastKhmer, n.lastCoeng = false, false
				n.put(m, int32(i))
			} else if !n.pendingSpace {
				n.pendingSpace, n.spaceAt = true, int32(i)
			}
			i++
			continue
		}
		// Khmer, the other script of this corpus, is three bytes E1 9E xx or
		// E1 9F xx, and never needs composing.
		if c == 0xE1 && i+2 < len(s) && (s[i+1] == 0x9E || s[i+1] == 0x9F) && s[i+2]&0xC0 == 0x80 {
			if k := int(s[i+1]-0x9E)<<6 | int(s[i+2]&0x3F); khmerWord[k] {
				i += n.khmer(s, i, k)
				continue
			}
			if !n.pendingSpace {
				n.pendingSpace, n.spaceAt = true, int32(i)
			}
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if needsComposing(s[i:], r) {
			n.reset2(s)
			return
		}
		n.rune(r, int32(i))
		i += size
	}
}

// khmerFolds marks, for U+1780..U+17FF, the code points at which
// khmerLetter may read a spelling differently: DA (after a COENG), ឱ, អ
// (of អោយ), េ (of a vowel typed as two signs), RO and LO (after a
// NIKAHIT) and COENG itself (which khmerLetter notes, for the DA after
// it). Every other letter is copied as it is, inline.
var khmerFolds = func() (t [128]bool) {
	for _, r := range []rune{'\u178A', '\u17B1', '\u17A2', '\u17C1', '\u17D2', '\u179A', '\u179B'} {
		t[r-0x1780] = true
	}
	return t
}()

// khmerLetter writes the Khmer letter, sign or digit at s[i:], which the
// caller has checked, folding the spellings listed on normalizer, and
// returns how many input bytes it used.
func (n *normalizer) khmerLetter(s string, i int, at int32) int {
	b1, b2 := s[i+1], s[i+2]
	used := 3
	switch {
	case b1 == 0x9E && (b2 == 0x9A || b2 == 0x9B) && n.afterNikahitOnBase():
		// ំរ and ំល read as ម្រ and ម្ល: the older and the newer spelling
		// of one word (សំរាប់ and សម្រាប់, គំរាម and គម្រាម, សំលាប់ and
		// សម្លាប់), both in use. The NIKAHIT already written becomes MO and
		// the subscript comes from the RO or LO's own bytes. Folding the
		// output rather than looking ahead keeps it so when a break or a
		// zero-width space lay between the two.
		n.out[len(n.out)-2], n.out[len(n.out)-1] = 0x9E, 0x98
		if k := len(n.breaks); k > 0 && n.breaks[k-1] == int32(len(n.out)) {
			n.breaks = n.breaks[:k-1] // the letters now make one syllable
		}
		n.put(0xE1, at)
		n.put(0x9F, at+1)
		n.put(0x92, at+2)
	case b1 == 0x9E && b2 == 0x8A && n.lastCoeng: // DA after COENG reads as TA
		b2 = 0x8F
	case b1 == 0x9E && b2 == 0xB1: // ឱ reads as ឲ
		b2 = 0xB2
	case b1 == 0x9E && b2 == 0xA2 && strings.HasPrefix(s[i+3:], "\u17C4\u1799"): // អោយ reads as ឲ្យ
		// Same length, so each output byte keeps its input offset.
		for j, c := range []byte("\u17B2\u17D2\u1799") {
			n.put(c, at+int32(j))
		}
		n.lastKhmer, n.lastCoeng = true, false
		return 9
	case b1 == 0x9F && b2 == 0x81 && len(s) >= i+6 && s[i+3] == 0xE1 && s[i+4] == 0x9E: // េ before ី or ា
		switch s[i+5] {
		case 0xB8: // េ + ី reads as ើ (U+17BE)
			b1, b2, used = 0x9E, 0xBE, 6
		case 0xB6: // េ + ា reads as ោ (U+17C4)
			b1, b2, used = 0x9F, 0x84, 6
		}
	}
	n.put(0xE1, at)
	n.put(b1, at+1)
	// The last byte of a two-sign vowel comes from its second sign, so a
	// hit that ends on it is mapped back to the end of both.
	n.put(b2, at+int32(used-1))
	n.lastKhmer, n.lastCoeng = true, b1 == 0x9F && b2 == 0x92
	return used
}

// afterNikahitOnBase reports whether the output ends in a consonant and
// NIKAHIT (ំ) straight after it, the spelling that ំរ and ំល fold from.
func (n *normalizer) afterNikahitOnBase() bool {
	o := n.out
	k := len(o)
	return k >= 6 && o[k-3] == 0xE1 && o[k-2] == 0x9F && o[k-1] == 0x86 &&
		o[k-6] == 0xE1 && o[k-5] == 0x9E && o[k-4] >= 0x80 && o[k-4] <= 0xA2
}

// khmer writes the Khmer letter, sign or digit at s[i:] (k is its index in
// the block, khmerWord[k] is true) with the word break before it, the rest
// of its syllable when its parts were typed out of order, and its folds,
// and returns the input bytes it used. Both normalising loops take Khmer
// through it, so a story reads the same whichever of them ran.
func (n *normalizer) khmer(s string, i, k int) int {
	n.khmerBreak(khmerRank[k] > rankBase)
	if khmerRank[k] == rankBase && mayBeOutOfOrder(s, i) {
		if used := n.khmerSyllable(s, i); used > 0 {
			return used
		}
	}
	return n.khmerPart(s, i, int32(i))
}

// khmerPart writes the Khmer letter or sign at s[i:], folded where
// khmerLetter folds it, attributed to input offset at.
func (n *normalizer) khmerPart(s string, i int, at int32) int {
	if khmerFolds[int(s[i+1]-0x9E)<<6|int(s[i+2]&0x3F)] {
		return n.khmerLetter(s, i, at)
	}
	n.put(0xE1, at)
	n.put(s[i+1], at+1)
	n.put(s[i+2], at+2)
	n.lastKhmer, n.lastCoeng = true, false
	return 3
}

// Ranks of the parts of a Khmer syllable in the order Unicode stores them
// (after SIL's khnormal): the base, ROBAT, the subscripts (a COENG with the
// consonant it joins; subscript RO last), a register shifter, the vowel
// (the parts drawn before, below, above and after the base), then the signs
// (NIKAHIT, BANTOC, …) and REAHMUK. Renderers draw a syllable alike whatever
// order its parts were typed in, and writers type several: the vowel before
// the subscript (សិទិ្ធ for សិទ្ធិ, ញតិ្ដ for ញត្តិ), NIKAHIT before the vowel
// (ទំាង for ទាំង, ឃំុ for ឃុំ), the subscript RO first (មន្រ្តី for មន្ត្រី).
const (
	rankNone       uint8 = iota // not part of a syllable: ends one
	rankBase                    // a consonant or independent vowel
	rankRobat                   // ៌
	rankCoeng                   // a subscript consonant
	rankCoengRo                 // the subscript RO
	rankShift                   // ៉ ៊
	rankVowelPre                // េ ែ ៃ ោ ៅ and ើ ឿ ៀ
	rankVowelBelow              // ុ ូ ួ
	rankVowelAbove              // ិ ី ឹ ឺ
	rankVowelPost               // ា
	rankSign                    // ំ ់ ៍ ៎ ៏ ័ ៑ ៓ ៝
	rankFinal                   // ះ ៈ
)

var khmerRank = func() (t [128]uint8) {
	set := func(lo, hi rune, r uint8) {
		for c := lo; c <= hi; c++ {
			t[c-0x1780] = r
		}
	}
	set('\u1780', '\u17A2', rankBase)
	set('\u17A5', '\u17B3', rankBase)
	set('\u17B6', '\u17B6', rankVowelPost)
	set('\u17B7', '\u17BA', rankVowelAbove)
	set('\u17BB', '\u17BD', rankVowelBelow)
	set('\u17BE', '\u17C5', rankVowelPre)
	set('\u17C6', '\u17C6', rankSign)
	set('\u17C7', '\u17C8', rankFinal)
	set('\u17C9', '\u17CA', rankShift)
	set('\u17CB', '\u17CB', rankSign)
	set('\u17CC', '\u17CC', rankRobat)
	set('\u17CD', '\u17D1', rankSign)
	set('\u17D2', '\u17D2', rankCoeng)
	set('\u17D3', '\u17D3', rankSign)
	set('\u17DD', '\u17DD', rankSign)
	return t
}()

// maxSyllableParts bounds the parts after a base that khmerSyllable will
// reorder; real syllables have at most five or six.
const maxSyllableParts = 8

// mayBeOutOfOrder tells, cheaply, whether the syllable whose base is at
// s[i:] has two parts or more after it, the least that can be out of order.
// Most have none or one vowel, and the matcher's hot loop skips them.
func mayBeOutOfOrder(s string, i int) bool {
	if i+8 >= len(s) || s[i+3] != 0xE1 || s[i+6] != 0xE1 || s[i+4] < 0x9E || s[i+4] > 0x9F {
		return false
	}
	first := khmerRank[int(s[i+4]-0x9E)<<6|int(s[i+5]&0x3F)]
	if first <= rankBase {
		return false
	}
	if s[i+7] < 0x9E || s[i+7] > 0x9F {
		return false
	}
	return first == rankCoeng || khmerRank[int(s[i+7]-0x9E)<<6|int(s[i+8]&0x3F)] > rankBase
}

// khmerSyllable writes the syllable whose base is at s[i:] with its parts
// in Unicode's order, folded as khmerLetter folds them, and returns the
// input bytes it used. When the parts already are in order (nearly always),
// or there are too many to be a syllable, it writes nothing and returns 0,
// for the caller to go on letter by letter. The syllable is the same
// length in either order, so each output byte keeps the offset of the
// input byte at its place, as the ្រ fold did before: a hit inside a
// reordered syllable maps to that syllable.
func (n *normalizer) khmerSyllable(s string, i int) int {
	type part struct{ at, size, rank uint8 }
	var parts [maxSyllableParts]part
	count, inOrder, prev := 0, true, rankBase
	j := i + 3
	for j+2 < len(s) && s[j] == 0xE1 && (s[j+1] == 0x9E || s[j+1] == 0x9F) && s[j+2]&0xC0 == 0x80 {
		r, size := khmerRank[int(s[j+1]-0x9E)<<6|int(s[j+2]&0x3F)], 3
		if r == rankCoeng { // the consonant it joins comes with it
			if j+5 >= len(s) || s[j+3] != 0xE1 || s[j+4] != 0x9E || s[j+5]&0xC0 != 0x80 || khmerRank[s[j+5]&0x3F] != rankBase {
				break
			}
			if s[j+5] == 0x9A {
				r = rankCoengRo
			}
			size = 6
		}
		if r <= rankBase {
			break
		}
		if count == len(parts) {
			return 0
		}
		inOrder = inOrder && r >= prev
		parts[count] = part{uint8(j - i), uint8(size), r}
		prev = r
		count++
		j += size
	}
	if inOrder {
		return 0
	}
	// A stable insertion sort: parts of one rank keep the order they were
	// typed in.
	for a := 1; a < count; a++ {
		for b := a; b > 0 && parts[b].rank < parts[b-1].rank; b-- {
			parts[b], parts[b-1] = parts[b-1], parts[b]
		}
	}
	var buf [3 + maxSyllableParts*6]byte
	m := copy(buf[:], s[i:i+3])
	for _, p := range parts[:count] {
		m += copy(buf[m:], s[i+int(p.at):i+int(p.at)+int(p.size)])
	}
	syl := string(buf[:m])
	for k := 0; k < len(syl); {
		k += n.khmerPart(syl, k, int32(i+k))
	}
	return j - i
}

// put writes one output byte that comes from input offset in.
func (n *normalizer) put(b byte, in int32) {
	if d := in - int32(len(n.out)); d != n.delta {
		n.marks = append(n.marks, mark{int32(len(n.out)), in})
		n.delta = d
	}
	n.out = append(n.out, b)
}

// khmerBreak handles the word break, if any, before a Khmer letter (mark
// tells whether it is a vowel or sign): between two Khmer letters it is
// left out of the text but remembered for NEAR; otherwise it is written as
// a space. Before a vowel or sign (a stray one: they follow a base) it is
// written too, so that the sign cannot join the syllable before the break,
// which would read differently when the text was normalised again
// (khmerSyllable).
func (n *normalizer) khmerBreak(mark bool) {
	switch {
	case n.lastKhmer && n.pendingSpace && !mark:
		n.breaks = append(n.breaks, int32(len(n.out)))
	case n.pendingSpace:
		n.space()
	}
	n.pendingSpace = false
}

// space writes the pending word break, unless nothing precedes it.
func (n *normalizer) space() {
	n.pendingSpace = false
	if len(n.out) > 0 {
		n.put(' ', n.spaceAt)
	}
}

// rune handles one non-ASCII, non-Khmer-block rune of NFC input.
func (n *normalizer) rune(r rune, at int32) {
	switch {
	case isZeroWidth(r):
		return
	case isKhmer(r) && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)):
		// Khmer reaches here from a segment NFC composes (a COENG after
		// a space is one), and the Khmer Symbols block (lunar dates).
		n.khmerBreak(r <= khmerHi && khmerRank[r-khmerLo] > rankBase)
		n.lastKhmer, n.lastCoeng = true, false
		n.emit(r, at)
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		if n.pendingSpace {
			n.space()
		}
		n.lastKhmer, n.lastCoeng = false, false
		n.emitFolded(r, at)
	default:
		if !n.pendingSpace {
			n.pendingSpace, n.spaceAt = true, at
		}
	}
}

// emit writes a rune that comes from the input rune at offset at.
func (n *normalizer) emit(r rune, at int32) {
	var buf [utf8.UTFMax]byte
	k := utf8.EncodeRune(buf[:], r)
	for j := range k {
		n.put(buf[j], at+int32(j))
	}
}

// emitFolded case-folds a non-ASCII letter. Most have a one-rune simple
// fold found by unicode.ToLower; the few whose full folding differs (ß, ẞ,
// ligatures, final sigma) go through x/text/cases.
func (n *normalizer) emitFolded(r rune, at int32) {
	if f, ok := specialFold(r); ok {
		for _, fr := range f {
			n.emit(fr, at)
		}
		return
	}
	n.emit(unicode.ToLower(r), at)
}

// fullFolds holds the cased letters whose full case folding is not
// unicode.ToLower (ß → ss, ﬁ → fi, ς → σ, ...), built once on first need
// from x/text/cases, so the hot path is a map lookup without locks.
var fullFolds = sync.OnceValue(func() map[rune]string {
	m := map[rune]string{}
	fold := cases.Fold()
	for _, table := range []*unicode.RangeTable{unicode.Lu, unicode.Ll, unicode.Lt} {
		for _, r16 := range table.R16 {
			for r := rune(r16.Lo); r <= rune(r16.Hi); r += rune(r16.Stride) {
				addFold(m, fold, r)
			}
		}
		for _, r32 := range table.R32 {
			for r := rune(r32.Lo); r <= rune(r32.Hi); r += rune(r32.Stride) {
				addFold(m, fold, r)
			}
		}
	}
	return m
})

func addFold(m map[rune]string, fold cases.Caser, r rune) {
	if r < utf8.RuneSelf {
		return
	}
	f := fold.String(string(r))
	fold.Reset()
	// x/text folds Cherokee letters each into the other case (ᏸ into Ᏸ and
	// Ᏸ into ᏸ), which no second reading would keep; unicode.ToLower is
	// stable there, so a fold that does not fold into itself is not taken.
	again := fold.String(f)
	fold.Reset()
	if f != string(unicode.ToLower(r)) && again == f {
		m[r] = f
	}
}

// specialFold returns the full case folding of r when it is not simply
// unicode.ToLower(r).
func specialFold(r rune) (string, bool) {
	f, ok := fullFolds()[r]
	return f, ok
}

// needsComposing reports whether the rune at the start of s may change
// under NFC: a combining mark that could join or reorder with what precedes
// it, or a character that NFC replaces. Such input is rare (text stored by
// civicwatch is already NFC) and takes the slow path.
func needsComposing(s string, r rune) bool {
	if r < 0x300 || isZeroWidth(r) || 0x2000 <= r && r <= 0x206F {
		return false
	}
	p := norm.NFC.PropertiesString(s)
	return p.CCC() != 0 || !p.BoundaryBefore() || p.Decomposition() != nil && !p.BoundaryAfter()
}

// reset2 normalises text that is not in NFC: each segment between
// normalisation boundaries is composed, and its runes are attributed to the
// segment's start in the input.
func (n *normalizer) reset2(s string) {
	n.out, n.marks, n.breaks = n.out[:0], n.marks[:0], n.breaks[:0]
	n.delta = 0
	n.pendingSpace, n.lastKhmer, n.lastCoeng = false, false, false
	n.marks = append(n.marks, mark{0, 0})
	for i := 0; i < len(s); {
		if c := s[i]; c == 0xE1 && i+2 < len(s) && (s[i+1] == 0x9E || s[i+1] == 0x9F) && s[i+2]&0xC0 == 0x80 {
			if k := int(s[i+1]-0x9E)<<6 | int(s[i+2]&0x3F); khmerWord[k] {
				i += n.khmer(s, i, k)
				continue
			}
			if !n.pendingSpace {
				n.pendingSpace, n.spaceAt = true, int32(i)
			}
			i += 3
			continue
		}
		seg := norm.NFC.NextBoundaryInString(s[i:], true)
		if seg <= 0 {
			seg = len(s) - i
		}
		composed := s[i : i+seg]
		if !norm.NFC.IsNormalString(composed) {
			composed = norm.NFC.String(composed)
		}
		for _, r := range composed {
			if r < utf8.RuneSelf {
				if m := asciiClass[r]; m != 0 {
					if n.pendingSpace {
						n.space()
					}
					n.lastKhmer, n.lastCoeng = false, false
					n.putAt(m, int32(i))
				} else if !n.pendingSpace {
					n.pendingSpace, n.spaceAt = true, int32(i)
				}
				continue
			}
			n.rune(r, int32(i))
		}
		i += seg
	}
}

// putAt writes a byte attributed to input offset in even when earlier bytes
// of the output already are (a composed segment maps to its start).
func (n *normalizer) putAt(b byte, in int32) {
	n.marks = append(n.marks, mark{int32(len(n.out)), in})
	n.delta = in - int32(len(n.out))
	n.out = append(n.out, b)
}

// inOffset maps an output offset to the input offset it came from.
func (n *normalizer) inOffset(o int) int {
	// The last mark at or before o: several marks can share an output
	// offset (text that opens with a space or punctuation writes nothing
	// before its first letter), and only the last says where that byte
	// came from.
	i, _ := slices.BinarySearchFunc(n.marks, int32(o)+1, func(m mark, o int32) int { return cmp.Compare(m.out, o) })
	m := n.marks[i-1]
	return int(m.in) + o - int(m.out)
}

// span maps a hit [start, end) in the normalised text back to byte offsets
// in the original text s, widened to whole runes.
func (n *normalizer) span(s string, start, end int) (int, int) {
	from := min(n.inOffset(start), len(s))
	for from > 0 && !utf8.RuneStart(s[from]) {
		from--
	}
	last := min(n.inOffset(end-1), len(s)-1)
	for last > 0 && !utf8.RuneStart(s[last]) {
		last--
	}
	_, size := utf8.DecodeRuneInString(s[last:])
	to := last + size
	// A rune decomposed in the input (e + U+0301) ends after its marks.
	for to < len(s) {
		r, size := utf8.DecodeRuneInString(s[to:])
		if !unicode.Is(unicode.Mn, r) || isKhmer(r) {
			break
		}
		to += size
	}
	return from, to
}

// Normalize returns s as rules see it; exported for tests and tools that
// explain matching.
func Normalize(s string) string {
	var n normalizer
	n.reset(s)
	return string(n.out)
}
