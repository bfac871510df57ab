package match

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// Occurrence is one place where a pattern occurs in a story: what a Scanner
// finds, and what Rules.Judge evaluates. Matching is these two halves run
// back to back; kept apart, the occurrences of a story can be judged by rule
// after rule without its text being read, normalised and scanned again,
// which is what the rules lab does for each edit of a rule.
type Occurrence struct {
	// Pattern is the pattern's number in the Scanner that found it. A
	// caller keeping occurrences from several scanners renumbers it into
	// a numbering of its own; Judge is told how to map that back.
	Pattern int32

	field              uint8 // index in fieldNames
	bounds             uint8 // atWordStart | atWordEnd | atSyllableStart | atSyllableEnd
	start, end         int32 // in the normalised field
	wordStart, wordEnd int32 // word index of the first and last word, for NEAR
}

const (
	atWordStart     = 1 << iota // the occurrence starts where a word may start
	atWordEnd                   // and ends where a word may end
	atSyllableStart             // it does not start on a Khmer subscript
	atSyllableEnd               // and no Khmer vowel, sign or subscript follows it
)

// fieldNames are a Story's fields in order; occurrences and hits in
// normalised text carry an index into it.
var fieldNames = [numFields]Field{FieldTitle, FieldSummary, FieldContent, FieldArticle}

// numFields is how many fields a Story has; an occurrence keeps its field in
// two bits (AppendOccurrences), so there can be at most four.
const numFields = 4

const (
	titleField   = 0
	articleField = 3
)

// fields is the story's text in fieldNames order.
func (st *Story) fields() [numFields]string {
	return [numFields]string{st.Title, st.Summary, st.Content, st.Article}
}

// Scanner finds every occurrence of a set of patterns in stories. Patterns
// are normalised terms (Rules.Patterns gives a Rules' own), without the
// word-boundary and prefix conditions of the terms that use them: those are
// checked when the occurrences are judged, so one scan serves every term
// with the same normalised text. A Scanner is immutable and safe for
// concurrent use.
type Scanner struct {
	patterns []string
	auto     *automaton
	spaces   []int32 // word breaks inside each pattern, for NEAR
}

// NewScanner compiles patterns, which must be normalised (as Normalize
// returns them) and not empty. Occurrences are numbered by their index in
// patterns.
func NewScanner(patterns []string) *Scanner {
	s := &Scanner{patterns: slices.Clone(patterns), auto: buildAutomaton(patterns), spaces: make([]int32, len(patterns))}
	for i, p := range patterns {
		s.spaces[i] = int32(strings.Count(p, " "))
	}
	return s
}

// Patterns returns the patterns in their numbering.
func (s *Scanner) Patterns() []string { return slices.Clone(s.patterns) }

var normalizers = sync.Pool{New: func() any { return new(normalizer) }}

// Scan appends the occurrences of the patterns in the story's fields to out,
// field by field and in text order within each.
func (s *Scanner) Scan(st *Story, out []Occurrence) []Occurrence {
	n := normalizers.Get().(*normalizer)
	defer normalizers.Put(n)
	for i, text := range st.fields() {
		n.reset(text)
		s.occurrences(n, uint8(i), func(o Occurrence) { out = append(out, o) })
	}
	return out
}

// occurrences runs the automaton over one normalised field and reports each
// occurrence.
func (s *Scanner) occurrences(n *normalizer, field uint8, found func(Occurrence)) {
	text := n.out
	if len(text) == 0 {
		return
	}
	s.auto.scan(text, func(pat int32, end int, spaces int32) {
		start := end - int(s.auto.plen[pat])
		o := Occurrence{Pattern: pat, field: field, start: int32(start), end: int32(end), wordStart: spaces - s.spaces[pat], wordEnd: spaces}
		if wordStart(text, start) {
			o.bounds |= atWordStart
		}
		if wordEnd(text, end) {
			o.bounds |= atWordEnd
		}
		if syllableStart(text, start) {
			o.bounds |= atSyllableStart
		}
		if syllableEnd(text, end) {
			o.bounds |= atSyllableEnd
		}
		if br := n.breaks; len(br) > 0 {
			// Khmer word breaks left out of the text count as words too.
			before, _ := slices.BinarySearch(br, int32(start)+1) // breaks at or before start
			inside, _ := slices.BinarySearch(br, int32(end))     // breaks before end
			o.wordStart += int32(before)
			o.wordEnd += int32(inside)
		}
		found(o)
	})
}

// accepts reports whether an occurrence of the term's pattern is one of the
// term: at word boundaries, or for a Khmer term (Khmer writes no word
// breaks) at syllable boundaries; a prefix's end may run on. A Khmer term
// is not found inside a longer syllable: ព្រៃស (Prey Sar) is not in
// ព្រៃស្វាយ, whose ស carries a subscript, nor បាត in បាត់.
func (t *term) accepts(o *Occurrence) bool {
	if t.substr {
		return o.bounds&atSyllableStart != 0 && (t.prefix || o.bounds&atSyllableEnd != 0)
	}
	return o.bounds&atWordStart != 0 && (t.prefix || o.bounds&atWordEnd != 0)
}

// Patterns returns the normalised patterns of the rules' terms, numbered as
// Judge expects them.
func (r *Rules) Patterns() []string { return r.scanner.Patterns() }

// Judge sets out[i] (len(out) ≥ the number of topics) to whether topic i, in
// config order, matches a story with the given occurrences and feed tags:
// what Match says, without the hits, which need the story's text. pattern
// maps the numbering of the occurrences to that of r.Patterns(): the
// occurrences of pattern p are those of r's pattern pattern[p], and are
// ignored when that is negative or p is out of its range.
func (r *Rules) Judge(occ []Occurrence, pattern []int32, tags []string, out []bool) {
	x := r.begin(tags)
	defer x.finish()
	for i := range occ {
		o := &occ[i]
		if int(o.Pattern) < len(pattern) {
			if p := pattern[o.Pattern]; p >= 0 {
				x.add(o, p)
			}
		}
	}
	for i, root := range r.roots {
		out[i] = x.truth(root)
	}
}

// AppendOccurrences appends occ to buf in a compact form, about 9 bytes an
// occurrence against 24 in memory, for callers that keep many: the rules
// lab keeps those of every story of a period. DecodeOccurrences reads them
// back; encodings appended one after another decode as one.
func AppendOccurrences(buf []byte, occ []Occurrence) []byte {
	for i := range occ {
		o := &occ[i]
		buf = binary.AppendVarint(buf, int64(o.Pattern))
		buf = append(buf, o.field|o.bounds<<2)
		buf = binary.AppendVarint(buf, int64(o.start))
		buf = binary.AppendVarint(buf, int64(o.end-o.start))
		buf = binary.AppendVarint(buf, int64(o.wordStart))
		buf = binary.AppendVarint(buf, int64(o.wordEnd-o.wordStart))
	}
	return buf
}

// DecodeOccurrences appends the occurrences AppendOccurrences encoded in
// buf to out. It stops at the first malformed one, which only a buffer not
// made by AppendOccurrences has.
func DecodeOccurrences(buf []byte, out []Occurrence) []Occurrence {
	for len(buf) > 0 {
		var o Occurrence
		var v [4]int64
		p, n := binary.Varint(buf)
		if n <= 0 || len(buf) == n || buf[n]&3 >= byte(len(fieldNames)) {
			return out
		}
		o.Pattern, o.field, o.bounds = int32(p), buf[n]&3, buf[n]>>2
		buf = buf[n+1:]
		for i := range 4 {
			if v[i], n = binary.Varint(buf); n <= 0 {
				return out
			}
			buf = buf[n:]
		}
		o.start, o.end = int32(v[0]), int32(v[0]+v[1])
		o.wordStart, o.wordEnd = int32(v[2]), int32(v[2]+v[3])
		out = append(out, o)
	}
	return out
}
