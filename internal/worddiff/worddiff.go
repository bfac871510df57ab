// Package worddiff compares two versions of an article's text word by word
// (cluster by cluster in Khmer), so an edit reads as the words that changed.
package worddiff

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// OpKind says what a part of a word diff is.
type OpKind int

const (
	Same     OpKind = iota // in both versions
	Removed                // only in the older version
	Inserted               // only in the newer version
)

// DiffOp is a run of tokens with one kind, whitespace included.
type DiffOp struct {
	Kind   OpKind
	Tokens []string
}

// Text is the run's text.
func (o DiffOp) Text() string { return strings.Join(o.Tokens, "") }

// WordDiff is a word-level diff between two extracted texts.
type WordDiff []DiffOp

// Tokens splits text into the units a word diff compares. Latin, Cyrillic
// and the like split on whitespace into words, with punctuation a token of
// its own. Khmer is written without spaces between words and no word
// dictionary is at hand, so a Khmer run is split into orthographic
// clusters: a base letter with the vowel signs and diacritics that follow
// it, and a coeng (U+17D2) with the subscript consonant it joins. A change
// of one Khmer word then shows as the few clusters that differ, never as
// broken glyphs. Whitespace and the zero-width space Khmer writers use to
// mark word breaks are tokens too, so the tokens joined give text back.
func Tokens(text string) []string {
	var out []string
	start := 0
	var prev rune = -1
	var prevClass tokenClass = classNone
	for i, r := range text {
		c := classOf(r)
		if i > start && !continues(prevClass, c, prev, r) {
			out = append(out, text[start:i])
			start = i
		}
		prev, prevClass = r, c
		if prevClass == classMark && i == start {
			// A mark with no base opens a token of its own kind; treat it
			// as a word character so following letters join it.
			prevClass = classWord
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

type tokenClass int

const (
	classNone tokenClass = iota
	classSpace
	classWord  // letters and digits outside Khmer
	classKhmer // a Khmer base letter or digit
	classMark  // a combining mark (Khmer vowel signs, diacritics)
	classPunct // anything else: each its own token
)

func isKhmer(r rune) bool {
	return (r >= 0x1780 && r <= 0x17FF) || (r >= 0x19E0 && r <= 0x19FF)
}

const coeng = '\u17D2'

func classOf(r rune) tokenClass {
	switch {
	case unicode.IsSpace(r) || r == '\u200B':
		return classSpace
	case unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) || r == '\u200C' || r == '\u200D':
		return classMark
	case isKhmer(r) && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		return classKhmer
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return classWord
	}
	return classPunct
}

// continues reports whether r, of class c, belongs to the token that prev
// (of class pc) is in.
func continues(pc, c tokenClass, prev, r rune) bool {
	switch c {
	case classSpace:
		return pc == classSpace
	case classMark:
		// Marks stay with their base, whatever the script.
		return pc != classSpace && pc != classPunct && pc != classNone
	case classKhmer:
		// A new Khmer cluster starts at each base letter, except the
		// consonant a coeng subscripts.
		return prev == coeng
	case classWord:
		return pc == classWord || (pc == classMark && !isKhmer(prev))
	}
	return false
}

// Diff compares two texts token by token. Each distinct token is given one
// rune, the way diffmatchpatch's line mode gives each line one, and the
// rune strings are diffed; the result is mapped back to tokens.
func Diff(older, newer string) WordDiff {
	a, b := Tokens(older), Tokens(newer)
	index := map[string]rune{}
	var vocab []string
	encode := func(toks []string) ([]rune, bool) {
		rs := make([]rune, len(toks))
		for i, t := range toks {
			r, ok := index[t]
			if !ok {
				r = tokenRune(len(vocab))
				if r > utf8.MaxRune {
					return nil, false
				}
				index[t] = r
				vocab = append(vocab, t)
			}
			rs[i] = r
		}
		return rs, true
	}
	ra, okA := encode(a)
	rb, okB := encode(b)
	if !okA || !okB {
		// More distinct tokens than runes: say the whole text changed
		// rather than give a wrong diff.
		return compact(WordDiff{{Kind: Removed, Tokens: a}, {Kind: Inserted, Tokens: b}})
	}
	dmp := diffmatchpatch.New()
	// A diff that gives up early is still correct, only coarser.
	dmp.DiffTimeout = 2 * time.Second
	var out WordDiff
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		op := DiffOp{Kind: Same}
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op.Kind = Removed
		case diffmatchpatch.DiffInsert:
			op.Kind = Inserted
		}
		for _, r := range d.Text {
			op.Tokens = append(op.Tokens, vocab[runeIndex(r)])
		}
		out = append(out, op)
	}
	return compact(out)
}

// tokenRune maps a token number to a rune, skipping the surrogate range,
// which is no valid rune and would not survive the library's string
// conversions.
func tokenRune(i int) rune {
	if i >= 0xD800 {
		i += 0x800
	}
	return rune(i)
}

func runeIndex(r rune) int {
	if r >= 0xE000 {
		return int(r) - 0x800
	}
	return int(r)
}

// compact drops empty runs and folds a run of only whitespace between two
// changes into them, so "[-a-] [-b-]" reads "[-a b-]".
func compact(d WordDiff) WordDiff {
	var out WordDiff
	for i := 0; i < len(d); i++ {
		op := d[i]
		if len(op.Tokens) == 0 {
			continue
		}
		if op.Kind == Same && strings.TrimSpace(op.Text()) == "" && len(out) > 0 && out[len(out)-1].Kind != Same &&
			i+1 < len(d) && d[i+1].Kind != Same {
			// Give the space to both sides of the change.
			for j := len(out) - 1; j >= 0 && out[j].Kind != Same; j-- {
				out[j].Tokens = append(out[j].Tokens, op.Tokens...)
			}
			continue
		}
		// Keep removals before insertions within one change.
		if len(out) > 0 && out[len(out)-1].Kind == op.Kind {
			out[len(out)-1].Tokens = append(out[len(out)-1].Tokens, op.Tokens...)
			continue
		}
		if op.Kind == Removed && len(out) > 0 && out[len(out)-1].Kind == Inserted {
			if len(out) > 1 && out[len(out)-2].Kind == Removed {
				out[len(out)-2].Tokens = append(out[len(out)-2].Tokens, op.Tokens...)
			} else {
				out = append(out[:len(out)-1], op, out[len(out)-1])
			}
			continue
		}
		out = append(out, op)
	}
	return out
}

// Changed reports whether the texts differ at all.
func (d WordDiff) Changed() bool {
	for _, op := range d {
		if op.Kind != Same {
			return true
		}
	}
	return false
}

// Words returns the changed text, removed and inserted, one entry per run,
// trimmed: what a reader asks first of an edit.
func (d WordDiff) Words() (removed, inserted []string) {
	for _, op := range d {
		t := strings.TrimSpace(op.Text())
		if t == "" {
			continue
		}
		switch op.Kind {
		case Removed:
			removed = append(removed, t)
		case Inserted:
			inserted = append(inserted, t)
		}
	}
	return removed, inserted
}

// Context returns the diff with each unchanged run longer than 2*keep
// tokens cut to keep tokens either side of the changes around it; the cut
// is an Elided run holding "…". Unchanged text before the first change and
// after the last keeps keep tokens.
func (d WordDiff) Context(keep int) WordDiff {
	var out WordDiff
	for i, op := range d {
		if op.Kind != Same || len(op.Tokens) <= keep {
			out = append(out, op)
			continue
		}
		first, last := i == 0, i == len(d)-1
		switch {
		case first && last:
			out = append(out, op)
		case first:
			out = append(out, elided(), DiffOp{Kind: Same, Tokens: op.Tokens[len(op.Tokens)-keep:]})
		case last:
			out = append(out, DiffOp{Kind: Same, Tokens: op.Tokens[:keep]}, elided())
		case len(op.Tokens) > 2*keep:
			out = append(out, DiffOp{Kind: Same, Tokens: op.Tokens[:keep]}, elided(),
				DiffOp{Kind: Same, Tokens: op.Tokens[len(op.Tokens)-keep:]})
		default:
			out = append(out, op)
		}
	}
	return out
}

// Elided marks text left out by Context.
const Elided OpKind = 3

func elided() DiffOp { return DiffOp{Kind: Elided, Tokens: []string{" … "}} }

// Plain renders the diff as text, removals as [-…-] and insertions as
// {+…+}, the markers of git's word diff, so it reads without colour.
func (d WordDiff) Plain() string {
	var b strings.Builder
	for _, op := range d {
		switch op.Kind {
		case Removed:
			b.WriteString("[-" + op.Text() + "-]")
		case Inserted:
			b.WriteString("{+" + op.Text() + "+}")
		default:
			b.WriteString(op.Text())
		}
	}
	return b.String()
}

// Edit is the change between two versions of a text.
type Edit struct {
	From, To int // indices into the versions, From < To
	Diff     WordDiff
}

// Edits diffs each version against the previous one that has text; an
// empty string is a version without text (a failed extraction) and is
// skipped. Versions are oldest first.
func Edits(versions []string) []Edit {
	var out []Edit
	prev := -1
	for i, v := range versions {
		if v == "" {
			continue
		}
		if prev >= 0 && versions[prev] != v {
			out = append(out, Edit{From: prev, To: i, Diff: Diff(versions[prev], v)})
		}
		prev = i
	}
	return out
}
