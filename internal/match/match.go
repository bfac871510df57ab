// Package match decides which topics a story belongs to. Topics are rules in
// a small query language (see docs/rules.md) over named term lists. Rules
// compile once into one multi-pattern automaton over normalised text;
// matching a story is one pass over each of its fields followed by boolean
// evaluation. The package is pure: no I/O, no clock, no global state, and the
// same rules and story always give the same result.
package match

import (
	"cmp"
	"slices"
)

// Topic is a topic as configured.
type Topic struct {
	ID   string
	Name string
	Rule string
}

// Lists maps a list name (used in rules as @name) to its terms, each written
// like a rule term: a word, a word with a trailing * or a quoted phrase.
type Lists map[string][]string

// Story is what rules look at: the text fields of a story and the tags of the
// feed it came from.
type Story struct {
	Title   string
	Summary string
	Content string
	// Article is the article's main text as extracted from the captured
	// page (internal/evidence): what a feed that carries only a summary
	// leaves out. Empty until the page is captured.
	Article string
	Tags    []string
}

// Field names a field of a Story.
type Field string

const (
	FieldTitle   Field = "title"
	FieldSummary Field = "summary"
	FieldContent Field = "content"
	FieldArticle Field = "article"
)

// Hit is one occurrence of a term in a story.
type Hit struct {
	Term  string `json:"term"`  // the term as written in the rule or list, e.g. "strike*", "Phnom Penh"
	Field Field  `json:"field"` // where it was found
	Start int    `json:"start"` // byte offsets into the original (not normalised) field text
	End   int    `json:"end"`
}

// Result is a matched topic and the hits that made it match.
type Result struct {
	Topic string `json:"topic"`
	Hits  []Hit  `json:"hits"`
}

// Explanation says why a topic did or did not match a story.
type Explanation struct {
	Topic   string `json:"topic"`
	Matched bool   `json:"matched"`
	Hits    []Hit  `json:"hits"`           // every term of the topic's rule that fired, NOT clauses included, given: conditions left out
	Veto    string `json:"veto,omitempty"` // the NOT clause (as written) that vetoed an otherwise matching story
}

// MatchedTopics lists the topics of exps that matched, in their order.
func MatchedTopics(exps []Explanation) []string {
	var ids []string
	for _, x := range exps {
		if x.Matched {
			ids = append(ids, x.Topic)
		}
	}
	return ids
}

// Terms lists the distinct terms of hits, those found in the title first,
// then the summary, then the content, then the article, each field in text
// order: the order in which a reader meets them, and the one every listing
// of "why it matched" uses.
func Terms(hits []Hit) []string {
	sorted := slices.Clone(hits)
	slices.SortStableFunc(sorted, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(fieldIndex(a.Field), fieldIndex(b.Field)), cmp.Compare(a.Start, b.Start))
	})
	out := []string{}
	for _, h := range sorted {
		if !slices.Contains(out, h.Term) {
			out = append(out, h.Term)
		}
	}
	return out
}

// fieldIndex is a field's place in a Story, the order in which a reader
// meets them.
func fieldIndex(f Field) int {
	switch f {
	case FieldTitle:
		return 0
	case FieldSummary:
		return 1
	case FieldContent:
		return 2
	}
	return 3
}
