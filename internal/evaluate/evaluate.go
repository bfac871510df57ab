// Package evaluate scores topic rules against labelled stories: it counts
// true and false positives and negatives per topic and per story and says
// which stories were got wrong. It knows nothing of rules or files; the
// caller matches the stories and hands over what was expected and found.
package evaluate

import (
	"fmt"
	"slices"
)

// Expect is a story's label.
type Expect string

const (
	Relevant   Expect = "relevant"   // the digest must carry it
	Not        Expect = "not"        // the digest must stay silent
	Borderline Expect = "borderline" // either answer is fine: not scored
)

// ParseExpect checks a label.
func ParseExpect(s string) (Expect, error) {
	switch e := Expect(s); e {
	case Relevant, Not, Borderline:
		return e, nil
	}
	return "", fmt.Errorf("expect %q is none of relevant, not, borderline", s)
}

// Case is one labelled story and what the rules made of it.
type Case struct {
	Expect Expect
	Want   []string // topics a reader would file it under; empty on a relevant story: any topic will do
	Got    []string // topics the rules matched
}

// Counts are the outcomes of one yes/no question over many stories.
type Counts struct {
	TP, FP, FN int
}

// Precision is TP / (TP + FP); ok is false when nothing was predicted.
func (c Counts) Precision() (p float64, ok bool) { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN); ok is false when there was nothing to find.
func (c Counts) Recall() (r float64, ok bool) { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall, written as
// 2TP / (2TP + FP + FN) so that it is 0 rather than undefined when either
// is; ok is false only when there was nothing to find and nothing was found.
func (c Counts) F1() (f float64, ok bool) { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(n, d int) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// TopicScore is one topic's counts.
type TopicScore struct {
	Topic      string
	Configured bool // false for a topic that labels name but the rules lack
	Counts
}

// Report is the score of a set of cases.
type Report struct {
	// Topics has the configured topics in order, then any topic the labels
	// name that the rules do not have (it can only collect false negatives).
	//
	// At topic level a story is a positive for topic T when it is relevant
	// and lists T, and a negative when it is "not" or is relevant but lists
	// other topics: matching T there files it under the wrong topic. A
	// relevant story that lists no topic ("any will do") is left out of the
	// topic scores, since no topic would be wrong for it; it counts at story
	// level only. Borderline stories are not scored at all.
	Topics []TopicScore

	// Stories is the story-level score: positive = relevant, predicted =
	// matched any topic.
	Stories                     Counts
	Relevant, Not, Borderline   int // stories by label
	TopicsListed, TopicsMatched int // topic recall: listed (story, topic) pairs, and how many matched

	// Indexes into the cases, in input order.
	FalsePositives []int // "not" stories that matched a topic
	FalseNegatives []int // relevant stories that matched none
	WrongTopics    []int // relevant stories that matched, but not exactly the topics listed
}

// TopicRecall is the share of listed (story, topic) pairs that matched.
func (r *Report) TopicRecall() (float64, bool) { return ratio(r.TopicsMatched, r.TopicsListed) }

// Score scores the cases; topics are the configured topic ids in order.
func Score(topics []string, cases []Case) *Report {
	r := &Report{}
	idx := make(map[string]int, len(topics))
	for _, t := range topics {
		idx[t] = len(r.Topics)
		r.Topics = append(r.Topics, TopicScore{Topic: t, Configured: true})
	}
	topic := func(t string) *TopicScore {
		i, ok := idx[t]
		if !ok {
			i = len(r.Topics)
			idx[t] = i
			r.Topics = append(r.Topics, TopicScore{Topic: t})
		}
		return &r.Topics[i]
	}
	for i, c := range cases {
		matched := len(c.Got) > 0
		switch c.Expect {
		case Borderline:
			r.Borderline++
			continue
		case Relevant:
			r.Relevant++
			if matched {
				r.Stories.TP++
			} else {
				r.Stories.FN++
				r.FalseNegatives = append(r.FalseNegatives, i)
			}
		case Not:
			r.Not++
			if matched {
				r.Stories.FP++
				r.FalsePositives = append(r.FalsePositives, i)
			}
		}
		var want []string // a "not" story wants no topic, whatever it lists
		if c.Expect == Relevant {
			if len(c.Want) == 0 {
				continue // any topic will do: none is wrong, none is missed
			}
			want = c.Want
		}
		for j, t := range want {
			if slices.Contains(want[:j], t) {
				continue
			}
			ts := topic(t)
			r.TopicsListed++
			if slices.Contains(c.Got, t) {
				ts.TP++
				r.TopicsMatched++
			} else {
				ts.FN++
			}
		}
		wrong := false
		for _, t := range c.Got {
			if !slices.Contains(want, t) {
				topic(t).FP++
				wrong = true
			}
		}
		if c.Expect == Relevant && matched && (wrong || !subset(want, c.Got)) {
			r.WrongTopics = append(r.WrongTopics, i)
		}
	}
	return r
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
