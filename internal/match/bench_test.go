package match

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The benchmarks match rule sets of 20 and 1,000 mixed English and Khmer
// terms against 2 KB stories (title, summary, content), normalisation
// included, beside two baselines over the same terms and text: a loop of
// strings.ToLower plus strings.Contains, and one regexp alternation. Run:
//
//	go test -run '^$' -bench . -cpu 1 ./internal/match/

var khmerSyllables = strings.Fields(`ក្រសួង ការងារ សហជីព មហាផ្ទៃ កម្ពុជា សមាគម ចាប់ ខ្លួន ឃាត់ ប្រាក់ ឈ្នួល អប្បបរមា
កូដកម្ម ញុះញង់ អង្គការ រដ្ឋាភិបាល បណ្តុះ បណ្តាល វិជ្ជាជីវៈ តុលាការ ប៉ូលិស ខេត្ត រោងចក្រ កម្មករ`)

// khmerFiller is everyday Khmer that no term uses.
var khmerFiller = strings.Fields(`ថ្ងៃ នេះ បាន និង ដែល នៅ ក្នុង ការ របស់ ពី ទៅ លោក ឆ្នាំ ខែ សប្តាហ៍ ទីក្រុង ប្រជាជន
មាន ជា ត្រូវ ទទួល ផ្តល់ ធ្វើ ចំនួន ច្រើន តម្លៃ ស្រូវ ទឹក ភ្លៀង ផ្លូវ សាលា សុខភាព`)

var englishWords = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage federation
protest arrested court police association rights activists president leader members dismissed appeal statement
petition investigation registration law confederation teachers tourism casino solidarity lawyer defender charged`)

// benchTerms makes n distinct terms, about a third Khmer, the rest English
// words, prefixes and phrases (with made-up words so that few of them hit).
func benchTerms(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var t string
		switch k := r.IntN(6); {
		case k < 2:
			t = khmerSyllables[r.IntN(len(khmerSyllables))] + khmerSyllables[r.IntN(len(khmerSyllables))]
		case k < 4:
			t = englishWords[r.IntN(len(englishWords))] + fmt.Sprintf("%c%c", 'a'+r.IntN(26), 'a'+r.IntN(26))
		case k < 5:
			t = englishWords[r.IntN(len(englishWords))] + " " + englishWords[r.IntN(len(englishWords))]
		default:
			t = englishWords[r.IntN(len(englishWords))]
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// benchRules splits the terms into four topics, each "list AND (tag OR
// country)", the shape of the shipped rules.
func benchRules(tb testing.TB, terms []string) (*Rules, []Topic, Lists) {
	lists := Lists{"country": {"Cambodia", "Cambodian*", "កម្ពុជា"}}
	var topics []Topic
	for i := range 4 {
		name := fmt.Sprintf("l%d", i)
		for j := i; j < len(terms); j += 4 {
			lists[name] = append(lists[name], terms[j])
		}
		topics = append(topics, Topic{ID: fmt.Sprintf("t%d", i), Rule: fmt.Sprintf("@%s AND (tag:cambodia OR @country)", name)})
	}
	r, err := Compile(topics, lists)
	if err != nil {
		tb.Fatal(err)
	}
	return r, topics, lists
}

// fillerWords is everyday news vocabulary that no term uses.
var fillerWords = strings.Fields(`the a of to in and for on with at by from as was were is are has have had said says
will would could after before over under about new year years government people city province officials told
reporters week month day last first second local national company companies public school schools health water
road roads market prices rice farmers floods rain season trade export exports bank banks economy growth plan plans
project projects program official visit visited meeting meetings million billion percent according report reports
where which while when during since between against among other more most many some such only also than then
there their they them this that these those been being into out up down off through around across along`)

// benchStories makes 2 KB stories of everyday vocabulary with a topic word
// in about one word of fifteen, and a Khmer paragraph in one story of three,
// with zero-width spaces as Khmer sites write them.
func benchStories(n int) []Story {
	r := rand.New(rand.NewPCG(3, 4))
	words := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			w := fillerWords[r.IntN(len(fillerWords))]
			if r.IntN(15) == 0 {
				w = englishWords[r.IntN(len(englishWords))]
			}
			if r.IntN(8) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:] + ","
			}
			b.WriteString(w)
		}
		return b.String()
	}
	var out []Story
	for i := range n {
		s := Story{Title: words(10), Summary: words(40), Content: words(190)}
		if i%3 == 0 {
			var km []string
			for range 40 {
				w := khmerFiller[r.IntN(len(khmerFiller))]
				if r.IntN(10) == 0 {
					w = khmerSyllables[r.IntN(len(khmerSyllables))]
				}
				km = append(km, w)
			}
			s.Content = s.Content[:len(s.Content)/2] + " " + strings.Join(km, "\u200b")
		}
		if i%2 == 0 {
			s.Tags = []string{"cambodia"}
		}
		out = append(out, s)
	}
	return out
}

func storyBytes(stories []Story) int64 {
	var n int
	for _, s := range stories {
		n += len(s.Title) + len(s.Summary) + len(s.Content)
	}
	return int64(n / len(stories))
}

var sizes = []int{20, 1000}

func BenchmarkMatch(b *testing.B) {
	stories := benchStories(64)
	for _, n := range sizes {
		r, _, _ := benchRules(b, benchTerms(n))
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(storyBytes(stories))
			b.ReportAllocs()
			for i := range b.N {
				r.Match(&stories[i%len(stories)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stories/s")
		})
	}
}

// BenchmarkContainsLoop is the naive baseline: lower-case the text, then
// look for every term with strings.Contains (no word boundaries, no Khmer
// folding: it does less than Match and is still slower).
func BenchmarkContainsLoop(b *testing.B) {
	stories := benchStories(64)
	for _, n := range sizes {
		terms := benchTerms(n)
		for i := range terms {
			terms[i] = strings.ToLower(terms[i])
		}
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(storyBytes(stories))
			hits := 0
			for i := range b.N {
				s := &stories[i%len(stories)]
				text := strings.ToLower(s.Title + "\n" + s.Summary + "\n" + s.Content)
				for _, t := range terms {
					if strings.Contains(text, t) {
						hits++
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stories/s")
		})
	}
}

// BenchmarkRegexpAlternation is the other usual baseline: one
// case-insensitive regexp of every term, word boundaries included.
func BenchmarkRegexpAlternation(b *testing.B) {
	stories := benchStories(64)
	for _, n := range sizes {
		terms := benchTerms(n)
		quoted := make([]string, len(terms))
		for i, t := range terms {
			quoted[i] = regexp.QuoteMeta(t)
		}
		re := regexp.MustCompile(`(?i)(?:` + strings.Join(quoted, "|") + `)`)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(storyBytes(stories))
			for i := range b.N {
				s := &stories[i%len(stories)]
				for _, f := range []string{s.Title, s.Summary, s.Content} {
					re.FindAllStringIndex(f, -1)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stories/s")
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range sizes {
		terms := benchTerms(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			for range b.N {
				benchRules(b, terms)
			}
		})
	}
}

// BenchmarkNormalize is our fused normaliser over a 2 KB story, beside the
// library route (NFC, then full case folding, then removing zero-width
// characters) that it replaces.
func BenchmarkNormalize(b *testing.B) {
	stories := benchStories(64)
	b.Run("fused", func(b *testing.B) {
		var n normalizer
		b.SetBytes(storyBytes(stories))
		for i := range b.N {
			s := &stories[i%len(stories)]
			n.reset(s.Title)
			n.reset(s.Summary)
			n.reset(s.Content)
		}
	})
	b.Run("x-text", func(b *testing.B) {
		fold := cases.Fold()
		zw := strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\ufeff", "")
		b.SetBytes(storyBytes(stories))
		for i := range b.N {
			s := &stories[i%len(stories)]
			for _, f := range []string{s.Title, s.Summary, s.Content} {
				zw.Replace(fold.String(norm.NFC.String(f)))
			}
		}
	})
}
