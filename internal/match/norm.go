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
//   - Khmer spellings that writers use interchangeably folded into one
//     (khmerLetter): the subscript ្ដ (COENG + DA) into ្ត (COENG + TA); a
//     subscript ្រ typed before another subscript moved after it; ឱ
//     into ឲ, and the informal អោយ into ឲ្យ, so the three spellings of
//     "to give, to let" (ឲ្យ, ឱ្យ, អោយ) read alike; and the two-part
//     vowels typed as two signs (េ + ី, េ + ា) into the one sign (ើ, ោ)
//     that Unicode does not compose them into;
//   - every run of characters that are not letters, marks or digits becomes
//     one space, and a space between two Khmer characters is dropped, so
//     "trade-union" reads "trade union" and Khmer spacing never matters.
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
			k := int(s[i+1]-0x9E)<<6 | int(s[i+2]&0x3F)
			if khmerWord[k] {
				n.khmerBreak()
				if khmerFolds[k] {
					i += n.khmerLetter(s, i)
					continue
				}
				n.put(0xE1, int32(i))
				n.put(s[i+1], int32(i+1))
				n.put(s[i+2], int32(i+2))
				n.lastKhmer, n.lastCoeng = true, false
				i += 3
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
// (of អោយ), េ (of a vowel typed as two signs) and COENG itself (before a
// subscript ្រ typed first). Every other letter is copied as it is, inline.
var khmerFolds = func() (t [128]bool) {
	for _, r := range []rune{'\u178A', '\u17B1', '\u17A2', '\u17C1', '\u17D2'} {
		t[r-0x1780] = true
	}
	return t
}()

// khmerLetter writes the Khmer letter, sign or digit at s[i:], which the
// caller has checked, folding the spellings listed on normalizer, and
// returns how many input bytes it used.
func (n *normalizer) khmerLetter(s string, i int) int {
	b1, b2 := s[i+1], s[i+2]
	used := 3
	switch {
	case b1 == 0x9E && b2 == 0x8A && n.lastCoeng: // DA after COENG reads as TA
		b2 = 0x8F
	case b1 == 0x9F && b2 == 0x92 && len(s) >= i+12 && s[i+3:i+9] == "\u179A\u17D2" &&
		s[i+9] == 0xE1 && s[i+10] == 0x9E && s[i+11] <= 0xA2: // ្រ typed before another subscript
		// The subscript RO is drawn to the left of its cluster, so writers
		// often type it first (មន្រ្តី); Unicode puts it last (មន្ត្រី). The
		// cluster keeps its bytes' offsets: it is the same length either way.
		x := s[i+11]
		if x == 0x8A { // and a DA after COENG reads as TA
			x = 0x8F
		}
		for j, c := range []byte{0xE1, 0x9F, 0x92, 0xE1, 0x9E, x, 0xE1, 0x9F, 0x92, 0xE1, 0x9E, 0x9A} {
			n.put(c, int32(i+j))
		}
		n.lastKhmer, n.lastCoeng = true, false
		return 12
	case b1 == 0x9E && b2 == 0xB1: // ឱ reads as ឲ
		b2 = 0xB2
	case b1 == 0x9E && b2 == 0xA2 && strings.HasPrefix(s[i+3:], "\u17C4\u1799"): // អោយ reads as ឲ្យ
		// Same length, so each output byte keeps its input offset.
		for j, c := range []byte("\u17B2\u17D2\u1799") {
			n.put(c, int32(i+j))
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
	n.put(0xE1, int32(i))
	n.put(b1, int32(i+1))
	// The last byte of a two-sign vowel comes from its second sign, so a
	// hit that ends on it is mapped back to the end of both.
	n.put(b2, int32(i+used-1))
	n.lastKhmer, n.lastCoeng = true, b1 == 0x9F && b2 == 0x92
	return used
}

// put writes one output byte that comes from input offset in.
func (n *normalizer) put(b byte, in int32) {
	if d := in - int32(len(n.out)); d != n.delta {
		n.marks = append(n.marks, mark{int32(len(n.out)), in})
		n.delta = d
	}
	n.out = append(n.out, b)
}

// khmerBreak handles the word break, if any, before a Khmer letter: between
// two Khmer letters it is left out of the text but remembered for NEAR;
// otherwise it is written as a space.
func (n *normalizer) khmerBreak() {
	switch {
	case n.lastKhmer && n.pendingSpace:
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
		n.khmerBreak()
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
	if f := fold.String(string(r)); f != string(unicode.ToLower(r)) {
		m[r] = f
	}
	fold.Reset()
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
		// Khmer is taken as the fast path takes it, so that a story reads
		// the same whether or not something else in it needs composing.
		if c := s[i]; c == 0xE1 && i+2 < len(s) && (s[i+1] == 0x9E || s[i+1] == 0x9F) && s[i+2]&0xC0 == 0x80 {
			if khmerWord[int(s[i+1]-0x9E)<<6|int(s[i+2]&0x3F)] {
				n.khmerBreak()
				i += n.khmerLetter(s, i)
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
