package suggest

import (
	"slices"
	"testing"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
)

// Three relevant stories: two share the words that catch them ("union",
// "arrest*"); the third is caught only by "dissolved", which no other
// relevant story has, so the estimate must drop it. The place words are
// shared, and a not-relevant story using "dissolved" lends it no support.
func TestLeaveOneOutDropsStoriesCaughtByTheirOwnWords(t *testing.T) {
	lists := match.Lists{
		"who":   {"union", "association*"},
		"acts":  {"arrest*", "dissolved"},
		"place": {"Cambodia", "Phnom Penh"},
	}
	topics := []match.Topic{
		{ID: "civic", Rule: "@who NEAR/5 @acts AND @place"},
		{ID: "unions", Rule: "union NEAR/5 arrest* AND @place"},
	}
	rules, err := match.Compile(topics, lists)
	if err != nil {
		t.Fatal(err)
	}
	const R, N = evaluate.Relevant, evaluate.Not
	cases := []Case{
		kase("a", R, "Union leader arrested in Phnom Penh", "", false, "unions", "civic"),
		kase("n", N, "Cambodia's football association dissolved", "", false),
		kase("b", R, "Police arrest union members in Phnom Penh, Cambodia", "", false, "unions"),
		kase("c", R, "Cambodia: association dissolved", "", false, "civic"),
		kase("d", R, "Nothing here matches", "", false),
	}
	held := LeaveOneOut(rules, cases)
	if len(held) != 4 {
		t.Fatalf("%d stories held, want the 4 relevant ones", len(held))
	}
	byID := map[string]Held{}
	for _, h := range held {
		byID[cases[h.Case].ID] = h
	}
	a, c, d := byID["a"], byID["c"], byID["d"]
	if !a.Matched || !a.Kept || !slices.Equal(a.KeptTopics, []string{"civic", "unions"}) {
		t.Errorf("a: %+v, want matched and kept under both topics", a)
	}
	// "association*" fires on c alone among relevant stories too, and
	// "dissolved" does; without them civic has nothing left.
	if !c.Matched || c.Kept || !slices.Equal(c.Own, []string{"association*", "dissolved"}) || len(c.KeptTopics) != 0 {
		t.Errorf("c: %+v, want matched, not kept, own [association* dissolved]", c)
	}
	if d.Matched || d.Kept {
		t.Errorf("d: %+v, want neither matched nor kept", d)
	}
	// The estimate must not change the rules it was given.
	if len(rules.Match(&cases[3].Story)) == 0 {
		t.Error("the rules no longer match c after the estimate")
	}
}

// TestTrapsLeftOut: four traps of a union rule. Two credit-union stories
// are kept out by "credit union*", which fires on both: the veto is shared,
// and neither escapes. One football story is kept out by "football" alone,
// which no other trap has: without it the story matches, so it escapes.
// One story the rule matches anyway (a false alarm as scored) and one it
// never matches are not returned.
func TestTrapsLeftOut(t *testing.T) {
	lists := match.Lists{"traps": {"credit union*", "football"}}
	rules, err := match.Compile([]match.Topic{{ID: "unions", Rule: "(union EXCEPT @traps) AND NOT football"}}, lists)
	if err != nil {
		t.Fatal(err)
	}
	const R, N = evaluate.Relevant, evaluate.Not
	cases := []Case{
		kase("r", R, "Union leader arrested", "", false, "unions"),
		kase("c1", N, "Credit union opens branch", "", false),
		kase("c2", N, "Credit union reports growth", "", false),
		kase("f", N, "Football union fines club", "", false),
		kase("fa", N, "Union of youth federations meets", "", false),
		kase("x", N, "Nothing here", "", false),
	}
	got := TrapsLeftOut(rules, cases)
	if len(got) != 1 || cases[got[0].Case].ID != "f" || !slices.Equal(got[0].Own, []string{"football"}) || !slices.Equal(got[0].Topics, []string{"unions"}) {
		t.Fatalf("TrapsLeftOut = %+v, want only f, kept out by football alone", got)
	}
}
