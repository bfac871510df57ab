package suggest

import (
	"strings"
	"unicode"

	"github.com/civicwatch/civicwatch/internal/match"
)

// maxKhmerClusters bounds a Khmer candidate, in orthographic syllables: the
// longest names in the shipped lists (អង្គការមិនមែនរដ្ឋាភិបាល) run to about
// twelve, but words worth adding are shorter, and every extra length
// multiplies the candidates a story yields.
const maxKhmerClusters = 8

// candidates returns the distinct terms, written as in a rule, that a story
// offers: its English words of three letters or more that are not function
// words, pairs of such words as phrases, and for Khmer, which is written
// without spaces, every run of two to maxKhmerClusters syllables.
func candidates(s *match.Story) map[string]bool {
	out := map[string]bool{}
	for _, field := range []string{s.Title, s.Summary, s.Content} {
		prev := ""
		for _, tok := range strings.Fields(match.Normalize(field)) {
			if hasKhmer(tok) {
				khmerGrams(tok, out)
				prev = ""
				continue
			}
			if !wordy(tok) {
				prev = ""
				continue
			}
			out[tok] = true
			if prev != "" {
				out[`"`+prev+" "+tok+`"`] = true
			}
			prev = tok
		}
	}
	return out
}

// wordy: a word worth proposing, not a number, a stray letter or a function
// word that every story has.
func wordy(w string) bool {
	if len([]rune(w)) < 3 || stopwords[w] {
		return false
	}
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 3
}

func hasKhmer(s string) bool {
	for _, r := range s {
		if khmerLetter(r) {
			return true
		}
	}
	return false
}

// khmerLetter: the Khmer letters, vowels and signs, not its digits and
// punctuation (។ ៕), which end a word.
func khmerLetter(r rune) bool { return r >= 0x1780 && r <= 0x17D3 || r == 0x17DD }

// khmerBase: a consonant or independent vowel, which starts a syllable
// unless it follows COENG (U+17D2) as a subscript.
func khmerBase(r rune) bool { return r >= 0x1780 && r <= 0x17B3 }

// clusters splits a run of Khmer letters into orthographic syllables: a base
// with its subscripts, vowels and signs.
func clusters(run []rune) []string {
	var out []string
	start := 0
	for i := 1; i < len(run); i++ {
		if khmerBase(run[i]) && run[i-1] != 0x17D2 {
			out = append(out, string(run[start:i]))
			start = i
		}
	}
	if len(run) > 0 {
		out = append(out, string(run[start:]))
	}
	return out
}

// khmerGrams adds every run of 2..maxKhmerClusters syllables of the Khmer
// in tok to out.
func khmerGrams(tok string, out map[string]bool) {
	var run []rune
	flush := func() {
		cs := clusters(run)
		for i := range cs {
			for n := 2; n <= maxKhmerClusters && i+n <= len(cs); n++ {
				out[strings.Join(cs[i:i+n], "")] = true
			}
		}
		run = run[:0]
	}
	for _, r := range tok {
		if khmerLetter(r) {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
}

// shorter returns the candidates one step shorter than term: a phrase's
// words, a Khmer run without its first or its last syllable. A shorter
// candidate that occurs in exactly the same stories says nothing more and
// is dropped in favour of the longer, which is the word as written.
func shorter(term string) []string {
	if strings.HasPrefix(term, `"`) {
		a, b, _ := strings.Cut(strings.Trim(term, `"`), " ")
		return []string{a, b}
	}
	if !hasKhmer(term) {
		return nil
	}
	cs := clusters([]rune(term))
	if len(cs) <= 2 {
		return nil
	}
	return []string{strings.Join(cs[1:], ""), strings.Join(cs[:len(cs)-1], "")}
}

// stopwords are English function words and the commonest words of news
// prose: frequent everywhere, a reason for nothing.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for are but not you all any can had her was one our out has his how its may new now
old see two who did get him let put say she too use that with have this will your from they know want been good much
some time very when come here just like long make many more only over such take than them well were what where which
while would could should their there these those then into also said says told after before about other being both
each most such very year years week weeks month months day days last first second third three four five six seven
eight nine ten since during under between against through without within among around because however including
according
monday tuesday wednesday thursday friday saturday sunday january february march april june july august september
october november december today yesterday tomorrow per cent percent million billion still even already another`) {
		m[w] = true
	}
	return m
}()
