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

// maxKhmerRuns and maxKhmerJoined bound a Khmer candidate made of the runs
// a site separated with zero-width spaces: names such as
// អង្គការ​មិន​មែន​រដ្ឋាភិបាល (NGO) are four runs and thirteen syllables.
const (
	maxKhmerRuns   = 4
	maxKhmerJoined = 16
)

// candidates returns the distinct terms, written as in a rule, that a story
// offers, each with how many words as the text wrote them it is made of (0
// for a piece of a word): its
// English words of three letters or more that are not function words, pairs
// of such words as phrases, and Khmer words. Khmer is written without
// spaces, but sites put zero-width spaces between words; the runs between
// them, alone and up to four together, are the Khmer candidates. A run
// too long to be a word (a site that puts no breaks) yields every stretch
// of 2 to maxKhmerClusters syllables instead, which are not whole words.
func candidates(s *match.Story) map[string]uint8 {
	out := map[string]uint8{}
	for _, field := range []string{s.Title, s.Summary, s.Content} {
		prev := ""
		for _, tok := range strings.Fields(match.Normalize(field)) {
			if hasKhmer(tok) || !wordy(tok) {
				prev = ""
				continue
			}
			out[tok] = 1
			if prev != "" {
				out[`"`+prev+" "+tok+`"`] = 2
			}
			prev = tok
		}
		for _, stretch := range khmerStretches(field) {
			khmerCandidates(stretch, out)
		}
	}
	return out
}

// khmerStretches splits a field's Khmer into stretches of runs: a run ends
// at a zero-width space or a space, a stretch at anything else that is not
// a Khmer letter. Runs are normalised as rules see them.
func khmerStretches(field string) [][]string {
	var out [][]string
	var stretch []string
	var run []rune
	endRun := func() {
		if len(run) > 0 {
			stretch = append(stretch, match.Normalize(string(run)))
			run = run[:0]
		}
	}
	for _, r := range field {
		switch {
		case khmerLetter(r):
			run = append(run, r)
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFEFF || unicode.IsSpace(r):
			endRun()
		default:
			endRun()
			if len(stretch) > 0 {
				out = append(out, stretch)
				stretch = nil
			}
		}
	}
	endRun()
	if len(stretch) > 0 {
		out = append(out, stretch)
	}
	return out
}

// khmerCandidates adds a stretch's words and pairs and triples of words to
// out as whole words, and the syllable stretches of a run too long to be
// a word as not whole.
func khmerCandidates(runs []string, out map[string]uint8) {
	for i := range runs {
		cs := clusters([]rune(runs[i]))
		if len(cs) > maxKhmerClusters {
			for j := range cs {
				for n := 2; n <= maxKhmerClusters && j+n <= len(cs); n++ {
					if g := strings.Join(cs[j:j+n], ""); out[g] == 0 && !khmerStopwords[g] {
						out[g] = 0
					}
				}
			}
			continue
		}
		joined, size := "", 0
		for n := 0; n < maxKhmerRuns && i+n < len(runs); n++ {
			joined += runs[i+n]
			size += len(clusters([]rune(runs[i+n])))
			if size > maxKhmerJoined {
				break
			}
			if n == 0 && khmerStopwords[joined] {
				continue
			}
			if parts := uint8(n + 1); size >= 2 && (out[joined] == 0 || out[joined] > parts) {
				out[joined] = parts
			}
		}
	}
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

// clusters splits a run of Khmer letters into syllables: a base with its
// subscripts, vowels and signs, and the final consonant that closes it.
// Script alone cannot tell a final from the next syllable's bare initial;
// a bare consonant (with at most a sign such as ់) after a base that
// carries a vowel not closed by ំ, ះ or ៈ is taken as its final. That splits
// ខាងក្រោយ as ខាង ក្រោយ and ចាប់ខ្លួន as ចាប់ ខ្លួន, where base by base gave
// ខា ង ក្រោ យ, and a candidate could start on a final (ងក្រោយ).
func clusters(run []rune) []string {
	var out []string
	start, vowel := 0, false // vowel: the current syllable's base carries one
	for i := 1; i < len(run); i++ {
		switch {
		case khmerVowelSign(run[i]):
			vowel = true
		case run[i] >= 0x17C6 && run[i] <= 0x17C8:
			vowel = false // ំ, ះ, ៈ close the syllable: no final follows
		}
		if !khmerBase(run[i]) || run[i-1] == 0x17D2 {
			continue
		}
		if vowel && bareFinal(run[i:]) {
			// Take the final and its signs into this syllable.
			j := i + 1
			for j < len(run) && khmerSign(run[j]) {
				j++
			}
			out = append(out, string(run[start:j]))
			start, vowel, i = j, false, j
			continue
		}
		out = append(out, string(run[start:i]))
		start, vowel = i, false
	}
	if start < len(run) {
		out = append(out, string(run[start:]))
	}
	return out
}

// bareFinal reports whether the consonant at rest[0] has no subscript and no
// vowel of its own: then it closes the syllable before it.
func bareFinal(rest []rune) bool {
	if rest[0] > 0x17A2 { // an independent vowel starts a syllable
		return false
	}
	for _, r := range rest[1:] {
		switch {
		case r == 0x17D2 || khmerVowelSign(r):
			return false
		case khmerSign(r):
			continue
		}
		return true
	}
	return true
}

// khmerVowelSign: the dependent vowels U+17B6..U+17C5.
func khmerVowelSign(r rune) bool { return r >= 0x17B6 && r <= 0x17C5 }

// khmerSign: the signs U+17C6..U+17D1 and U+17D3, U+17DD (nikahit, bantoc,
// register shifters, …), which sit on a letter.
func khmerSign(r rune) bool { return r >= 0x17C6 && r <= 0x17D1 || r == 0x17D3 || r == 0x17DD }

// within reports whether term a occurs inside term b: as a substring for
// Khmer, as whole words for English (quotes of phrases set aside).
func within(a, b string) bool {
	a, b = strings.Trim(a, `"`), strings.Trim(b, `"`)
	if a == b {
		return true
	}
	if hasKhmer(a) {
		return strings.Contains(b, a)
	}
	return strings.Contains(" "+b+" ", " "+a+" ")
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

// khmerStopwords are Khmer function words, which a site's word breaks set
// apart as often as the words that matter: ការ (the act of), និង (and),
// នៅ (at), បាន (did), ដែល (that), ... A candidate is never one of them
// alone.
var khmerStopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ការ និង នៅ បាន ដែល ជា របស់ ពី ទៅ ក្នុង លោក នេះ នោះ ថា មាន ត្រូវ ឱ្យ ឲ្យ ជាមួយ លើ ដើម្បី
ហើយ ក៏ដោយ ដោយ សម្រាប់ ទៀត គឺ ផង នឹង មិន ពួកគេ គាត់ យើង ខ្ញុំ អ្នក ទាំង តែ ដូច ក្រោយ មុន ចំពោះ រួច ខណៈ កាលពី ថ្ងៃ ខែ ឆ្នាំ`) {
		m[match.Normalize(w)] = true
	}
	return m
}()
