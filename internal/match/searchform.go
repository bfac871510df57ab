package match

import (
	"strings"
	"unicode/utf8"
)

// TextRevision names how this matcher reads text (matcherRevision). Text
// kept in its reading, such as the archive's search form, is read again
// when the revision changes.
func TextRevision() string { return matcherRevision }

// SearchForm returns s with every run of Khmer read as the matcher reads it
// (zero-width characters removed, interchangeable spellings folded, each
// syllable's parts in Unicode's order) and everything else as it is: the
// form the archive's full-text index holds and its queries are put in, so
// that the console finds a Khmer word however it was typed, as the rules
// do. Latin text is left for the index's own case folding, and spaces and
// punctuation are kept, so search words stay the words typed. s itself is
// returned when nothing changes.
func SearchForm(s string) string {
	var (
		b    strings.Builder
		n    *normalizer
		last int
	)
	khmerRuns(s, func(i, j int) {
		if n == nil {
			n = normalizers.Get().(*normalizer)
		}
		n.reset(s[i:j])
		if string(n.out) == s[i:j] {
			return
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.Write(n.out)
		last = j
	})
	if n != nil {
		normalizers.Put(n)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// khmerRuns calls fn with the bounds [i, j) of each run of Khmer in s that
// SearchForm reads (inKhmerRun), in order.
func khmerRuns(s string, fn func(i, j int)) {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !inKhmerRun(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !inKhmerRun(r) {
				break
			}
			j += size
		}
		fn(i, j)
		i = j
	}
}

// inKhmerRun tells whether r belongs to a run of Khmer that SearchForm
// reads: a Khmer letter, sign or digit, or a zero-width character (which
// Khmer sites put between words, and which the reading removes).
func inKhmerRun(r rune) bool {
	if khmerLo <= r && r <= khmerHi {
		return khmerWord[r-khmerLo]
	}
	return isZeroWidth(r)
}

// SearchFormOffsets is SearchForm with the way back to s: at[k] is the
// offset in s of the byte that byte k of form comes from. Outside Khmer
// runs the two advance together; a syllable whose parts were reordered
// maps into that syllable, and a vowel typed as two signs to both.
func SearchFormOffsets(s string) (form string, at []int) {
	out := make([]byte, 0, len(s))
	at = make([]int, 0, len(s))
	var n *normalizer
	last := 0
	// Bytes outside the runs come over as they are, with their own offsets.
	copyTo := func(i int) {
		for k := last; k < i; k++ {
			out = append(out, s[k])
			at = append(at, k)
		}
	}
	khmerRuns(s, func(i, j int) {
		copyTo(i)
		if n == nil {
			n = normalizers.Get().(*normalizer)
		}
		n.reset(s[i:j])
		for k, b := range n.out {
			out = append(out, b)
			at = append(at, i+n.inOffset(k))
		}
		last = j
	})
	copyTo(len(s))
	if n != nil {
		normalizers.Put(n)
	}
	return string(out), at
}
