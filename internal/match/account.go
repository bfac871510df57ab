package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// HitState says what a hit did for its topic. Explain lists every hit of
// a rule's terms; an operator reading "why it matches" must see which of
// them were reasons and which were not, and why not.
type HitState string

const (
	// Counted: the hit is one of those that made the topic match.
	Counted HitState = "counted"
	// Vetoed: the hit was cut out by an EXCEPT (it is part of a trap, as
	// "union" in "European Union"), or the clause it belongs to was turned
	// away by a NOT clause that fired. Its Clause names the EXCEPT or NOT.
	Vetoed HitState = "vetoed"
	// Trap: the hit is of a NOT clause, or of the exclusion side of an
	// EXCEPT, that fired: the thing that vetoed, not a reason to match.
	Trap HitState = "trap"
	// Unmet: the term fired but its clause did not hold: a NEAR partner
	// too far or absent, a title: term found outside the title, an AND
	// whose other part is missing. Its Clause names what was not met.
	Unmet HitState = "unmet"
	// Context: the hit met a given: condition (a place, a script) that
	// the topic needed, but says nothing of what happened: no reason,
	// not marked, not in the digest. Its Clause names the condition.
	Context HitState = "context"
)

// rank orders states for a hit that plays several parts in one rule (the
// same "union" occurrence in two clauses): the part that counted wins.
func (s HitState) rank() int {
	switch s {
	case Counted:
		return 0
	case Context:
		return 1
	case Vetoed:
		return 2
	case Trap:
		return 3
	}
	return 4
}

// StatedHit is a hit with what it did for its topic.
type StatedHit struct {
	Hit
	State HitState `json:"state"`
	// Clause is the clause as written in the rule that vetoed the hit,
	// that it is the trap of, or that it did not satisfy; "" for a
	// counted hit.
	Clause string `json:"clause,omitempty"`
}

// Account is a topic's full verdict on a story: whether it matched, every
// hit of its terms with what became of it, and for a topic that did not
// match, why not in one line.
type Account struct {
	Topic   string      `json:"topic"`
	Matched bool        `json:"matched"`
	Hits    []StatedHit `json:"hits"`           // by field and position
	Veto    string      `json:"veto,omitempty"` // the NOT clause that turned away an otherwise matching story
	// Missing is, for a topic that did not match, what it lacked: the
	// veto that fired, or the required part that was absent.
	Missing string `json:"missing,omitempty"`
}

// Counted returns the hits that made the topic match, as Match reports
// them.
func (a *Account) Counted() []Hit {
	var out []Hit
	for _, h := range a.Hits {
		if h.State == Counted {
			out = append(out, h.Hit)
		}
	}
	return out
}

// Account explains every topic, in config order: what Explain says, with
// each hit's part in the verdict and, for a topic not matched, what it
// lacked. It costs a few times what Match does and is meant for showing
// one story, not for matching many.
func (r *Rules) Account(s *Story) []Account {
	x := r.start(s)
	defer x.finish()
	out := make([]Account, len(r.roots))
	for i, root := range r.roots {
		a := Account{Topic: r.topics[i].ID, Matched: x.truth(root)}
		var acc []stated
		why := stated{state: Unmet, clause: root.src}
		if !a.Matched {
			a.Veto = x.veto(root)
			if a.Veto != "" {
				a.Missing = "vetoed by " + clause(a.Veto)
			} else {
				a.Missing = x.missing(root)
			}
		}
		x.account(root, a.Matched, why, &acc)
		a.Hits = x.reportStated(acc)
		out[i] = a
	}
	return out
}

// stated is a raw hit with its state while a rule is walked.
type stated struct {
	h      rawHit
	state  HitState
	clause string
}

// account walks a rule as a condition. ok says whether every enclosing
// clause held, so that the hits this node yields count; when not, why is
// the state and clause its hits are given instead.
func (x *run) account(n *node, ok bool, why stated, out *[]stated) {
	switch n.kind {
	case nTag:
		return
	case nGiven:
		// Its hits let the topic match but are no reason; when the topic
		// did not match they are what its own walk says they are.
		if ok && x.truth(n.kids[0]) {
			for _, h := range x.collect(n.kids[0], false, nil) {
				*out = append(*out, stated{h: h, state: Context, clause: n.src})
			}
			return
		}
		x.account(n.kids[0], false, why, out)
		return
	case nNot:
		x.trap(n, out)
		return
	case nAnd:
		t := x.truth(n)
		kidWhy := why
		if !t {
			kidWhy = x.andFailure(n)
		}
		for _, k := range n.kids {
			x.account(k, ok && t, kidWhy, out)
		}
		return
	case nOr:
		if !n.isTermSet() {
			for _, k := range n.kids {
				x.account(k, ok && x.truth(k), why, out)
			}
			return
		}
	}
	// A term set as a condition: its hits count, and the hits of its
	// terms that NEAR, EXCEPT or a scope left out are said to be so.
	x.cut(n, out)
	for _, h := range x.hits(n) {
		if ok {
			*out = append(*out, stated{h: h, state: Counted})
		} else {
			*out = append(*out, stated{h: h, state: why.state, clause: why.clause})
		}
	}
}

// andFailure is the part a false AND gives its hits: vetoed by its NOT
// when only NOT clauses failed, else unmet for want of its first missing
// part.
func (x *run) andFailure(n *node) stated {
	var not *node
	for _, k := range n.kids {
		if x.truth(k) {
			continue
		}
		if k.kind != nNot {
			return stated{state: Unmet, clause: k.src}
		}
		if not == nil {
			not = k
		}
	}
	if not != nil {
		return stated{state: Vetoed, clause: not.src}
	}
	return stated{state: Unmet, clause: n.src}
}

// trap gives the hits under a NOT clause: those that make its operand true
// are the trap that fired; the others did not satisfy their own clause.
func (x *run) trap(n *node, out *[]stated) {
	inner := n.kids[0]
	var fired []rawHit
	if inner.isTermSet() {
		x.cut(inner, out)
		fired = x.hits(inner)
	} else {
		fired = x.collect(inner, false, nil)
		for _, h := range x.collect(inner, true, nil) {
			if !slices.Contains(fired, h) {
				*out = append(*out, stated{h: h, state: Unmet, clause: n.src})
			}
		}
	}
	for _, h := range fired {
		*out = append(*out, stated{h: h, state: Trap, clause: n.src})
	}
}

// cut gives the hits of a term set's terms that the term set does not
// yield: cut out by EXCEPT (vetoed, and the exclusion's hits as traps),
// without a NEAR partner, or outside a term's scope.
func (x *run) cut(n *node, out *[]stated) {
	switch n.kind {
	case nTerm:
		if n.scope == anyField {
			return
		}
		for _, h := range x.byTerm[n.term] {
			if !inScope(h.field, n.scope) {
				*out = append(*out, stated{h: h, state: Unmet, clause: n.src})
			}
		}
	case nOr:
		for _, k := range n.kids {
			x.cut(k, out)
		}
	case nExcept:
		x.cut(n.kids[0], out)
		x.cut(n.kids[1], out)
		keep := x.hits(n.kids[0])
		if len(keep) == 0 {
			return
		}
		drop := x.hits(n.kids[1])
		for _, h := range keep {
			if slices.ContainsFunc(drop, func(d rawHit) bool { return overlaps(h, d) }) {
				*out = append(*out, stated{h: h, state: Vetoed, clause: n.src})
			}
		}
		for _, d := range drop {
			*out = append(*out, stated{h: d, state: Trap, clause: n.src})
		}
	case nNear:
		x.cut(n.kids[0], out)
		x.cut(n.kids[1], out)
		kept := x.hits(n)
		for _, side := range n.kids {
			for _, h := range x.hits(side) {
				if !slices.Contains(kept, h) {
					*out = append(*out, stated{h: h, state: Unmet, clause: n.src})
				}
			}
		}
	}
}

// missing says in one line what a false node lacks, following the first
// part that failed.
func (x *run) missing(n *node) string {
	switch n.kind {
	case nTag:
		return "not from a feed tagged " + n.tag
	case nGiven:
		return x.missing(n.kids[0])
	case nNot:
		return "vetoed by " + clause(n.src)
	case nAnd:
		for _, k := range n.kids {
			if !x.truth(k) && k.kind != nNot {
				return x.missing(k)
			}
		}
		for _, k := range n.kids {
			if !x.truth(k) {
				return x.missing(k)
			}
		}
	case nTerm:
		if len(x.byTerm[n.term]) > 0 {
			return fmt.Sprintf("%s: found, but not in the %s", clause(n.src), scopeName(n.scope))
		}
		return "no hit of " + clause(n.src)
	case nOr:
		if len(n.kids) == 1 {
			return x.missing(n.kids[0])
		}
		if n.isTermSet() && len(x.collect(n, true, nil)) == 0 {
			return noHit(n)
		}
		// A rule is mostly alternatives, and "none of" the whole group
		// (cut at 120 characters) tells an operator nothing: the
		// alternative that came nearest to holding says what the story
		// lacked.
		best, bestP := -1, 0.0
		for i, k := range n.kids {
			if p := x.progress(k); p > bestP {
				best, bestP = i, p
			}
		}
		if best < 0 {
			if c := clause(n.src); len([]rune(c)) <= maxQuoted {
				return "none of " + c
			}
			return fmt.Sprintf("none of %d alternatives, and no part of one was found", len(n.kids))
		}
		return fmt.Sprintf("none of %d alternatives; nearest: %s", len(n.kids), x.nearest(n.kids[best]))
	case nExcept:
		if len(x.hits(n.kids[0])) == 0 {
			return x.missing(n.kids[0])
		}
		return fmt.Sprintf("every hit of %s is cut out by EXCEPT %s", clause(n.kids[0].src), clause(n.kids[1].src))
	case nNear:
		// The NEAR is named with the side it lacks, and a side of many
		// kinds of actor with no hit is named whole: the alternative
		// nearest to holding within it ("no hit of CENTRAL") would not say
		// that no actor at all was found.
		for _, k := range n.kids {
			if len(x.hits(k)) > 0 {
				continue
			}
			why := x.missing(k) // a term found outside its scope, a NEAR inside
			if k.kind != nTerm && k.kind != nNear && len(x.collect(k, true, nil)) == 0 {
				why = noHit(k)
			}
			return shortClause(n) + ": " + why
		}
		words := "words"
		if n.near == 1 {
			words = "word"
		}
		return fmt.Sprintf("%s: both sides found, but not within %d %s in one field", shortClause(n), n.near, words)
	}
	return "no match for " + clause(n.src)
}

// nearest is missing for the alternative an OR came nearest to: an OR
// inside it says its own nearest part only, not "none of" twice.
func (x *run) nearest(n *node) string {
	m := x.missing(n)
	if _, after, ok := strings.Cut(m, "; nearest: "); ok {
		return after
	}
	return m
}

// progress says how near a false condition came to holding, from 0 (none
// of its terms fired) to 1 (it holds): a NEAR with both sides found is
// nearer than one with a side absent, an AND with most parts met nearer
// than one with few. It only ranks alternatives for missing.
func (x *run) progress(n *node) float64 {
	if x.truth(n) {
		return 1
	}
	switch n.kind {
	case nTerm:
		if len(x.byTerm[n.term]) > 0 {
			return 0.5 // found, but outside its scope
		}
		return 0
	case nGiven:
		return x.progress(n.kids[0])
	case nAnd:
		// A NOT that has not fired is no step toward a match: counting
		// it would rank "union NEAR act AND NOT @eu" above "union NEAR
		// act" for the same hits.
		sum, parts := 0.0, 0
		for _, k := range n.kids {
			if k.kind != nNot {
				sum += x.progress(k)
				parts++
			}
		}
		if parts == 0 {
			return 0
		}
		return sum / float64(parts)
	case nOr:
		best := 0.0
		for _, k := range n.kids {
			best = max(best, x.progress(k))
		}
		return best
	case nExcept:
		return x.progress(n.kids[0]) / 2
	case nNear:
		if len(x.hits(n.kids[0])) > 0 && len(x.hits(n.kids[1])) > 0 {
			return 0.9
		}
		return 0.8 * (x.progress(n.kids[0]) + x.progress(n.kids[1])) / 2
	}
	return 0 // a tag not carried, a NOT that fired
}

// wantedNames says what a term set looks for by the names the rule gives
// it, its lists and bare terms ("@civil_society, @ngos, @press"), the
// excluded side of an EXCEPT left out, at most limit of them: a
// 300-character group cut at 120 says less.
func wantedNames(n *node, limit int) string {
	var names []string
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		switch n.kind {
		case nTerm:
			if name := cmp.Or(n.list, n.src); !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
			return
		case nExcept:
			walk(n.kids[0])
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	if len(names) > limit {
		return strings.Join(names[:limit], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}

// shortClause is a clause as written when it is short, else what it looks
// for by name: "(@press, @voices) NEAR/15 (@repression)".
func shortClause(n *node) string {
	if c := clause(n.src); len([]rune(c)) <= maxQuoted {
		return c
	}
	if n.kind == nNear {
		return fmt.Sprintf("(%s) NEAR/%d (%s)", wantedNames(n.kids[0], 4), n.near, wantedNames(n.kids[1], 4))
	}
	return "(" + wantedNames(n, 6) + ")"
}

// noHit says that none of a term set's terms fired: by the clause as
// written when it is short, else by the names of what it looks for.
func noHit(n *node) string {
	if c := clause(n.src); len([]rune(c)) <= maxQuoted {
		return "no hit of " + c
	}
	names := wantedNames(n, maxWanted)
	if !strings.Contains(names, ", ") {
		return "no hit of " + names
	}
	return "no hit of any of " + names
}

const (
	// maxQuoted is the longest clause a one-line reason quotes as
	// written; a longer one is named by its lists.
	maxQuoted = 60
	// maxWanted bounds the names a "no hit" line gives.
	maxWanted = 8
)

func scopeName(s scope) string {
	switch s {
	case titleOnly:
		return "title"
	case articleOnly:
		return "article"
	}
	return "text"
}

// maxClause bounds a clause quoted in a one-line reason: the shipped rules'
// groups run to several lines.
const maxClause = 120

// clause is a rule's text on one line, shortened to maxClause characters.
func clause(src string) string {
	s := strings.Join(strings.Fields(src), " ")
	if r := []rune(s); len(r) > maxClause {
		s = string(r[:maxClause-1]) + "…"
	}
	return s
}

// reportStated turns stated raw hits into StatedHits with offsets in the
// original text, one per occurrence and term, keeping the part that
// counted most; sorted by field and position.
func (x *run) reportStated(acc []stated) []StatedHit {
	out := make([]StatedHit, 0, len(acc))
	for _, a := range acc {
		f := &x.fields[a.h.field]
		start, end := f.norm.span(f.orig, int(a.h.start), int(a.h.end))
		out = append(out, StatedHit{Hit: Hit{Term: x.r.terms[a.h.term].text, Field: fieldNames[a.h.field], Start: start, End: end},
			State: a.state, Clause: clause(a.clause)})
	}
	slices.SortStableFunc(out, func(a, b StatedHit) int {
		return cmp.Or(cmp.Compare(fieldIndex(a.Field), fieldIndex(b.Field)), cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End), strings.Compare(a.Term, b.Term), cmp.Compare(a.State.rank(), b.State.rank()))
	})
	return slices.CompactFunc(out, func(a, b StatedHit) bool { return a.Hit == b.Hit })
}
