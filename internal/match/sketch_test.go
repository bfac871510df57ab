package match

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sketchOf is the sketch of a story worked out the slow way, from Normalize
// and every trigram without a space of each field, to check ScanSketch
// against.
func sketchOf(st *Story) Sketch {
	var sk Sketch
	for _, f := range []string{st.Title, st.Summary, st.Content} {
		t := Normalize(f)
		for i := 2; i < len(t); i++ {
			if strings.Contains(t[i-2:i+1], " ") {
				continue
			}
			h := trigramBit(uint64(t[i-2])<<16 | uint64(t[i-1])<<8 | uint64(t[i]))
			sk[h/64] |= 1 << (h % 64)
		}
	}
	return sk
}

func TestScanSketchIsScan(t *testing.T) {
	var pats []string
	for _, p := range []string{"union", "trade union", "unions", "សហជីព", "កម្ពុជា", "សហជីពកម្ពុជា", "strasse", "arrest", "a", "ab", "n u", "ក្រសួងការងារ", "zzz"} {
		pats = append(pats, Normalize(p))
	}
	sc := NewScanner(pats)
	for _, st := range []Story{
		{},
		{Title: "Union"},
		{Title: "សហជីព\u200bកម្ពុជា", Summary: "សហជីព កម្ពុជា", Content: "សហ\u200bជីព\u200b\u200bកម្ពុជា"},
		{Title: "TRADE-UNION leader ARRESTED", Summary: "", Content: "trade unionists; unions, union's..."},
		{Title: "Straße", Summary: "STRASSE", Content: "—\u200b—"},
		{Title: "", Summary: "", Content: "ក្រសួង\u200bការងារ និង\u200bបណ្ដុះ\u200bបណ្ដាល union"},
		{Title: "ab", Summary: "a b", Content: "abab ab"},
		{Title: "Cafe\u0301 union\xff\xfe", Summary: "...", Content: "Union: Union, UNION! union"},
	} {
		want := sc.Scan(&st, nil)
		var sk Sketch
		got := sc.ScanSketch(&st, nil, &sk)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("story %+v: ScanSketch found %v, Scan %v", st, got, want)
		}
		if ref := sketchOf(&st); sk != ref {
			t.Errorf("story %+v: sketch %x, want %x", st, sk, ref)
		}
		// It appends, like Scan.
		prefix := []Occurrence{{Pattern: 99}}
		if got := sc.ScanSketch(&st, slices.Clone(prefix), &sk); !reflect.DeepEqual(got, sc.Scan(&st, slices.Clone(prefix))) {
			t.Errorf("story %+v: ScanSketch does not append as Scan does: %v", st, got)
		}
	}
}

func TestShortPatternsMayAlwaysOccur(t *testing.T) {
	var empty Sketch
	for _, p := range []string{"", "a", "ab", "\xe1\x9e"} {
		if !NewProbe(p).MayOccur(&empty) {
			t.Errorf("NewProbe(%q) rules out a story, but has no trigram to go by", p)
		}
	}
	if NewProbe("abc").MayOccur(&empty) {
		t.Error(`NewProbe("abc") says it may occur in an empty story`)
	}
	if !(Probe{}).MayOccur(&empty) {
		t.Error("the zero Probe rules out a story")
	}
}

// TestSketchHasNoFalseNegatives checks that a probe never rules out a story
// in which a scanner finds its pattern, over random stories of English and
// Khmer words, punctuation and zero-width spaces, and patterns that are
// words, phrases, prefixes and pieces of words.
func TestSketchHasNoFalseNegatives(t *testing.T) {
	words := append(slices.Clone(englishWords), khmerSyllables...)
	words = append(words, "Union's", "trade-union", "CAMBODIA", "Straße", "ក្រសួង\u200bការងារ", "សហ\u200bជីព")
	seps := []string{" ", " ", " ", "", ", ", ". ", "\u200b", " — ", "-", "\n"}
	rng := rand.New(rand.NewPCG(5, 6))

	seen := map[string]bool{}
	var pats []string
	add := func(p string) {
		if p = Normalize(p); p != "" && !seen[p] {
			seen[p] = true
			pats = append(pats, p)
		}
	}
	for range 400 {
		w := words[rng.IntN(len(words))]
		switch rng.IntN(5) {
		case 0: // a word
			add(w)
		case 1: // a phrase
			add(w + " " + words[rng.IntN(len(words))])
		case 2: // Khmer
			add(khmerSyllables[rng.IntN(len(khmerSyllables))] + khmerSyllables[rng.IntN(len(khmerSyllables))])
		case 3: // a prefix
			nw := Normalize(w)
			add(nw[:1+rng.IntN(len(nw))])
		default: // a piece of a word
			nw := Normalize(w)
			i := rng.IntN(len(nw))
			add(nw[i : i+1+rng.IntN(len(nw)-i)])
		}
	}
	// One scanner for all patterns finds, for each, what a scanner of that
	// pattern alone would.
	sc := NewScanner(pats)
	probes := make([]Probe, len(pats))
	for i, p := range pats {
		probes[i] = NewProbe(p)
	}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		return b.String()
	}
	const stories = 3000
	occurred, ruledOut := 0, 0
	found := make([]bool, len(pats))
	for range stories {
		st := Story{Title: text(rng.IntN(6)), Summary: text(rng.IntN(15)), Content: text(rng.IntN(60))}
		var sk Sketch
		occ := sc.ScanSketch(&st, nil, &sk)
		clear(found)
		for _, o := range occ {
			found[o.Pattern] = true
		}
		for i, p := range pats {
			may := probes[i].MayOccur(&sk)
			if found[i] {
				occurred++
				if !may {
					t.Fatalf("pattern %q occurs in story %+v, but its probe rules the story out", p, st)
				}
			} else if !may {
				ruledOut++
			}
		}
	}
	// The test means something only if many patterns occur, and many of
	// those that do not are ruled out.
	pairs := stories * len(pats)
	t.Logf("%d patterns, %d stories: %d pairs occur, %d of the others ruled out", len(pats), stories, occurred, ruledOut)
	if occurred < pairs/20 || ruledOut < (pairs-occurred)/4 {
		t.Errorf("%d of %d (story, pattern) pairs occur and %d are ruled out: the generator no longer exercises the sketch", occurred, pairs, ruledOut)
	}
}

// englishLetters are letters in rough English proportions, for made-up
// words whose trigrams are as common as English ones.
var englishLetters = func() []byte {
	freq := map[byte]int{'e': 127, 't': 91, 'a': 82, 'o': 75, 'i': 70, 'n': 67, 's': 63, 'h': 61, 'r': 60, 'd': 43,
		'l': 40, 'c': 28, 'u': 28, 'm': 24, 'w': 24, 'f': 22, 'g': 20, 'y': 20, 'p': 19, 'b': 15, 'v': 10, 'k': 8,
		'j': 2, 'x': 2, 'q': 1, 'z': 1}
	var out []byte
	for c := byte('a'); c <= 'z'; c++ {
		out = append(out, strings.Repeat(string(c), freq[c])...)
	}
	return out
}()

func madeUpWord(rng *rand.Rand, minLen, maxLen int) string {
	b := make([]byte, minLen+rng.IntN(maxLen-minLen+1))
	for i := range b {
		b[i] = englishLetters[rng.IntN(len(englishLetters))]
	}
	return string(b)
}

// sketchCorpus is n stories of ~300 words (2.8 KB on average) from a vocabulary
// of 2,000 made-up words of 3–10 letters, drawn with the Zipf distribution
// of real text (zipf false: uniformly), a capital and a comma here and
// there, and ~90 Khmer words in one story in three. It also returns the
// vocabulary.
func sketchCorpus(n int, zipf bool) ([]Story, []string) {
	rng := rand.New(rand.NewPCG(7, 8))
	vocab := make([]string, 0, 2000)
	seen := map[string]bool{}
	for len(vocab) < cap(vocab) {
		if w := madeUpWord(rng, 3, 10); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	z := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	pick := func() string {
		if zipf {
			return vocab[z.Uint64()]
		}
		return vocab[rng.IntN(len(vocab))]
	}
	words := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			w := pick()
			if rng.IntN(8) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:] + ","
			}
			b.WriteString(w)
		}
		return b.String()
	}
	khmer := append(slices.Clone(khmerFiller), khmerSyllables...)
	stories := make([]Story, n)
	for i := range stories {
		s := Story{Title: words(10), Summary: words(40), Content: words(250)}
		if i%3 == 0 {
			km := make([]string, 90)
			for j := range km {
				km[j] = khmer[rng.IntN(len(khmer))]
			}
			s.Content += " " + strings.Join(km, "\u200b")
		}
		stories[i] = s
	}
	return stories, vocab
}

// absentWords are made-up words of 6–10 letters that are in no word of the
// vocabulary, so they occur in no story.
func absentWords(n int, vocab []string) []string {
	rng := rand.New(rand.NewPCG(9, 10))
	var out []string
	for len(out) < n {
		w := madeUpWord(rng, 6, 10)
		if !slices.ContainsFunc(vocab, func(v string) bool { return strings.Contains(v, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// falsePositives is the fraction of (story, word) pairs for which a sketch
// setting k bits per trigram lets the word through, and the fraction of
// bits set; k = 1 is Sketch as built by ScanSketch.
func falsePositives(stories []Story, words []string, k int) (rate, fill float64) {
	bits := func(t string, set func(h uint64)) {
		for i := 2; i < len(t); i++ {
			if strings.Contains(t[i-2:i+1], " ") {
				continue
			}
			h := (uint64(t[i-2])<<16 | uint64(t[i-1])<<8 | uint64(t[i])) * trigramMul
			for j := range k {
				set(h >> (64 - sketchBits*(j+1)) & (1<<sketchBits - 1))
			}
		}
	}
	pass, ones := 0, 0
	for _, st := range stories {
		var sk Sketch
		for _, f := range []string{st.Title, st.Summary, st.Content} {
			bits(Normalize(f), func(h uint64) { sk[h/64] |= 1 << (h % 64) })
		}
		for _, w := range sk {
			for ; w != 0; w &= w - 1 {
				ones++
			}
		}
		for _, w := range words {
			all := true
			bits(w, func(h uint64) { all = all && sk[h/64]&(1<<(h%64)) != 0 })
			if all {
				pass++
			}
		}
	}
	return float64(pass) / float64(len(stories)*len(words)), float64(ones) / float64(len(stories)*len(Sketch{})*64)
}

// TestSketchChooseK measures what the choice of one bit per trigram rests
// on: the false-positive rate with one and two bits, on text with Zipf and
// with uniform word frequencies. Two bits gain a third of a point on the
// Zipf text and lose more on the denser uniform text, whose sketches are
// fuller: one bit is the choice that degrades gently as stories get
// longer. Run with -v to see the figures.
func TestSketchChooseK(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	for _, zipf := range []bool{true, false} {
		stories, vocab := sketchCorpus(500, zipf)
		words := absentWords(100, vocab)
		r1, f1 := falsePositives(stories, words, 1)
		r2, f2 := falsePositives(stories, words, 2)
		t.Logf("zipf=%v: k=1 passes %.2f%% (%.0f%% of bits set), k=2 passes %.2f%% (%.0f%% set)", zipf, 100*r1, 100*f1, 100*r2, 100*f2)
		if !zipf && r1 > r2 {
			t.Errorf("on dense text k=2 does better than k=1 (%.2f%% < %.2f%%): Sketch should set two bits per trigram", 100*r2, 100*r1)
		}
		if zipf && r1 > 0.02 {
			t.Errorf("k=1 lets %.2f%% of Zipf stories through, want under 2%%", 100*r1)
		}
	}
}

// TestSketchSelectivity checks that sketches rule out most stories for
// a word they lack: that is what saves the lab reading them. A broken hash
// (every trigram on one bit, or few bits) lets every story through.
func TestSketchSelectivity(t *testing.T) {
	stories, vocab := sketchCorpus(2000, true)
	words := absentWords(100, vocab)
	probes := make([]Probe, len(words))
	for i, w := range words {
		probes[i] = NewProbe(w)
	}
	sc := NewScanner([]string{"zzzzzz"})
	pass := 0
	var occ []Occurrence
	for i := range stories {
		var sk Sketch
		occ = sc.ScanSketch(&stories[i], occ[:0], &sk)
		for _, p := range probes {
			if p.MayOccur(&sk) {
				pass++
			}
		}
		// Words the story has are never ruled out.
		for _, w := range strings.Fields(Normalize(stories[i].Summary)) {
			if !NewProbe(w).MayOccur(&sk) {
				t.Fatalf("story %d: %q ruled out", i, w)
			}
		}
	}
	rate := float64(pass) / float64(len(stories)*len(words))
	t.Logf("a 6–10 letter word absent from the text passes %.2f%% of %d sketches of ~2.8 KB stories", 100*rate, len(stories))
	if rate >= 0.05 {
		t.Errorf("%.2f%% of stories may hold a word none holds; want under 5%%", 100*rate)
	}
}

// BenchmarkScan gives the cost of sketching a story (the 1.5 KB stories of
// BenchmarkMatch) on top of scanning it for 20 patterns: ns/op is per story.
// On the shared 2-core VM, 7.6–8.1 µs for scan and 11.0–11.4 µs for
// scan+sketch, about 2 ns a byte more (go test -run '^$' -bench Scan -cpu 1
// -count 3 ./internal/match/).
func BenchmarkScan(b *testing.B) {
	stories := benchStories(64)
	r, _, _ := benchRules(b, benchTerms(20))
	sc := NewScanner(r.Patterns())
	for _, sketch := range []bool{false, true} {
		name := "scan"
		if sketch {
			name = "scan+sketch"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(storyBytes(stories))
			var occ []Occurrence
			for i := range b.N {
				if sketch {
					var sk Sketch
					occ = sc.ScanSketch(&stories[i%len(stories)], occ[:0], &sk)
				} else {
					occ = sc.Scan(&stories[i%len(stories)], occ[:0])
				}
			}
		})
	}
}
