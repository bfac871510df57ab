package match

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Rules are compiled topics. They are immutable and safe for concurrent use.
type Rules struct {
	topics  []Topic
	roots   []*node
	terms   []term
	byPat   [][]int32 // pattern index → terms that use it
	scanner *Scanner
	version string
	memos   int // how many nodes keep their hits in run.memo
}

// term is one distinct term as written in a rule or list.
type term struct {
	text    string // as written
	pattern int32  // index of its normalised form in the automaton
	prefix  bool   // written with a trailing *: the last word may continue
	substr  bool   // contains Khmer: matches anywhere, not only at word breaks
}

// compiler interns terms and patterns while topics are parsed.
type compiler struct {
	terms    []term
	termIdx  map[string]int
	patterns []string
	patIdx   map[string]int32
}

// Compile parses and compiles every topic. It returns Errors listing every
// problem found, in topic order, lists first.
func Compile(topics []Topic, lists Lists) (*Rules, error) {
	c := &compiler{termIdx: map[string]int{}, patIdx: map[string]int32{}}
	var errs Errors
	for _, name := range sortedNames(lists) {
		if len(lists[name]) == 0 {
			errs = append(errs, &Error{Topic: -1, List: name, Term: -1, Msg: "the list is empty"})
		}
		for i, t := range lists[name] {
			if _, err := c.add(t, t); err != nil {
				errs = append(errs, &Error{Topic: -1, List: name, Term: i, Token: t, Msg: err.Msg})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r := &Rules{topics: slices.Clone(topics)}
	for i, t := range topics {
		root, err := parseRule(t.Rule, lists, c.add)
		if err != nil {
			err.Topic = i
			errs = append(errs, err)
			continue
		}
		r.roots = append(r.roots, root)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, root := range r.roots {
		r.numberMemos(root)
	}
	r.terms, r.scanner = c.terms, NewScanner(c.patterns)
	r.byPat = make([][]int32, len(c.patterns))
	for i, t := range c.terms {
		r.byPat[t.pattern] = append(r.byPat[t.pattern], int32(i))
	}
	r.version = version(topics, lists)
	return r, nil
}

// numberMemos gives each node whose hits are built from others' a slot in
// run.memo: a topic's truth and its hits both ask for them, and a NEAR's
// pairing is the costliest part of matching labour news.
func (r *Rules) numberMemos(n *node) {
	switch n.kind {
	case nOr, nNear, nExcept:
		r.memos++
		n.memo = r.memos
	}
	for _, k := range n.kids {
		r.numberMemos(k)
	}
}

func sortedNames(lists Lists) []string {
	names := make([]string, 0, len(lists))
	for name := range lists {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// TermKey is what a term written as text matches: its normalised words,
// with a trailing * kept. Two terms with the same key match the same text
// ("Trade-Union*" and "trade union*"; ឲ្យ, ឱ្យ and អោយ), so a list needs only
// one of them.
func TermKey(text string) string {
	body, prefix := termParts(text)
	if prefix {
		return Normalize(body) + "*"
	}
	return Normalize(body)
}

// termParts splits a term as written into its words and whether it ends in
// the prefix mark *.
func termParts(text string) (body string, prefix bool) {
	body = strings.TrimSpace(text)
	return strings.TrimSuffix(body, "*"), strings.HasSuffix(body, "*")
}

// add interns a term written as text (a word, word*, or phrase without its
// quotes) and returns its index.
func (c *compiler) add(text, _ string) (int, *Error) {
	if i, ok := c.termIdx[text]; ok {
		return i, nil
	}
	body, prefix := termParts(text)
	if strings.Contains(body, "*") {
		return 0, &Error{Msg: fmt.Sprintf("%q: * is allowed only at the end of a term", text)}
	}
	pat := Normalize(body)
	if pat == "" {
		return 0, &Error{Msg: fmt.Sprintf("%q: a term needs at least one letter or digit", text)}
	}
	p, ok := c.patIdx[pat]
	if !ok {
		p = int32(len(c.patterns))
		c.patterns = append(c.patterns, pat)
		c.patIdx[pat] = p
	}
	t := term{text: text, pattern: p, prefix: prefix}
	for _, r := range pat {
		if isKhmer(r) {
			t.substr = true
			break
		}
	}
	c.terms = append(c.terms, t)
	c.termIdx[text] = len(c.terms) - 1
	return len(c.terms) - 1, nil
}

// matcherRevision names how text is read (norm.go) and matched: raised when
// a change there can change what the same rules match, so that matches
// stored by an older civicwatch carry another version.
const matcherRevision = "5: ំរ and ំល read as ម្រ and ម្ល; Khmer terms match whole syllables; zero-width spaces are not Khmer word breaks; Khmer syllables read in Unicode order"

// version hashes what the rules were compiled from, and the matcher that
// compiled them, so that stored matches can say which rules produced them.
func version(topics []Topic, lists Lists) string {
	h := sha256.New()
	fmt.Fprintf(h, "matcher\x00%s\x00", matcherRevision)
	for _, t := range topics {
		fmt.Fprintf(h, "topic\x00%s\x00%s\x00", t.ID, t.Rule)
	}
	for _, name := range sortedNames(lists) {
		fmt.Fprintf(h, "list\x00%s\x00%s\x00", name, strings.Join(lists[name], "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Version identifies the rules: a hash of the topics and lists they were
// compiled from, stored with every match so stale matches can be found.
func (r *Rules) Version() string { return r.version }

// TopicIDs lists the topics in config order.
func (r *Rules) TopicIDs() []string {
	ids := make([]string, len(r.topics))
	for i, t := range r.topics {
		ids[i] = t.ID
	}
	return ids
}

// Without returns the rules as they would be if the given terms (as written
// in a rule or list) never occurred in any story: a term's list keeps its
// other terms, and a clause that needed the term fails as it would on a
// story without it. It shares everything else with r, so it is cheap enough
// to build once per story, which is what the leave-one-out estimate of
// internal/suggest does. Terms the rules do not use are ignored.
func (r *Rules) Without(terms []string) *Rules {
	drop := make(map[string]bool, len(terms))
	for _, t := range terms {
		drop[t] = true
	}
	out := *r
	out.byPat = make([][]int32, len(r.byPat))
	for p, tis := range r.byPat {
		for _, ti := range tis {
			if !drop[r.terms[ti].text] {
				out.byPat[p] = append(out.byPat[p], ti)
			}
		}
	}
	sorted := slices.Sorted(maps.Keys(drop))
	sum := sha256.Sum256([]byte(r.version + "\x00without\x00" + strings.Join(sorted, "\x00")))
	out.version = hex.EncodeToString(sum[:6])
	return &out
}
