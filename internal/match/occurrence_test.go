package match

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// judgeRules are rules that use every kind of node and term: NEAR, EXCEPT,
// NOT, field scopes, tags, prefixes, phrases and Khmer.
func judgeRules(t testing.TB) *Rules {
	t.Helper()
	r, err := Compile([]Topic{
		{ID: "unions", Rule: `(@unions EXCEPT @traps) AND (tag:cambodia OR @cambodia) AND NOT football`},
		{ID: "near", Rule: `@unions NEAR/3 (arrest* OR strike OR ចាប់ខ្លួន)`},
		{ID: "scoped", Rule: `title:@cambodia OR text:"trade union*"`},
		{ID: "khmer", Rule: `សហជីព NEAR/2 កម្ពុជា AND NOT title:credit`},
	}, fuzzLists)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// renumbered returns a scanner over the rules' patterns and some others, in
// another order, and the map from its numbering to the rules'.
func renumbered(r *Rules) (*Scanner, []int32) {
	pats := append([]string{"arrest", "zzz", Normalize("European")}, r.Patterns()...)
	slices.Reverse(pats)
	pats = slices.Compact(pats) // "arrest" is one of the rules' patterns too
	mapping := make([]int32, len(pats))
	for i, p := range pats {
		mapping[i] = int32(slices.Index(r.Patterns(), p))
	}
	return NewScanner(pats), mapping
}

// judged is the topics Judge says match, in config order.
func judged(r *Rules, sc *Scanner, mapping []int32, s *Story) []string {
	out := make([]bool, len(r.TopicIDs()))
	r.Judge(sc.Scan(s, nil), mapping, s.Tags, out)
	var ids []string
	for i, ok := range out {
		if ok {
			ids = append(ids, r.TopicIDs()[i])
		}
	}
	return ids
}

func matched(r *Rules, s *Story) []string {
	var ids []string
	for _, res := range r.Match(s) {
		ids = append(ids, res.Topic)
	}
	return ids
}

// TestJudgeAgreesWithMatch checks the two halves of matching, run apart
// through a scanner with its own numbering, against Match, over stories
// made of the rules' words, near misses, Khmer with and without
// zero-width spaces, and punctuation.
func TestJudgeAgreesWithMatch(t *testing.T) {
	r := judgeRules(t)
	sc, mapping := renumbered(r)
	words := []string{
		"union", "unions", "Union's", "trade-union", "trade unionists", "European Union", "credit unions", "Cambodia",
		"Cambodians", "Phnom Penh", "Phnom-Penh", "arrest", "arrested", "ARRESTS", "strike", "striker", "football",
		"C.CAWDU", "CCAWDU", "សហជីព", "សហ\u200bជីព", "កម្ពុជា", "ចាប់ខ្លួន", "ក្រសួង\u200bការងារ", "the", "of", "workers",
		"—", ",", "...", "\u200b", "Straße", "Ünion", "credit",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(4) > 0 {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	const n = 3000
	fired := map[string]int{}
	for i := range n {
		s := &Story{Title: text(rng.IntN(6)), Summary: text(rng.IntN(12)), Content: text(rng.IntN(40))}
		if i%2 == 0 {
			s.Tags = []string{"Cambodia"}
		}
		want, got := matched(r, s), judged(r, sc, mapping, s)
		if !slices.Equal(got, want) {
			t.Fatalf("story %+v: Judge says %v, Match says %v", s, got, want)
		}
		for _, id := range want {
			fired[id]++
		}
	}
	// The comparison means something only if each topic matches some
	// stories and misses others.
	for _, id := range r.TopicIDs() {
		if fired[id] < n/20 || fired[id] > n-n/20 {
			t.Errorf("topic %s matched %d of %d stories: the generator no longer exercises it", id, fired[id], n)
		}
	}
}

func TestJudgeIgnoresPatternsItDoesNotKnow(t *testing.T) {
	r := judgeRules(t)
	s := &Story{Title: "Union leader arrested in Phnom Penh"}
	// Occurrences numbered by a scanner that knows only other words, or
	// mapped to nothing, make no topic match.
	other := NewScanner([]string{"leader", "in"})
	out := make([]bool, len(r.TopicIDs()))
	r.Judge(other.Scan(s, nil), []int32{-1, -1}, nil, out)
	r.Judge(other.Scan(s, nil), nil, nil, out)
	if slices.Contains(out, true) {
		t.Fatalf("Judge matched %v on occurrences of patterns the rules lack", out)
	}
	if got := judged(r, NewScanner(r.Patterns()), identity(len(r.Patterns())), s); !slices.Equal(got, []string{"unions", "near", "scoped"}) {
		t.Fatalf("Judge on the rules' own patterns = %v", got)
	}
}

func identity(n int) []int32 {
	m := make([]int32, n)
	for i := range m {
		m[i] = int32(i)
	}
	return m
}

func TestOccurrencesRoundTrip(t *testing.T) {
	sc := NewScanner(judgeRules(t).Patterns())
	var all []Occurrence
	var enc []byte
	for _, s := range []Story{
		{Title: "Union leader arrested in Phnom Penh", Content: strings.Repeat("trade unions strike, ", 400)},
		{Summary: "សហជីព\u200bកម្ពុជា ចាប់ខ្លួន សហជីព", Content: "C.CAWDU — credit unions — European Union"},
		{},
	} {
		occ := sc.Scan(&s, nil)
		if got := DecodeOccurrences(AppendOccurrences(nil, occ), nil); !slices.Equal(got, occ) {
			t.Fatalf("%+v: decoded %v, want %v", s, got, occ)
		}
		all, enc = append(all, occ...), AppendOccurrences(enc, occ)
	}
	// Encodings appended one after another decode as one.
	if got := DecodeOccurrences(enc, nil); !slices.Equal(got, all) {
		t.Fatalf("concatenated: decoded %d occurrences, want %d", len(got), len(all))
	}
	if per := float64(len(enc)) / float64(len(all)); per > 12 {
		t.Errorf("%.1f bytes an occurrence: the encoding is no longer compact", per)
	}
	odd := []Occurrence{{Pattern: 1 << 30, field: 2, bounds: 3, start: 1 << 30, end: 1<<30 + 7, wordStart: -5, wordEnd: -1}}
	if got := DecodeOccurrences(AppendOccurrences(nil, odd), nil); !slices.Equal(got, odd) {
		t.Fatalf("decoded %v, want %v", got, odd)
	}
}

func FuzzDecodeOccurrences(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x80})
	f.Add(AppendOccurrences(nil, []Occurrence{{Pattern: 3, field: 1, bounds: 1, start: 10, end: 15, wordStart: 2, wordEnd: 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		occ := DecodeOccurrences(b, nil) // must not panic
		if again := DecodeOccurrences(AppendOccurrences(nil, occ), nil); !slices.Equal(again, occ) {
			t.Fatalf("re-encoding %v gives %v", occ, again)
		}
	})
}
