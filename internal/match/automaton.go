package match

// automaton is an Aho-Corasick automaton over bytes, compiled to a dense
// transition table over byte classes (bytes that no pattern uses share one
// class), reporting every occurrence of every pattern, overlaps included:
// a rule needs both "union" and "trade union" in "trade union leader".
type automaton struct {
	class  [256]uint8
	nclass int
	delta  []int32 // delta[state*nclass+class] = next state
	own    []int32 // pattern ending exactly at this state, or -1
	first  []int32 // first state on this state's output chain (itself or a dict link), 0 if none
	dict   []int32 // next state with an output along the failure links, 0 if none
	plen   []int32 // pattern lengths
}

func buildAutomaton(patterns []string) *automaton {
	a := &automaton{}
	// Byte classes: every byte used by a pattern gets its own class; class 0
	// is every other byte, which can only lead back towards the root.
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	a.nclass = 1
	for b := range 256 {
		if used[b] {
			a.class[b] = uint8(a.nclass)
			a.nclass++
		}
	}
	// The trie, as a sparse child map first.
	type trieNode struct{ next map[uint8]int32 }
	trie := []trieNode{{}}
	a.own = []int32{-1}
	for pi, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := a.class[p[i]]
			if trie[s].next == nil {
				trie[s].next = map[uint8]int32{}
			}
			nxt, ok := trie[s].next[c]
			if !ok {
				nxt = int32(len(trie))
				trie = append(trie, trieNode{})
				a.own = append(a.own, -1)
				trie[s].next[c] = nxt
			}
			s = nxt
		}
		a.own[s] = int32(pi)
		a.plen = append(a.plen, int32(len(p)))
	}
	n := len(trie)
	a.delta = make([]int32, n*a.nclass)
	a.dict = make([]int32, n)
	a.first = make([]int32, n)
	fail := make([]int32, n)
	// Breadth-first: a state's transitions are its children, else its
	// failure state's transitions, which are already complete.
	queue := make([]int32, 0, n)
	for c := 1; c < a.nclass; c++ {
		if nxt, ok := trie[0].next[uint8(c)]; ok {
			a.delta[c] = nxt
			queue = append(queue, nxt)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if a.own[f] >= 0 {
			a.dict[s] = f
		} else {
			a.dict[s] = a.dict[f]
		}
		row, frow := int(s)*a.nclass, int(f)*a.nclass
		for c := 0; c < a.nclass; c++ {
			if nxt, ok := trie[s].next[uint8(c)]; ok && c != 0 {
				a.delta[row+c] = nxt
				fail[nxt] = a.delta[frow+c]
				queue = append(queue, nxt)
			} else {
				a.delta[row+c] = a.delta[frow+c]
			}
		}
	}
	for s := range n {
		if a.own[s] >= 0 {
			a.first[s] = int32(s)
		} else {
			a.first[s] = a.dict[s]
		}
	}
	return a
}

// scan reports every pattern occurrence in text as (pattern, end offset,
// spaces before end). The space count lets NEAR measure distance in words
// without a second pass.
func (a *automaton) scan(text []byte, found func(pat int32, end int, spaces int32)) {
	var state int32
	var spaces int32
	nc := int32(a.nclass)
	for i, b := range text {
		if b == ' ' {
			spaces++
		}
		state = a.delta[state*nc+int32(a.class[b])]
		for s := a.first[state]; s != 0; s = a.dict[s] {
			found(a.own[s], i+1, spaces)
		}
	}
}
