package suggest

import (
	"slices"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
)

var (
	fixtureLists = match.Lists{"union": {"union", "unions", "សហជីព"}, "place": {"Cambodia", "Cambodian*", "Phnom Penh", "កម្ពុជា"}}
	fixtureTopic = match.Topic{ID: "unions", Rule: "@union AND NOT football AND (@place OR tag:cambodia)"}
)

func kase(id string, expect evaluate.Expect, title, summary string, tagged bool, topics ...string) Case {
	c := Case{ID: id, Expect: expect, Topics: topics, Story: match.Story{Title: title, Summary: summary}}
	if tagged {
		c.Story.Tags = []string{"cambodia"}
	}
	return c
}

// fixtureCases: three Khmer strike stories the rule misses, which share
// only one word the negatives lack, កូដកម្ម (strike); and two credit-union
// stories it wrongly catches, which share only "credit". A strike abroad,
// with neither the tag nor the country, shows that the term is tried inside
// the rule: the test of place keeps it out.
func fixtureCases() []Case {
	const R, N = evaluate.Relevant, evaluate.Not
	return []Case{
		kase("k1", R, "កម្មករ\u200bរោងចក្រ\u200bធ្វើ\u200bកូដកម្ម", "កម្មករ\u200bជាង\u200b៥០០\u200bនាក់\u200bបាន\u200bចូលរួម\u200bកូដកម្ម\u200bនៅ\u200bខេត្ត\u200bកណ្ដាល។", true, "unions"),
		kase("k2", R, "កូដកម្ម\u200bនៅ\u200bរោងចក្រ\u200bកាត់ដេរ", "កម្មករ\u200bទាមទារ\u200bប្រាក់\u200bឈ្នួល។", true, "unions"),
		kase("k3", R, "បុគ្គលិក\u200bកាស៊ីណូ\u200bបន្ត\u200bកូដកម្ម", "ពួកគេ\u200bទាមទារ\u200bឱ្យ\u200bដាក់\u200bឱ្យ\u200bធ្វើការ\u200bវិញ។", true, "unions"),
		kase("p1", R, "Union leader arrested in Phnom Penh", "Police arrested the union leader.", true, "unions"),
		kase("p2", R, "សហជីព\u200bដាក់\u200bញត្តិ", "មេដឹកនាំ\u200bសហជីព\u200bនៅ\u200bភ្នំពេញ។", true, "unions"),
		kase("n1", N, "រោងចក្រ\u200bថ្មី\u200bបើក\u200bនៅ\u200bខេត្ត\u200bកណ្ដាល", "កម្មករ\u200bជាង\u200b៥០០\u200bនាក់\u200bនឹង\u200bធ្វើការ\u200bនៅ\u200bទីនោះ។", true),
		kase("n2", N, "កាស៊ីណូ\u200bថ្មី\u200bនៅ\u200bក្រុង\u200bព្រះសីហនុ", "បុគ្គលិក\u200bត្រូវ\u200bបាន\u200bជ្រើសរើស\u200bនិង\u200bទាមទារ\u200bឯកសារ។", true),
		kase("n3", N, "កូដកម្ម\u200bនៅ\u200bប្រទេស\u200bថៃ", "កម្មករ\u200bថៃ\u200bទាមទារ\u200bប្រាក់\u200bឈ្នួល។", false),
		kase("f1", N, "Credit union opens branch in Phnom Penh", "The credit union offers loans.", true),
		kase("f2", N, "Cambodian credit unions report growth", "Savings grew at credit unions.", false),
		kase("b1", evaluate.Borderline, "កូដកម្ម credit", "", true),
	}
}

func TestSuggestProposesTheKnownTermFirst(t *testing.T) {
	archive := []match.Story{
		{Title: "កូដកម្ម\u200bនៅ\u200bភ្នំពេញ", Tags: []string{"cambodia"}}, {Title: "Credit union news in Cambodia"}, {Title: "Union leader freed", Tags: []string{"cambodia"}},
	}
	got, err := Suggest([]match.Topic{fixtureTopic}, fixtureLists, fixtureCases(), Options{Archive: Stories(archive)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d topics", len(got))
	}
	ts := got[0]
	if ts.Before != (evaluate.Counts{TP: 2, FP: 2, FN: 3}) || !slices.Equal(ts.Missed, []string{"k1", "k2", "k3"}) || !slices.Equal(ts.Caught, []string{"f1", "f2"}) {
		t.Fatalf("before: %+v missed %v caught %v", ts.Before, ts.Missed, ts.Caught)
	}
	if len(ts.Add) == 0 || len(ts.Not) == 0 {
		t.Fatalf("add %v, not %v", ts.Add, ts.Not)
	}
	add := ts.Add[0]
	if add.Term != "កូដកម្ម" {
		t.Errorf("first term to add %q, want កូដកម្ម; all: %v", add.Term, terms(ts.Add))
	}
	if !slices.Equal(add.GainedRelevant, []string{"k1", "k2", "k3"}) || len(add.GainedNot) != 0 || len(add.LostRelevant)+len(add.LostNot) != 0 {
		t.Errorf("កូដកម្ម gains %v and %v, loses %v %v; want k1-k3 only", add.GainedRelevant, add.GainedNot, add.LostRelevant, add.LostNot)
	}
	if add.After != (evaluate.Counts{TP: 5, FP: 2, FN: 0}) {
		t.Errorf("after adding កូដកម្ម: %+v", add.After)
	}
	if want := "(@union OR កូដកម្ម) AND NOT football AND (@place OR tag:cambodia)"; add.Rule != want {
		t.Errorf("rule %q, want %q", add.Rule, want)
	}
	// The archive's strike story in Phnom Penh comes in; nothing else.
	if add.ArchiveBefore != 2 || add.ArchiveAfter != 3 || ts.ArchiveTotal != 3 {
		t.Errorf("archive %d → %d of %d", add.ArchiveBefore, add.ArchiveAfter, ts.ArchiveTotal)
	}
	not := ts.Not[0]
	if not.Term != "credit" || !not.Not {
		t.Errorf("first NOT term %q, want credit; all: %v", not.Term, terms(ts.Not))
	}
	if !slices.Equal(not.LostNot, []string{"f1", "f2"}) || len(not.LostRelevant) != 0 || len(not.GainedRelevant)+len(not.GainedNot) != 0 {
		t.Errorf("NOT credit loses %v and %v; want f1, f2 only", not.LostNot, not.LostRelevant)
	}
	if p, _ := not.After.Precision(); not.After != (evaluate.Counts{TP: 2, FP: 0, FN: 3}) || p != 1 {
		t.Errorf("after NOT credit: %+v", not.After)
	}
}

// TestSuggestEffectIsTheMatchersOwn recomputes every suggestion's counts
// by compiling its rule and matching the labelled stories directly.
func TestSuggestEffectIsTheMatchersOwn(t *testing.T) {
	cases := fixtureCases()
	got, err := Suggest([]match.Topic{fixtureTopic}, fixtureLists, cases, Options{Max: 50})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range append(got[0].Add, got[0].Not...) {
		r, err := match.Compile([]match.Topic{{ID: "unions", Rule: s.Rule}}, fixtureLists)
		if err != nil {
			t.Fatalf("%q: %v", s.Rule, err)
		}
		var c evaluate.Counts
		for i := range cases {
			m := len(r.Match(&cases[i].Story)) == 1
			switch role := roleFor(&cases[i], "unions"); {
			case role == positive && m:
				c.TP++
			case role == positive:
				c.FN++
			case role == negative && m:
				c.FP++
			}
		}
		if c != s.After {
			t.Errorf("%s: After %+v, the matcher says %+v", s.Term, s.After, c)
		}
		if s.ArchiveBefore != -1 {
			t.Errorf("%s: archive counted without an archive", s.Term)
		}
		n++
	}
	if n < 3 {
		t.Errorf("only %d suggestions", n)
	}
}

func TestSuggestUnknownTopic(t *testing.T) {
	if _, err := Suggest([]match.Topic{fixtureTopic}, fixtureLists, fixtureCases(), Options{Topic: "nope"}); err == nil {
		t.Error("no error for an unknown topic")
	}
}

func terms(s []Suggestion) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Term)
	}
	return out
}

func TestClustersAreSyllables(t *testing.T) {
	for _, tc := range []struct{ run, want string }{
		{"ខាងក្រោយ", "ខាង ក្រោយ"},
		{"ចាប់ខ្លួន", "ចាប់ ខ្លួន"},
		{"សហជីព", "ស ហ ជីព"},
		{"ក្រសួងការងារ", "ក្រ សួង ការ ងារ"},
		{"អង្គការ", "អ ង្គ ការ"},
		{"ញុះញង់", "ញុះ ញ ង់"},
		{"ឥឡូវ", "ឥ ឡូវ"},
	} {
		if got := strings.Join(clusters([]rune(tc.run)), " "); got != tc.want {
			t.Errorf("clusters(%s) = %s, want %s", tc.run, got, tc.want)
		}
	}
}
