package match

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// normalizer turns text into the form rules are matched against, keeping for
// every output byte the offset of the input rune it came from, so that hits
// can be reported in the caller's text. Terms and story text go through the
// same code, which is what makes them comparable:
//
//   - NFC, then case folding;
//   - U+200B, U+200C, U+200D and U+FEFF removed (Khmer sites put them between
//     words, or not, at will);
//   - the Khmer subscript ្ដ (COENG + DA) folded into ្ត (COENG + TA), which
//     writers use interchangeably;
//   - every run of characters that are not letters, marks or digits becomes
//     one space, and a space between two Khmer characters is dropped, so
//     "trade-union" reads "trade union" and Khmer spacing never matters.
//
// ASCII takes a fast path of a table lookup per byte; this is the hot loop of
// matching.
type normalizer struct {
	out   []byte
	offs  []int32 // offs[i]: input offset of the rune that produced out[i]
	words []int32 // words[i]: number of spaces in out before i; filled lazily
}

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
	coeng    = '\u17D2'
	khmerDa  = '\u178A'
	khmerTa  = '\u178F'
	khmerLo  = '\u1780'
	khmerHi  = '\u17FF'
	khmerSym = '\u19E0' // Khmer Symbols block, U+19E0..U+19FF
)

func isKhmer(r rune) bool {
	return khmerLo <= r && r <= khmerHi || khmerSym <= r && r <= '\u19FF'
}

func isZeroWidth(r rune) bool {
	return r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\uFEFF'
}

// reset normalises s into n.out and n.offs, reusing their storage.
func (n *normalizer) reset(s string) {
	n.out, n.offs, n.words = n.out[:0], n.offs[:0], n.words[:0]
	if !isASCII(s) && !norm.NFC.IsNormalString(s) {
		n.slowPath(s)
		return
	}
	pendingSpace := false
	lastKhmer := false
	lastCoeng := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if m := asciiClass[c]; m != 0 {
				if pendingSpace && len(n.out) > 0 {
					n.out = append(n.out, ' ')
					n.offs = append(n.offs, int32(i))
				}
				pendingSpace, lastKhmer, lastCoeng = false, false, false
				n.out = append(n.out, m)
				n.offs = append(n.offs, int32(i))
			} else {
				pendingSpace = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n.rune(r, int32(i), &pendingSpace, &lastKhmer, &lastCoeng)
		i += size
	}
}

// rune handles one non-ASCII rune of NFC input.
func (n *normalizer) rune(r rune, at int32, pendingSpace, lastKhmer, lastCoeng *bool) {
	switch {
	case isZeroWidth(r):
		return
	case isKhmer(r) && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)):
		if *pendingSpace && !*lastKhmer && len(n.out) > 0 {
			n.out = append(n.out, ' ')
			n.offs = append(n.offs, at)
		}
		if r == khmerDa && *lastCoeng {
			r = khmerTa
		}
		*pendingSpace, *lastKhmer, *lastCoeng = false, true, r == coeng
		n.emit(r, at)
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		if *pendingSpace && len(n.out) > 0 {
			n.out = append(n.out, ' ')
			n.offs = append(n.offs, at)
		}
		*pendingSpace, *lastKhmer, *lastCoeng = false, false, false
		n.emitFolded(r, at)
	default:
		*pendingSpace = true
	}
}

func (n *normalizer) emit(r rune, at int32) {
	start := len(n.out)
	n.out = utf8.AppendRune(n.out, r)
	for range len(n.out) - start {
		n.offs = append(n.offs, at)
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

// slowPath handles text that is not in NFC: each segment between
// normalisation boundaries is composed, and every rune of it is attributed to
// the segment's start in the input.
func (n *normalizer) slowPath(s string) {
	pendingSpace, lastKhmer, lastCoeng := false, false, false
	for i := 0; i < len(s); {
		seg := norm.NFC.NextBoundaryInString(s[i:], true)
		if seg <= 0 {
			seg = len(s) - i
		}
		composed := norm.NFC.String(s[i : i+seg])
		for _, r := range composed {
			if r < utf8.RuneSelf {
				if m := asciiClass[r]; m != 0 {
					if pendingSpace && len(n.out) > 0 {
						n.out = append(n.out, ' ')
						n.offs = append(n.offs, int32(i))
					}
					pendingSpace, lastKhmer, lastCoeng = false, false, false
					n.out = append(n.out, m)
					n.offs = append(n.offs, int32(i))
				} else {
					pendingSpace = true
				}
				continue
			}
			n.rune(r, int32(i), &pendingSpace, &lastKhmer, &lastCoeng)
		}
		i += seg
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// span maps a hit [start, end) in the normalised text back to byte offsets
// in the original text s.
func (n *normalizer) span(s string, start, end int) (int, int) {
	from := int(n.offs[start])
	last := int(n.offs[end-1])
	_, size := utf8.DecodeRuneInString(s[last:])
	to := last + size
	// A rune decomposed in the input (e + U+0301) ends after its marks.
	for to < len(s) {
		r, size := utf8.DecodeRuneInString(s[to:])
		if !unicode.Is(unicode.Mn, r) || isKhmer(r) || (end < len(n.out) && int(n.offs[end]) == to) {
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
