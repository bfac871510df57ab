package evaluate

import (
	"math"
	"reflect"
	"testing"
)

func TestScore(t *testing.T) {
	topics := []string{"unions", "ngos"}
	cases := []Case{
		0: {Expect: Relevant, Want: []string{"unions"}, Got: []string{"unions"}},         // TP unions
		1: {Expect: Relevant, Want: []string{"unions", "ngos"}, Got: []string{"unions"}}, // TP unions, FN ngos
		2: {Expect: Relevant, Want: []string{"ngos"}, Got: nil},                          // story FN, FN ngos
		3: {Expect: Relevant, Want: nil, Got: []string{"ngos"}},                          // any topic: story TP only
		4: {Expect: Relevant, Want: nil, Got: nil},                                       // story FN
		5: {Expect: Not, Got: []string{"unions"}},                                        // story FP, FP unions
		6: {Expect: Not, Got: nil},                                                       // TN
		7: {Expect: Borderline, Want: []string{"unions"}, Got: nil},                      // not scored
		8: {Expect: Relevant, Want: []string{"unions"}, Got: []string{"ngos"}},           // wrong topic: FN unions, FP ngos
		9: {Expect: Relevant, Want: []string{"land"}, Got: []string{"unions", "land"}},   // FP unions, TP land (not configured)
	}
	r := Score(topics, cases)
	wantTopics := []TopicScore{
		{Topic: "unions", Configured: true, Counts: Counts{TP: 2, FP: 2, FN: 1}},
		{Topic: "ngos", Configured: true, Counts: Counts{TP: 0, FP: 1, FN: 2}},
		{Topic: "land", Configured: false, Counts: Counts{TP: 1}},
	}
	if !reflect.DeepEqual(r.Topics, wantTopics) {
		t.Errorf("topics:\n got %+v\nwant %+v", r.Topics, wantTopics)
	}
	if want := (Counts{TP: 5, FP: 1, FN: 2}); r.Stories != want {
		t.Errorf("stories %+v, want %+v", r.Stories, want)
	}
	if r.Relevant != 7 || r.Not != 2 || r.Borderline != 1 {
		t.Errorf("labels: %d relevant, %d not, %d borderline; want 7, 2, 1", r.Relevant, r.Not, r.Borderline)
	}
	if r.TopicsListed != 6 || r.TopicsMatched != 3 {
		t.Errorf("topic recall %d/%d, want 3/6", r.TopicsMatched, r.TopicsListed)
	}
	for name, c := range map[string]struct{ got, want []int }{
		"false positives": {r.FalsePositives, []int{5}},
		"false negatives": {r.FalseNegatives, []int{2, 4}},
		"wrong topics":    {r.WrongTopics, []int{1, 8, 9}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", name, c.got, c.want)
		}
	}
}

func TestRates(t *testing.T) {
	cases := []struct {
		name          string
		c             Counts
		p, r, f1      float64
		pOK, rOK, fOK bool
	}{
		{"perfect", Counts{TP: 4}, 1, 1, 1, true, true, true},
		{"mixed", Counts{TP: 3, FP: 1, FN: 2}, 0.75, 0.6, 6.0 / 9, true, true, true},
		{"nothing predicted", Counts{FN: 2}, 0, 0, 0, false, true, true},
		{"nothing to find", Counts{FP: 2}, 0, 0, 0, true, false, true},
		{"empty", Counts{}, 0, 0, 0, false, false, false},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, pOK := c.c.Precision()
			r, rOK := c.c.Recall()
			f, fOK := c.c.F1()
			if !near(p, c.p) || pOK != c.pOK || !near(r, c.r) || rOK != c.rOK || !near(f, c.f1) || fOK != c.fOK {
				t.Errorf("P %v/%v R %v/%v F1 %v/%v; want %v/%v %v/%v %v/%v", p, pOK, r, rOK, f, fOK, c.p, c.pOK, c.r, c.rOK, c.f1, c.fOK)
			}
		})
	}
}

func TestParseExpect(t *testing.T) {
	for _, s := range []string{"relevant", "not", "borderline"} {
		if e, err := ParseExpect(s); err != nil || string(e) != s {
			t.Errorf("ParseExpect(%q) = %q, %v", s, e, err)
		}
	}
	for _, s := range []string{"", "Relevant", "yes"} {
		if _, err := ParseExpect(s); err == nil {
			t.Errorf("ParseExpect(%q) accepted", s)
		}
	}
}
