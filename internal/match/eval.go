package match

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// rawHit is an occurrence of a pattern taken as one of a term.
type rawHit struct {
	term int32
	Occurrence
}

// fieldText is one field of a story, normalised.
type fieldText struct {
	orig string
	norm normalizer
}

// run is the per-story working state; pooled, because Match runs for every
// stored story and would otherwise allocate per call.
type run struct {
	r       *Rules
	fields  [numFields]fieldText
	byTerm  [][]rawHit
	touched []int32
	tags    []string
	memo    [][]rawHit // hits of the nodes numbered by numberMemos, once asked for
	memoSet []bool
	forced  *node            // Explain: a NOT node taken as true, to find the veto
	found   func(Occurrence) // x.add bound once, so a scan allocates no closure
}

var runs = sync.Pool{New: func() any { return &run{} }}

func (r *Rules) start(s *Story) *run {
	x := r.begin(s.Tags)
	texts := s.fields()
	for i := range x.fields {
		f := &x.fields[i]
		f.orig = texts[i]
		f.norm.reset(texts[i])
		r.scanner.occurrences(&f.norm, uint8(i), x.found)
	}
	return x
}

// begin takes a run from the pool for a story with the given feed tags.
func (r *Rules) begin(tags []string) *run {
	x := runs.Get().(*run)
	x.r = r
	if cap(x.byTerm) < len(r.terms) {
		x.byTerm = make([][]rawHit, len(r.terms))
	}
	x.byTerm = x.byTerm[:len(r.terms)]
	x.tags = x.tags[:0]
	for _, t := range tags {
		x.tags = append(x.tags, strings.ToLower(t))
	}
	x.forced = nil
	if cap(x.memo) < r.memos {
		x.memo, x.memoSet = make([][]rawHit, r.memos), make([]bool, r.memos)
	}
	x.memo, x.memoSet = x.memo[:r.memos], x.memoSet[:r.memos]
	clear(x.memo)
	clear(x.memoSet)
	if x.found == nil {
		x.found = func(o Occurrence) { x.add(&o, o.Pattern) }
	}
	return x
}

func (x *run) finish() {
	for _, t := range x.touched {
		x.byTerm[t] = x.byTerm[t][:0]
	}
	x.touched = x.touched[:0]
	x.r = nil
	runs.Put(x)
}

// add records an occurrence of the rules' pattern p as a hit of every term
// that accepts it.
func (x *run) add(o *Occurrence, p int32) {
	for _, ti := range x.r.byPat[p] {
		if !x.r.terms[ti].accepts(o) {
			continue
		}
		if len(x.byTerm[ti]) == 0 {
			x.touched = append(x.touched, ti)
		}
		x.byTerm[ti] = append(x.byTerm[ti], rawHit{term: ti, Occurrence: *o})
	}
}

// wordStart reports whether a Latin-script term may start at i: at the start
// of the text, after a space, or after a Khmer letter (scripts meet without
// spaces).
func wordStart(text []byte, i int) bool {
	if i == 0 || text[i-1] == ' ' {
		return true
	}
	if text[i-1] < 0x80 {
		return false
	}
	j := i - 1
	for j > 0 && text[j]&0xC0 == 0x80 {
		j--
	}
	return isKhmerAt(text[j:i])
}

func wordEnd(text []byte, i int) bool {
	if i == len(text) || text[i] == ' ' {
		return true
	}
	if text[i] < 0x80 {
		return false
	}
	return isKhmerAt(text[i:])
}

// syllableStart reports whether a Khmer term may start at i: not on a
// consonant that the COENG before it makes a subscript of the syllable
// before.
func syllableStart(text []byte, i int) bool {
	return i < 3 || !(text[i-3] == 0xE1 && text[i-2] == 0x9F && text[i-1] == 0x92) // U+17D2
}

// syllableEnd reports whether a Khmer term may end at i: not before a
// dependent vowel, a sign or a COENG (U+17B6..U+17D3, U+17DD), which would
// make the term's last letter part of a longer syllable. YUUKALEAPINTU
// (U+17C8) is the exception: datelines use it as a colon (ភ្នំពេញៈ).
func syllableEnd(text []byte, i int) bool {
	if len(text)-i < 3 || text[i] != 0xE1 {
		return true
	}
	r := rune(text[i+1]&0x3F)<<6 | rune(text[i+2]&0x3F) | 0x1000
	return !(0x17B6 <= r && r <= 0x17D3 || r == 0x17DD) || r == 0x17C8
}

// isKhmerAt: Khmer letters are encoded E1 9E xx, E1 9F xx (U+1780..U+17FF)
// and E1 A7 xx (U+19E0..U+19FF).
func isKhmerAt(b []byte) bool {
	return len(b) >= 2 && b[0] == 0xE1 && (b[1] == 0x9E || b[1] == 0x9F || b[1] == 0xA7)
}

// inScope reports whether a hit's field is allowed by a term's scope.
func inScope(field uint8, sc scope) bool {
	switch sc {
	case titleOnly:
		return field == titleField
	case textOnly:
		return field != titleField
	case articleOnly:
		return field == articleField
	}
	return true
}

// hits returns the occurrences a term set yields. The slice is shared:
// callers read it and do not append to it.
func (x *run) hits(n *node) []rawHit {
	if n.memo == 0 {
		return x.build(n)
	}
	if i := n.memo - 1; x.memoSet[i] {
		return x.memo[i]
	}
	hs := x.build(n)
	x.memo[n.memo-1], x.memoSet[n.memo-1] = hs, true
	return hs
}

func (x *run) build(n *node) []rawHit {
	switch n.kind {
	case nTerm:
		hs := x.byTerm[n.term]
		if n.scope == anyField {
			return hs
		}
		var out []rawHit
		for _, h := range hs {
			if inScope(h.field, n.scope) {
				out = append(out, h)
			}
		}
		return out
	case nOr:
		var out []rawHit
		for _, k := range n.kids {
			out = append(out, x.hits(k)...)
		}
		return out
	case nExcept:
		// Most stories have no hit of the kept side: the side to cut
		// away, often a long list of traps, is then not worth collecting.
		keep := x.hits(n.kids[0])
		if len(keep) == 0 {
			return nil
		}
		drop := x.hits(n.kids[1])
		var out []rawHit
		for _, h := range keep {
			if !slices.ContainsFunc(drop, func(d rawHit) bool { return overlaps(h, d) }) {
				out = append(out, h)
			}
		}
		return out
	case nNear:
		left := x.hits(n.kids[0])
		if len(left) == 0 {
			return nil // nothing for the right side to be near
		}
		right := x.hits(n.kids[1])
		var out []rawHit
		usedRight := make([]bool, len(right))
		for _, l := range left {
			near := false
			for j, r := range right {
				if l.field == r.field && !overlaps(l, r) && wordGap(l, r) <= int32(n.near) {
					near, usedRight[j] = true, true
				}
			}
			if near {
				out = append(out, l)
			}
		}
		for j, r := range right {
			if usedRight[j] {
				out = append(out, r)
			}
		}
		return out
	}
	return nil
}

func overlaps(a, b rawHit) bool {
	return a.field == b.field && a.start < b.end && b.start < a.end
}

// wordGap is how many words apart two hits are: 1 for neighbours.
func wordGap(a, b rawHit) int32 {
	if a.wordStart > b.wordStart {
		a, b = b, a
	}
	return max(b.wordStart-a.wordEnd, 1)
}

// truth evaluates a node as a condition.
func (x *run) truth(n *node) bool {
	if n == x.forced {
		return true
	}
	switch n.kind {
	case nTag:
		return slices.Contains(x.tags, n.tag)
	case nGiven:
		return x.truth(n.kids[0])
	case nAnd:
		for _, k := range n.kids {
			if !x.truth(k) {
				return false
			}
		}
		return true
	case nNot:
		return !x.truth(n.kids[0])
	case nOr:
		for _, k := range n.kids {
			if x.truth(k) {
				return true
			}
		}
		return false
	case nTerm:
		if n.scope == anyField {
			return len(x.byTerm[n.term]) > 0
		}
		return slices.ContainsFunc(x.byTerm[n.term], func(h rawHit) bool { return inScope(h.field, n.scope) })
	default:
		return len(x.hits(n)) > 0
	}
}

// collect gathers hits under n. For Match (all false) these are the hits
// that made the rule true: the term sets' results, NEAR and EXCEPT applied,
// NOT clauses and the branches of an OR that did not hold left out. For Explain (all true) it is every occurrence of
// every term of the rule, whether or not its NEAR or EXCEPT let it count,
// NOT clauses included: the operator tuning a rule needs to see them all.
func (x *run) collect(n *node, all bool, out []rawHit) []rawHit {
	switch {
	case n.kind == nNot && !all:
		return out
	case n.kind == nTag, n.kind == nGiven:
		// A given: condition's hits are no reason and, for Explain, no
		// news either: every story of a Khmer feed meets the place test
		// on its "and"s. Account lists them apart.
		return out
	case n.kind == nTerm || !all && n.isTermSet():
		return append(out, x.hits(n)...)
	}
	for _, k := range n.kids {
		// A branch of an OR that did not hold made nothing match: its
		// hits, say a title: term whose text: partner is absent, are no
		// reason.
		if !all && n.kind == nOr && !x.truth(k) {
			continue
		}
		out = x.collect(k, all, out)
	}
	return out
}

// report turns raw hits into Hits with offsets in the original text, sorted
// by field and position, without duplicates.
func (x *run) report(raw []rawHit) []Hit {
	out := make([]Hit, 0, len(raw))
	for _, h := range raw {
		f := &x.fields[h.field]
		start, end := f.norm.span(f.orig, int(h.start), int(h.end))
		out = append(out, Hit{Term: x.r.terms[h.term].text, Field: fieldNames[h.field], Start: start, End: end})
	}
	slices.SortFunc(out, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(fieldIndex(a.Field), fieldIndex(b.Field)), cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End), strings.Compare(a.Term, b.Term))
	})
	return slices.Compact(out)
}

// Match returns the topics the story matches, in config order, each with the
// hits of the terms that made it match (NOT clauses excluded).
func (r *Rules) Match(s *Story) []Result {
	x := r.start(s)
	defer x.finish()
	var out []Result
	for i, root := range r.roots {
		if x.truth(root) {
			out = append(out, Result{Topic: r.topics[i].ID, Hits: x.report(x.collect(root, false, nil))})
		}
	}
	return out
}

// Explain says, for every topic in config order, whether it matched, every
// term of its rule that fired (NOT clauses included), and for a story that
// would have matched but for a NOT clause, that clause.
func (r *Rules) Explain(s *Story) []Explanation {
	x := r.start(s)
	defer x.finish()
	out := make([]Explanation, len(r.roots))
	for i, root := range r.roots {
		e := Explanation{Topic: r.topics[i].ID, Matched: x.truth(root), Hits: x.report(x.collect(root, true, nil))}
		if !e.Matched {
			e.Veto = x.veto(root)
		}
		out[i] = e
	}
	return out
}

// veto finds the first NOT clause whose removal would make the rule match.
func (x *run) veto(root *node) string {
	var nots []*node
	var walk func(*node)
	walk = func(n *node) {
		if n.kind == nNot {
			nots = append(nots, n)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(root)
	defer func() { x.forced = nil }()
	for _, n := range nots {
		x.forced = n
		if x.truth(root) {
			return n.src
		}
	}
	return ""
}
