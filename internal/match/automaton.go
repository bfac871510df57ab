package match

// automaton is an Aho-Corasick automaton over bytes, compiled to a dense
// transition table over byte classes (bytes that no pattern uses share one
// class), reporting every occurrence of every pattern, overlaps included:
// a rule needs both "union" and "trade union" in "trade union leader".
type automaton struct {
	class  [256]uint32
	nclass int
	// delta[state+class] is the next state, premultiplied by nclass so the
	// scan needs no multiplication, with hasOutput set when a pattern ends
	// there, so the scan touches nothing else on most bytes.
	delta []uint32
	own   []int32 // by state number: the pattern ending exactly here, or -1
	dict  []int32 // by state number: next state with an output along the failure links, 0 if none
	plen  []int32 // pattern lengths
}

const hasOutput = 1 << 31

func buildAutomaton(patterns []string) *automaton {
	a := &automaton{}
	// Byte classes: every byte used by a pattern gets its own class; class 0
	// is every other byte, which can only lead back towards the root.
	var used [256]bool
	total := 1
	for _, p := range patterns {
		total += len(p)
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	a.nclass = 1
	for b := range 256 {
		if used[b] {
			a.class[b] = uint32(a.nclass)
			a.nclass++
		}
	}
	nc := a.nclass
	// The trie, written straight into the table: 0 means "no child yet"
	// (the root is never anyone's child).
	a.delta = make([]uint32, 0, total*nc)
	a.delta = append(a.delta, make([]uint32, nc)...)
	a.own = append(make([]int32, 0, total), -1)
	for pi, p := range patterns {
		s := 0
		for i := 0; i < len(p); i++ {
			slot := s*nc + int(a.class[p[i]])
			if a.delta[slot] == 0 {
				a.delta[slot] = uint32(len(a.own))
				a.own = append(a.own, -1)
				a.delta = append(a.delta, make([]uint32, nc)...)
			}
			s = int(a.delta[slot])
		}
		a.own[s] = int32(pi)
		a.plen = append(a.plen, int32(len(p)))
	}
	n := len(a.own)
	a.dict = make([]int32, n)
	fail := make([]int32, n)
	isChild := make([]bool, len(a.delta)) // trie edges, before failure transitions fill the gaps
	for i, v := range a.delta {
		isChild[i] = v != 0
	}
	// Breadth-first: a state's missing transitions are its failure state's,
	// which are already complete.
	queue := make([]int32, 0, n)
	var queueOrder []int32 // states in breadth-first order, root excluded
	for c := 1; c < nc; c++ {
		if isChild[c] {
			queue = append(queue, int32(a.delta[c]))
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		queueOrder = append(queueOrder, s)
		f := fail[s]
		if a.own[f] >= 0 {
			a.dict[s] = f
		} else {
			a.dict[s] = a.dict[f]
		}
		row, frow := int(s)*nc, int(f)*nc
		for c := 0; c < nc; c++ {
			if isChild[row+c] {
				child := int32(a.delta[row+c])
				fail[child] = int32(a.delta[frow+c])
				queue = append(queue, child)
			} else {
				a.delta[row+c] = a.delta[frow+c]
			}
		}
	}
	a.renumber(order(queueOrder))
	// Premultiply and flag the states that report something.
	for i, next := range a.delta {
		v := next * uint32(nc)
		if a.own[next] >= 0 || a.dict[next] != 0 {
			v |= hasOutput
		}
		a.delta[i] = v
	}
	return a
}

// scan reports every pattern occurrence in text as (pattern, end offset,
// spaces before end). The space count lets NEAR measure distance in words
// without a second pass.
func (a *automaton) scan(text []byte, found func(pat int32, end int, spaces int32)) {
	var state uint32
	var spaces int32
	nc := uint32(a.nclass)
	for i, b := range text {
		if b == ' ' {
			spaces++
		}
		state = a.delta[state&^hasOutput+a.class[b]]
		if state&hasOutput != 0 {
			s := int32((state &^ hasOutput) / nc)
			if a.own[s] < 0 {
				s = a.dict[s]
			}
			for ; s != 0; s = a.dict[s] {
				found(a.own[s], i+1, spaces)
			}
		}
	}
}

// order turns a breadth-first list of states into a renumbering: the root
// stays 0 and states get consecutive numbers by depth.
func order(bfs []int32) []int32 {
	newID := make([]int32, len(bfs)+1)
	for i, s := range bfs {
		newID[s] = int32(i + 1)
	}
	return newID
}

// renumber applies newID to every table. Shallow states are the ones a scan
// visits all the time; numbering them first packs their rows together,
// which keeps the hot part of the table in cache.
func (a *automaton) renumber(newID []int32) {
	nc := a.nclass
	n := len(a.own)
	delta := make([]uint32, len(a.delta))
	own := make([]int32, n)
	dict := make([]int32, n)
	for old := range n {
		s := newID[old]
		for c := range nc {
			delta[int(s)*nc+c] = uint32(newID[a.delta[old*nc+c]])
		}
		own[s] = a.own[old]
		dict[s] = newID[a.dict[old]]
	}
	a.delta, a.own, a.dict = delta, own, dict
}
