// Package suggest proposes terms for a topic's rule from labelled stories:
// words to add, from the relevant stories the topic misses, and NOT terms,
// from the stories it wrongly catches. A candidate is first ranked by how
// often it occurs in the stories it should fix against the stories it
// would break; the best are then added to the rule and the new rule is run
// by the same matcher over every labelled story (and, given one, over the
// archive), so each suggestion comes with the stories it would gain or lose
// and its true effect on precision and recall.
package suggest

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
)

// Case is one labelled story, as `civicwatch eval` reads it.
type Case struct {
	ID     string // how the story is named in a suggestion
	Story  match.Story
	Expect evaluate.Expect
	Topics []string // for a relevant story, the topics it belongs to; none: any
}

// Options tune Suggest.
type Options struct {
	Topic string // only this topic; "" for every one
	Max   int    // suggestions of each kind per topic; 0 for 5
	// Archive, when set, counts the archive's stories each rule matches,
	// so a suggestion can say how many more stories it would bring in.
	Archive Archive
}

// Archive returns how many stored stories each of the topics matches, and
// how many stories it looked at.
type Archive func(topics []match.Topic, lists match.Lists) (counts []int, total int, err error)

// Suggestion is one term and what adding it would do.
type Suggestion struct {
	Term string // as written in a rule
	Not  bool   // a NOT term, from the false positives
	Rule string // the topic's rule with the term added
	// Gained and Lost are the labelled stories the new rule would match
	// that the current one does not, and the reverse, by Case.ID: each
	// split into the topic's positives (relevant for it) and negatives.
	GainedRelevant, GainedNot []string
	LostRelevant, LostNot     []string
	Before, After             evaluate.Counts // the topic's counts on the labelled stories
	// ArchiveBefore and ArchiveAfter are how many archive stories the
	// current and the new rule match; -1 without an archive.
	ArchiveBefore, ArchiveAfter int
}

// Topic is one topic's suggestions.
type Topic struct {
	Topic          string
	Positives      int // labelled stories relevant for the topic
	Negatives      int // labelled stories that must not match it
	Before         evaluate.Counts
	Missed, Caught []string // ids of its false negatives and false positives
	Add, Not       []Suggestion
	ArchiveTotal   int // archive stories looked at; -1 without an archive
}

// shortlist is how many candidates of each kind are tried with the
// matcher: the count-based ranking is only a first cut.
const shortlist = 40

// Suggest proposes terms for each topic (or opt.Topic) of the rules.
func Suggest(topics []match.Topic, lists match.Lists, cases []Case, opt Options) ([]Topic, error) {
	if opt.Max <= 0 {
		opt.Max = 5
	}
	rules, err := match.Compile(topics, lists)
	if err != nil {
		return nil, fmt.Errorf("suggest: %w", err)
	}
	got := make([]map[string]bool, len(cases))
	terms := make([]map[string]uint8, len(cases))
	for i := range cases {
		got[i] = map[string]bool{}
		for _, r := range rules.Match(&cases[i].Story) {
			got[i][r.Topic] = true
		}
		terms[i] = candidates(&cases[i].Story)
	}
	var out []Topic
	for _, t := range topics {
		if opt.Topic != "" && t.ID != opt.Topic {
			continue
		}
		ts, err := suggestTopic(t, rules, lists, cases, got, terms, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if opt.Topic != "" && len(out) == 0 {
		return nil, fmt.Errorf("suggest: no topic %q in the rules", opt.Topic)
	}
	return out, nil
}

// role is a labelled story's part for one topic.
type role int8

const (
	unscored role = iota // borderline, or relevant to any topic
	positive
	negative
)

// roleFor follows internal/evaluate: a positive is relevant and lists the
// topic; a negative is "not", or relevant and lists other topics only.
func roleFor(c *Case, topic string) role {
	switch {
	case c.Expect == evaluate.Not:
		return negative
	case c.Expect != evaluate.Relevant || len(c.Topics) == 0:
		return unscored
	case slices.Contains(c.Topics, topic):
		return positive
	}
	return negative
}

func suggestTopic(t match.Topic, rules *match.Rules, lists match.Lists, cases []Case, got []map[string]bool, terms []map[string]uint8, opt Options) (Topic, error) {
	ts := Topic{Topic: t.ID, ArchiveTotal: -1}
	roles := make([]role, len(cases))
	matched := make([]bool, len(cases))
	var missed, caught, pos, neg []int
	for i := range cases {
		roles[i], matched[i] = roleFor(&cases[i], t.ID), got[i][t.ID]
		switch {
		case roles[i] == positive:
			pos = append(pos, i)
			if !matched[i] {
				missed = append(missed, i)
				ts.Missed = append(ts.Missed, cases[i].ID)
			}
		case roles[i] == negative:
			neg = append(neg, i)
			if matched[i] {
				caught = append(caught, i)
				ts.Caught = append(ts.Caught, cases[i].ID)
			}
		}
	}
	ts.Positives, ts.Negatives = len(pos), len(neg)
	ts.Before = counts(roles, matched)

	tries, err := trials(t, rules, lists, cases, terms, missed, caught, pos, neg)
	if err != nil {
		return ts, err
	}
	if len(tries) == 0 {
		return ts, nil
	}
	if err := judge(t, lists, cases, roles, matched, tries); err != nil {
		return ts, err
	}
	if opt.Archive != nil {
		if err := archive(t, lists, tries, opt.Archive, &ts); err != nil {
			return ts, err
		}
	}
	var add, not []trial
	for _, tr := range tries {
		if tr.not && len(tr.s.LostNot) > 0 {
			not = append(not, tr)
		}
		if !tr.not && len(tr.s.GainedRelevant) > 0 {
			add = append(add, tr)
		}
	}
	ts.Add = best(add, opt.Max)
	ts.Not = best(not, opt.Max)
	return ts, nil
}

// trials are the candidates worth running through the matcher. Words to
// add come from the missed stories and must be rare in the negatives; NOT
// terms come from the wrongly caught and must be rare in the positives,
// which a NOT would drop.
func trials(t match.Topic, rules *match.Rules, lists match.Lists, cases []Case, terms []map[string]uint8,
	missed, caught, pos, neg []int) ([]trial, error) {
	var tries []trial
	none := func(string) bool { return false }
	for _, c := range shortlisted(missed, neg, terms, none) {
		rule, err := match.Widen(t.Rule, lists, c)
		if err != nil {
			return nil, fmt.Errorf("suggest %s: %w", t.ID, err)
		}
		tries = append(tries, trial{term: c, rule: rule, parts: parts(c, terms)})
	}
	// A NOT of the very words the rule matched on says only "not this
	// topic": the terms that counted in the wrongly caught stories are
	// left out.
	reasons := countedTerms(rules, t.ID, cases, caught)
	isReason := func(c string) bool {
		return slices.ContainsFunc(reasons, func(r string) bool { return within(c, r) || within(r, c) })
	}
	for _, c := range shortlisted(caught, pos, terms, isReason) {
		tries = append(tries, trial{term: c, not: true, rule: match.Narrow(t.Rule, c), parts: parts(c, terms)})
	}
	return tries, nil
}

// trial is a candidate on its way to a Suggestion.
type trial struct {
	term, rule string
	not        bool
	parts      uint8 // the fewest words of a story it is made of; 0 for a piece of a word
	s          Suggestion
}

// parts is the fewest words, as the stories wrote them, a term is made of:
// 1 for a word, 0 for a piece of one.
func parts(term string, terms []map[string]uint8) uint8 {
	var best uint8
	for _, m := range terms {
		if p := m[term]; p > 0 && (best == 0 || p < best) {
			best = p
		}
	}
	return best
}

// rank orders parts: fewer words first, pieces of words last.
func rank(parts uint8) int {
	if parts == 0 {
		return 256
	}
	return int(parts)
}

// countedTerms is the normalised text of the hits that made the topic
// match the given stories.
func countedTerms(rules *match.Rules, topic string, cases []Case, idx []int) []string {
	var out []string
	for _, i := range idx {
		st := &cases[i].Story
		for _, r := range rules.Match(st) {
			if r.Topic != topic {
				continue
			}
			for _, h := range r.Hits {
				text := map[match.Field]string{match.FieldTitle: st.Title, match.FieldSummary: st.Summary, match.FieldContent: st.Content}[h.Field]
				if h.End <= len(text) {
					if n := match.Normalize(text[h.Start:h.End]); n != "" && !slices.Contains(out, n) {
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}

func counts(roles []role, matched []bool) evaluate.Counts {
	var c evaluate.Counts
	for i, r := range roles {
		switch {
		case r == positive && matched[i]:
			c.TP++
		case r == positive:
			c.FN++
		case r == negative && matched[i]:
			c.FP++
		}
	}
	return c
}

// shortlisted ranks the terms of the stories to fix (from) by how many of
// them have the term, less twice how many stories to keep (against) have
// it, and returns the best few; terms for which skip says so are left out.
// A term inside another found in as many stories of each kind is left out
// too: the longer says the same, and is more likely the word as written.
func shortlisted(from, against []int, terms []map[string]uint8, skip func(string) bool) []string {
	if len(from) == 0 {
		return nil
	}
	inFrom, inAgainst := map[string]int{}, map[string]int{}
	// Which stories have a term, as a key: near-copies of one story share
	// hundreds of runs of words, which say the same thing.
	where := map[string][]byte{}
	for k, i := range from {
		for c := range terms[i] {
			inFrom[c]++
			where[c] = binary.AppendUvarint(where[c], uint64(k))
		}
	}
	for k, i := range against {
		for c := range terms[i] {
			if inFrom[c] > 0 {
				inAgainst[c]++
				where[c] = binary.AppendUvarint(where[c], uint64(len(from)+k))
			}
		}
	}
	// With several stories to fix, a term of only one of them is noise.
	support := 1
	if len(from) >= 3 {
		support = 2
	}
	word := map[string]int{}
	var list []string
	for c, n := range inFrom {
		if n >= support && inAgainst[c] < n && !skip(c) {
			list = append(list, c)
			word[c] = rank(parts(c, terms))
		}
	}
	score := func(c string) int { return inFrom[c] - 2*inAgainst[c] }
	slices.SortFunc(list, func(a, b string) int {
		return cmp.Or(cmp.Compare(score(b), score(a)), cmp.Compare(inAgainst[a], inAgainst[b]),
			cmp.Compare(word[a], word[b]), cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	var out []string
	seen := map[string]int{}
	for i, c := range list {
		if len(out) == shortlist {
			break
		}
		inside := slices.ContainsFunc(list[:i], func(l string) bool {
			return inFrom[l] == inFrom[c] && inAgainst[l] == inAgainst[c] && within(c, l)
		})
		if key := string(where[c]); !inside && seen[key] < perStories {
			seen[key]++
			out = append(out, c)
		}
	}
	return out
}

// perStories is how many terms found in exactly the same stories are tried.
const perStories = 3

// judge runs every trial's rule over the labelled stories, all compiled
// together so that each story is scanned once.
func judge(t match.Topic, lists match.Lists, cases []Case, roles []role, matched []bool, tries []trial) error {
	topics := make([]match.Topic, len(tries))
	for i, tr := range tries {
		topics[i] = match.Topic{ID: fmt.Sprint(i), Rule: tr.rule}
	}
	rules, err := match.Compile(topics, lists)
	if err != nil {
		return fmt.Errorf("suggest %s: %w", t.ID, err)
	}
	after := make([][]bool, len(tries))
	for i := range after {
		after[i] = make([]bool, len(cases))
	}
	for j := range cases {
		for _, r := range rules.Match(&cases[j].Story) {
			i, err := strconv.Atoi(r.Topic)
			if err != nil {
				return fmt.Errorf("suggest %s: trial %q: %w", t.ID, r.Topic, err)
			}
			after[i][j] = true
		}
	}
	for i := range tries {
		tr := &tries[i]
		tr.s = Suggestion{Term: tr.term, Not: tr.not, Rule: tr.rule, Before: counts(roles, matched),
			After: counts(roles, after[i]), ArchiveBefore: -1, ArchiveAfter: -1}
		for j, c := range cases {
			now := after[i][j]
			switch {
			case now == matched[j] || roles[j] == unscored:
			case now && roles[j] == positive:
				tr.s.GainedRelevant = append(tr.s.GainedRelevant, c.ID)
			case now:
				tr.s.GainedNot = append(tr.s.GainedNot, c.ID)
			case roles[j] == positive:
				tr.s.LostRelevant = append(tr.s.LostRelevant, c.ID)
			default:
				tr.s.LostNot = append(tr.s.LostNot, c.ID)
			}
		}
	}
	return nil
}

// archive counts the archive stories the current rule and each trial's
// match.
func archive(t match.Topic, lists match.Lists, tries []trial, count Archive, ts *Topic) error {
	topics := []match.Topic{{ID: "current", Rule: t.Rule}}
	for i, tr := range tries {
		topics = append(topics, match.Topic{ID: fmt.Sprint(i), Rule: tr.rule})
	}
	n, total, err := count(topics, lists)
	if err != nil {
		return fmt.Errorf("suggest %s: archive: %w", t.ID, err)
	}
	ts.ArchiveTotal = total
	for i := range tries {
		tries[i].s.ArchiveBefore, tries[i].s.ArchiveAfter = n[0], n[i+1]
	}
	return nil
}

// best orders suggestions by the F1 the topic would have, then by how few
// archive stories they change (a word that brings in thousands would flood
// the digest), then by how many labelled stories they fix, words before
// phrases before pieces of Khmer runs, longer before shorter (of equal
// effect, the longer is the more specific); it drops a term inside or
// around a better one with the same effect, and keeps max.
func best(tries []trial, max int) []Suggestion {
	f1 := func(c evaluate.Counts) float64 { f, _ := c.F1(); return f }
	churn := func(x Suggestion) int { return abs(x.ArchiveAfter - x.ArchiveBefore) }
	slices.SortStableFunc(tries, func(a, b trial) int {
		return cmp.Or(cmp.Compare(f1(b.s.After), f1(a.s.After)), cmp.Compare(churn(a.s), churn(b.s)),
			cmp.Compare(len(b.s.GainedRelevant)+len(b.s.LostNot), len(a.s.GainedRelevant)+len(a.s.LostNot)),
			cmp.Compare(rank(a.parts), rank(b.parts)), cmp.Compare(len(b.term), len(a.term)))
	})
	var out []Suggestion
	for _, tr := range tries {
		if len(out) == max {
			break
		}
		same := slices.ContainsFunc(out, func(o Suggestion) bool {
			return (within(tr.term, o.Term) || within(o.Term, tr.term)) && sameEffect(o, tr.s)
		})
		if !same {
			out = append(out, tr.s)
		}
	}
	return out
}

func sameEffect(a, b Suggestion) bool {
	return slices.Equal(a.GainedRelevant, b.GainedRelevant) && slices.Equal(a.GainedNot, b.GainedNot) &&
		slices.Equal(a.LostRelevant, b.LostRelevant) && slices.Equal(a.LostNot, b.LostNot)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
