package match

import (
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

var fuzzLists = Lists{
	"unions":   {"union", "unions", "trade union*", "សហជីព", "C.CAWDU"},
	"traps":    {"European Union", "credit union*"},
	"cambodia": {"Cambodia", "Cambodian*", "Phnom Penh", "កម្ពុជា"},
}

func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`(@unions EXCEPT @traps) NEAR/5 (arrest* OR strike) AND (tag:cambodia OR @cambodia) AND NOT "football"`,
		`title:"trade union" OR text:(សហជីព OR ក្រសួង\u200bការងារ)`,
		`a OR b c NOT d`, `((((a))))`, `NEAR/3`, `"unterminated`, `@`, `tag:`, `a NEAR/0 b`, `title:tag:x`,
		`***`, `a*b`, `)`, `NOT NOT NOT a`, `EXCEPT`, "\x00", `title:`,
		`a AND given:(@cambodia OR tag:cambodia)`, `given:`, `given:given:a`, `title:given:a`, `given:title:a NEAR/2 b`,
	} {
		f.Add(seed)
	}
	story := &Story{Title: "Union leader arrested in Phnom Penh", Summary: "សហជីព កម្ពុជា", Content: "trade unionists, European Union", Tags: []string{"cambodia"}}
	f.Fuzz(func(t *testing.T, rule string) {
		r1, err1 := Compile([]Topic{{ID: "t", Rule: rule}}, fuzzLists)
		r2, err2 := Compile([]Topic{{ID: "t", Rule: rule}}, fuzzLists)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Compile(%q) is not deterministic: %v vs %v", rule, err1, err2)
		}
		if err1 != nil {
			if errs, ok := err1.(Errors); !ok || len(errs) == 0 || errs[0].Offset < 0 || errs[0].Offset > len(rule) {
				t.Fatalf("Compile(%q): bad error %#v", rule, err1)
			}
			return
		}
		if r1.Version() != r2.Version() {
			t.Fatalf("versions differ for %q", rule)
		}
		if !reflect.DeepEqual(r1.Match(story), r2.Match(story)) || !reflect.DeepEqual(r1.Explain(story), r2.Explain(story)) {
			t.Fatalf("rule %q: same story, different results", rule)
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("Union leader arrested", "in Phnom Penh", "", "cambodia")
	f.Add("ក្រសួង\u200bការងារ និង\u200bបណ្ដុះ\u200bបណ្ដាល", "សហជីព\u200bកម្ពុជា", "European Union", "")
	f.Add("Cafe\u0301 STRASSE ﬁne", "e\u0301\u0301\u0301", "\u17d2\u178a\u17d2", "x")
	f.Add("\xff\xfe bad utf8 union", "", "trade-union's strike", "cambodia")
	r, err := Compile([]Topic{
		{ID: "unions", Rule: `(@unions EXCEPT @traps) AND (tag:cambodia OR @cambodia) AND NOT football`},
		{ID: "near", Rule: `@unions NEAR/3 (arrest* OR strike OR ចាប់ខ្លួន)`},
		{ID: "scoped", Rule: `title:@cambodia OR text:"trade union*"`},
		{ID: "given", Rule: `@unions NEAR/5 (arrest* OR ចាប់ខ្លួន) AND given:(@cambodia OR tag:cambodia)`},
	}, fuzzLists)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, summary, content, tag string) {
		s := &Story{Title: title, Summary: summary, Content: content, Tags: []string{tag}}
		got := r.Match(s)
		if again := r.Match(s); !reflect.DeepEqual(got, again) {
			t.Fatalf("same story, different results: %v vs %v", got, again)
		}
		var matched []string
		for _, res := range got {
			matched = append(matched, res.Topic)
			for _, h := range res.Hits {
				text := s.fieldText(h.Field)
				if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
					t.Fatalf("hit %+v out of range of %q", h, text)
				}
				if utf8.ValidString(text) && (!utf8.RuneStart(text[h.Start]) || h.End < len(text) && !utf8.RuneStart(text[h.End])) {
					t.Fatalf("hit %+v splits a rune of %q", h, text)
				}
			}
		}
		var explained []string
		for _, e := range r.Explain(s) {
			if e.Matched {
				explained = append(explained, e.Topic)
			}
		}
		if !slices.Equal(matched, explained) {
			t.Fatalf("Match says %v, Explain says %v", matched, explained)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{"Trade-Union's LEADER", "ក្រសួង\u200bការងារ និង", "Straße ﬁ", "Cafe\u0301", "\u17d2\u178a", "a\u0301\u0302b", "\xff", "ហាមមិនអោយ ឱ្យ ធ្វេីការ ដេាះ", "e\u0301 អោយ\u17c1\u17b8", "មន្រ្ដី ស្រ្តី \u17d2\u179a\u17d2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) && utf8.ValidString(s) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if utf8.ValidString(s) {
			if again := Normalize(n); again != n {
				t.Fatalf("not idempotent: %q -> %q -> %q", s, n, again)
			}
			// The archive's search form reads as the text does, and is
			// its own search form.
			sf := SearchForm(s)
			if Normalize(sf) != n {
				t.Fatalf("Normalize(SearchForm(%q)) = %q, Normalize = %q", s, Normalize(sf), n)
			}
			if again := SearchForm(sf); again != sf {
				t.Fatalf("SearchForm not idempotent: %q -> %q -> %q", s, sf, again)
			}
		}
		// An ASCII letter or digit written maps back to the byte it came
		// from, or to a non-ASCII letter that folds to it (ß, ﬁ): hit
		// offsets depend on it.
		var nz normalizer
		nz.reset(s)
		for k, b := range nz.out {
			if asciiClass[b&0x7f] == 0 || b >= utf8.RuneSelf {
				continue
			}
			in := nz.inOffset(k)
			if in < 0 || in >= len(s) || s[in] < utf8.RuneSelf && asciiClass[s[in]] != b {
				t.Fatalf("%q: output byte %d (%q) maps to input offset %d", s, k, b, in)
			}
		}
	})
}
