package match

import (
	"slices"
	"strings"
	"testing"
)

// stateLine renders an account's hits as term@field"text"=state[clause],
// one string per hit, for comparison.
func stateLines(s *Story, a Account) []string {
	var out []string
	for _, h := range a.Hits {
		line := h.Term + "@" + string(h.Field) + `"` + s.fieldText(h.Field)[h.Start:h.End] + `"=` + string(h.State)
		if h.Clause != "" {
			line += "[" + h.Clause + "]"
		}
		out = append(out, line)
	}
	return out
}

func TestAccount(t *testing.T) {
	lists := Lists{
		"unions":   {"union", "unions", "សហជីព"},
		"traps":    {"European Union", "credit union*"},
		"cambodia": {"Cambodia", "Phnom Penh"},
	}
	cases := []struct {
		name    string
		rule    string
		story   Story
		matched bool
		hits    []string
		missing string
	}{
		{"counted", `@unions NEAR/3 arrest*`, Story{Title: "Union leader arrested"}, true,
			[]string{`union@title"Union"=counted`, `arrest*@title"arrest"=counted`}, ""},
		{"cut out by EXCEPT: vetoed, never counted", `@unions EXCEPT @traps`, Story{Title: "European Union funds water project"}, false,
			[]string{`European Union@title"European Union"=trap[@unions EXCEPT @traps]`, `union@title"Union"=vetoed[@unions EXCEPT @traps]`},
			"every hit of @unions is cut out by EXCEPT @traps"},
		{"EXCEPT keeps the other hit", `@unions EXCEPT @traps`, Story{Title: "European Union warns as union leader is jailed"}, true,
			[]string{`European Union@title"European Union"=trap[@unions EXCEPT @traps]`, `union@title"Union"=vetoed[@unions EXCEPT @traps]`,
				`union@title"union"=counted`}, ""},
		{"turned away by NOT", `@unions AND NOT "European Union"`, Story{Title: "European Union funds union project"}, false,
			[]string{`European Union@title"European Union"=trap[NOT "European Union"]`, `union@title"Union"=vetoed[NOT "European Union"]`,
				`union@title"union"=vetoed[NOT "European Union"]`},
			`vetoed by NOT "European Union"`},
		{"NEAR partner too far", `union NEAR/3 arrest*`,
			Story{Title: "Union talks went on for many long weeks before police arrested a driver"}, false,
			[]string{`union@title"Union"=unmet[union NEAR/3 arrest*]`, `arrest*@title"arrest"=unmet[union NEAR/3 arrest*]`},
			"union NEAR/3 arrest*: both sides found, but not within 3 words in one field"},
		{"one hit near, another too far", `union NEAR/3 arrest*`,
			Story{Title: "Union leader arrested", Summary: "The union said talks would go on for many more weeks"}, true,
			[]string{`union@title"Union"=counted`, `arrest*@title"arrest"=counted`, `union@summary"union"=unmet[union NEAR/3 arrest*]`}, ""},
		{"NEAR partner absent", `union NEAR/3 arrest*`, Story{Title: "Union talks"}, false,
			[]string{`union@title"Union"=unmet[union NEAR/3 arrest*]`}, "union NEAR/3 arrest*: no hit of arrest*"},
		{"scope not met", `title:union`, Story{Title: "Talks", Summary: "union"}, false,
			[]string{`union@summary"union"=unmet[title:union]`}, "title:union: found, but not in the title"},
		{"required part absent", `@unions AND (@cambodia OR tag:cambodia)`, Story{Title: "Union leader arrested in Dhaka"}, false,
			[]string{`union@title"Union"=unmet[(@cambodia OR tag:cambodia)]`}, "none of (@cambodia OR tag:cambodia)"},
		{"tag absent", `@unions AND tag:cambodia`, Story{Title: "Union leader arrested"}, false,
			[]string{`union@title"Union"=unmet[tag:cambodia]`}, "not from a feed tagged cambodia"},
		{"no term at all", `@unions AND tag:cambodia`, Story{Title: "Rain", Tags: []string{"cambodia"}}, false,
			nil, "no hit of @unions"},
		{"branch of an OR not taken", `union NEAR/2 strike OR title:ministry AND text:wage`,
			Story{Title: "Union strike", Summary: "A wage rise"}, true,
			[]string{`union@title"Union"=counted`, `strike@title"strike"=counted`, `wage@summary"wage"=unmet[title:ministry]`}, ""},
		{"the alternative that came nearest", `(journalist* NEAR/3 jail*) OR (union NEAR/3 arrest*) OR @cambodia`,
			Story{Title: "Union talks went on for many long weeks before police arrested a driver"}, false,
			[]string{`union@title"Union"=unmet[(union NEAR/3 arrest*)]`, `arrest*@title"arrest"=unmet[(union NEAR/3 arrest*)]`},
			"none of 3 alternatives; nearest: (union NEAR/3 arrest*): both sides found, but not within 3 words in one field"},
		{"nearest of nested alternatives, and the place after them", `((journalist* NEAR/3 jail*) OR (title:union AND strike)) AND @cambodia`,
			Story{Title: "Talks", Summary: "The union called a strike"}, false,
			[]string{`union@summary"union"=unmet[title:union]`, `strike@summary"strike"=unmet[title:union]`},
			"none of 2 alternatives; nearest: title:union: found, but not in the title"},
		{"a NOT not fired is no step nearer", `(union NEAR/3 arrest*) OR (unions NEAR/3 arrest* AND NOT "European Union")`,
			Story{Title: "Police arrest 12 drivers"}, false,
			[]string{`arrest*@title"arrest"=unmet[(union NEAR/3 arrest*)]`},
			"none of 2 alternatives; nearest: (union NEAR/3 arrest*): no hit of union"},
		{"long groups named by their lists", `(@unions OR "trade union federation*" OR "workers' association*" EXCEPT @traps) NEAR/3 (arrest* OR detain*)`,
			Story{Title: "Police arrest 12 drivers"}, false,
			[]string{`arrest*@title"arrest"=unmet[(@unions OR "trade union federation*" OR "workers' association*" EXCEPT @traps) NEAR/3 (arrest* OR detain*)]`},
			`(@unions, "trade union federation*", "workers' association*") NEAR/3 (arrest*, detain*): no hit of any of @unions, "trade union federation*", "workers' association*"`},
		{"no term of a long term set", `(@unions NEAR/3 (arrest* OR detain* OR jailed)) OR (@cambodia NEAR/3 (strike* OR walkout*))`,
			Story{Title: "Rain"}, false, nil, "no hit of any of @unions, arrest*, detain*, jailed, @cambodia, strike*, walkout*"},
		{"no part of any long alternative", `(@unions AND (arrest* OR detain* OR jailed)) OR (@cambodia AND (strike* OR walkout*))`,
			Story{Title: "Rain"}, false, nil, "none of 2 alternatives, and no part of one was found"},
		{"NOT that fired without deciding", `@unions AND (@cambodia OR tag:cambodia AND NOT title:Thailand)`,
			Story{Title: "Thailand union talks in Phnom Penh"}, true,
			[]string{`Thailand@title"Thailand"=trap[NOT title:Thailand]`, `union@title"union"=counted`, `Phnom Penh@title"Phnom Penh"=counted`}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compile([]Topic{{ID: "t", Rule: c.rule}}, lists)
			if err != nil {
				t.Fatal(err)
			}
			a := r.Account(&c.story)[0]
			if a.Matched != c.matched {
				t.Errorf("matched = %v, want %v", a.Matched, c.matched)
			}
			if got := stateLines(&c.story, a); !slices.Equal(got, c.hits) {
				t.Errorf("hits\n got %q\nwant %q", got, c.hits)
			}
			if a.Missing != c.missing {
				t.Errorf("missing = %q, want %q", a.Missing, c.missing)
			}
			// What counted is what Match reports.
			var want []Hit
			if m := r.Match(&c.story); len(m) == 1 {
				want = m[0].Hits
			}
			if got := a.Counted(); !slices.Equal(got, want) {
				t.Errorf("counted %v, Match says %v", got, want)
			}
		})
	}
}

// TestAccountCountsWhatMatchReports checks, over the shipped-shape rules of
// the fuzz seeds and stories made of their terms, that Account's counted
// hits are exactly Match's, and that no hit of a trap ever counts.
func TestAccountCountsWhatMatchReports(t *testing.T) {
	r, err := Compile([]Topic{
		{ID: "unions", Rule: `(@unions EXCEPT @traps OR strike* NEAR/4 worker*) AND NOT title:football AND (@cambodia OR tag:cambodia AND NOT title:Thailand)`},
		{ID: "molvt", Rule: `(ministry NEAR/5 (wage OR @unions EXCEPT @traps) OR title:ministry AND text:(wage OR strike*)) AND (@cambodia OR tag:cambodia)`},
	}, Lists{"unions": {"union", "unions", "trade union*", "សហជីព"}, "traps": {"European Union", "credit union*"}, "cambodia": {"Cambodia", "កម្ពុជា"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[HitState]int{}
	nMatched := 0
	words := strings.Fields("union unions European Union credit unions trade unionists strike strikers workers ministry wage football Thailand Cambodia សហជីព កម្ពុជា the a of said in on")
	for i := range 400 {
		pick := func(n int) string {
			var b []string
			for j := range n {
				b = append(b, words[(i*7+j*13+i*j)%len(words)])
			}
			return strings.Join(b, " ")
		}
		s := Story{Title: pick(4 + i%5), Summary: pick(8 + i%11), Content: pick(i % 17)}
		if i%3 == 0 {
			s.Tags = []string{"cambodia"}
		}
		matched := map[string][]Hit{}
		for _, m := range r.Match(&s) {
			matched[m.Topic] = m.Hits
		}
		for _, a := range r.Account(&s) {
			if got, want := a.Counted(), matched[a.Topic]; !slices.Equal(got, want) {
				t.Fatalf("story %+v topic %s: counted %v, Match %v", s, a.Topic, got, want)
			}
			if _, ok := matched[a.Topic]; ok != a.Matched || a.Matched == (a.Missing != "") {
				t.Fatalf("story %+v topic %s: matched %v, missing %q", s, a.Topic, a.Matched, a.Missing)
			}
			if a.Matched {
				nMatched++
			}
			for _, h := range a.Hits {
				seen[h.State]++
				if (h.Term == "European Union" || h.Term == "credit union*") && h.State == Counted {
					t.Fatalf("story %+v: trap %v counted", s, h)
				}
			}
		}
	}
	// Not a vacuous pass: every part was played.
	if nMatched < 20 || seen[Counted] == 0 || seen[Vetoed] == 0 || seen[Trap] == 0 || seen[Unmet] == 0 {
		t.Errorf("%d matches, states seen %v: the stories do not exercise the rules", nMatched, seen)
	}
}
