package lab

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// verdict is what both sides make of one story for one topic.
type verdict struct {
	current, candidate bool
	currentHits        []match.Hit
	candidateHits      []match.Hit
}

// matcher judges stories for a fixed list of topics, from an Index's
// occurrences for the counts and from the text for the few stories listed.
// It must be safe for concurrent use: every worker shares it.
type matcher interface {
	// patterns are those of every rule it holds.
	patterns() []string
	// bind numbers the rules' patterns as the vocabulary does, before
	// judgeOccurrences is called.
	bind(v *vocabulary)
	// judgeOccurrences fills out (one verdict per topic, zeroed by the
	// caller), without hits, for a story with these occurrences and feeds.
	judgeOccurrences(occ []match.Occurrence, feeds []string, out []verdict)
	// judge does the same from the story's text, with hits.
	judge(s *store.ScanStory, out []verdict)
	// veto is the candidate's NOT clause that turned away a story, if any.
	veto(s *store.ScanStory, topic int) string
}

// side is one compiled set of rules, its feeds' tags and how its patterns
// are numbered in an Index.
type side struct {
	rules   *match.Rules
	tags    map[string][]string
	pattern []int32 // vocabulary number → rules' pattern number, or -1
}

func (s *side) bind(v *vocabulary) {
	s.pattern = slices.Repeat([]int32{-1}, len(v.patterns))
	for i, p := range s.rules.Patterns() {
		if n, ok := v.number[p]; ok { // always, once the Index is up to date
			s.pattern[n] = int32(i)
		}
	}
}

func (s *side) judge(occ []match.Occurrence, feeds []string, out []bool) {
	s.rules.Judge(occ, s.pattern, rematch.StoryTags(feeds, s.tags), out)
}

func (s *side) story(st *store.ScanStory) match.Story {
	return st.MatchStory(rematch.StoryTags(st.Feeds, s.tags))
}

// pairMatcher is one topic's current and candidate rules compiled together.
type pairMatcher struct {
	side
	hasCurrent bool
}

func (m *pairMatcher) patterns() []string { return m.rules.Patterns() }

func (m *pairMatcher) judgeOccurrences(occ []match.Occurrence, feeds []string, out []verdict) {
	var got [2]bool
	m.side.judge(occ, feeds, got[:])
	if m.hasCurrent {
		out[0].current, out[0].candidate = got[0], got[1]
	} else {
		out[0].candidate = got[0]
	}
}

func (m *pairMatcher) judge(s *store.ScanStory, out []verdict) {
	ms := m.story(s)
	for _, r := range m.rules.Match(&ms) {
		if r.Topic == currentID {
			out[0].current, out[0].currentHits = true, r.Hits
		} else {
			out[0].candidate, out[0].candidateHits = true, r.Hits
		}
	}
}

func (m *pairMatcher) veto(s *store.ScanStory, _ int) string {
	ms := m.story(s)
	return vetoOf(m.rules.Explain(&ms), candidateID)
}

// configMatcher is two whole configs, each matching with its own feeds'
// tags.
type configMatcher struct {
	current, candidate side
	topics             []sideTopic
	index              map[string]int // topic id → index in topics
	// Topic numbers in topics of each side's topics, in its config order.
	currentTopics, candidateTopics []int
}

type sideTopic struct {
	id                     string
	inCurrent, inCandidate bool
}

func newConfigMatcher(current, candidate *config.Config) *configMatcher {
	m := &configMatcher{
		current:   side{rules: current.Rules, tags: rematch.FeedTags(current.Feeds)},
		candidate: side{rules: candidate.Rules, tags: rematch.FeedTags(candidate.Feeds)},
		index:     map[string]int{},
	}
	add := func(id string) int {
		i, ok := m.index[id]
		if !ok {
			i = len(m.topics)
			m.index[id] = i
			m.topics = append(m.topics, sideTopic{id: id})
		}
		return i
	}
	for _, id := range candidate.Rules.TopicIDs() {
		i := add(id)
		m.topics[i].inCandidate = true
		m.candidateTopics = append(m.candidateTopics, i)
	}
	for _, id := range current.Rules.TopicIDs() {
		i := add(id)
		m.topics[i].inCurrent = true
		m.currentTopics = append(m.currentTopics, i)
	}
	return m
}

func (m *configMatcher) patterns() []string {
	return append(m.current.rules.Patterns(), m.candidate.rules.Patterns()...)
}

func (m *configMatcher) bind(v *vocabulary) {
	m.current.bind(v)
	m.candidate.bind(v)
}

func (m *configMatcher) judgeOccurrences(occ []match.Occurrence, feeds []string, out []verdict) {
	got := make([]bool, max(len(m.currentTopics), len(m.candidateTopics)))
	m.current.judge(occ, feeds, got)
	for i, t := range m.currentTopics {
		out[t].current = got[i]
	}
	m.candidate.judge(occ, feeds, got)
	for i, t := range m.candidateTopics {
		out[t].candidate = got[i]
	}
}

func (m *configMatcher) judge(s *store.ScanStory, out []verdict) {
	ms := m.current.story(s)
	for _, r := range m.current.rules.Match(&ms) {
		v := &out[m.index[r.Topic]]
		v.current, v.currentHits = true, r.Hits
	}
	ms = m.candidate.story(s)
	for _, r := range m.candidate.rules.Match(&ms) {
		v := &out[m.index[r.Topic]]
		v.candidate, v.candidateHits = true, r.Hits
	}
}

func (m *configMatcher) veto(s *store.ScanStory, topic int) string {
	ms := m.candidate.story(s)
	return vetoOf(m.candidate.rules.Explain(&ms), m.topics[topic].id)
}

func vetoOf(exps []match.Explanation, topic string) string {
	for _, x := range exps {
		if x.Topic == topic {
			return x.Veto
		}
	}
	return ""
}

// evalChunk is how many stories a worker takes at a time.
const evalChunk = 1024

// run judges every story first seen since then on workers goroutines (0:
// one per core), and returns a tally per topic, its lists filled in from
// the stories' text, and how many stories were judged. A kept Index is
// first brought up to date for the matcher's patterns and others; a one-shot
// one, or one asked for too long a period, judges the stories as they are
// read and keeps nothing.
func (x *Index) run(ctx context.Context, a Archive, since time.Time, m matcher, others []string, topics, workers int) ([]tally, int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Stored times have milliseconds: a story stamped within the
	// millisecond of since is in the period for the archive's query, and
	// must be for the Index too.
	since = since.UTC().Truncate(time.Millisecond)
	results := make([]*worker, workers)
	for i := range results {
		results[i] = newWorker(topics)
	}
	held, err := x.hold(ctx, a, since)
	if held {
		defer x.unlock()
	}
	switch {
	case err != nil:
	case held:
		err = x.judgeHeld(ctx, a, since, m, others, results)
	default:
		err = stream(ctx, a, since, m, results)
	}
	if err != nil {
		return nil, 0, err
	}
	total := results[0]
	for _, w := range results[1:] {
		total.merge(w)
	}
	if err := fillLists(ctx, a, m, total.tallies); err != nil {
		return nil, 0, err
	}
	return total.tallies, total.scanned, nil
}

// maxHeld is the most stories an Index holds, some 200 MB: a longer period
// is answered by reading it, as `rules test` does, and the Index is let go.
// A variable for the tests.
var maxHeld = 250_000

// hold says whether the answer comes from the Index, which it then locks
// for the caller to unlock: not for a one-shot Index, nor for a period
// longer than maxHeld stories.
func (x *Index) hold(ctx context.Context, a Archive, since time.Time) (bool, error) {
	if x.oneShot {
		return false, nil
	}
	x.lock()
	if x.built && !since.Before(x.since) {
		return true, nil // within what the Index holds
	}
	n, err := a.CountStories(ctx, since)
	if err == nil && n <= maxHeld {
		return true, nil
	}
	x.reset()
	x.unlock()
	return false, err
}

// stream judges the stories of the period as they are read.
func stream(ctx context.Context, a Archive, since time.Time, m matcher, results []*worker) error {
	var v vocabulary
	v.add(m.patterns())
	m.bind(&v)
	return inParallel(ctx, len(results), period(a, since), func(w, _ int, batch []store.ScanStory) {
		wk := results[w]
		for i := range batch {
			s := &batch[i]
			wk.occ = scanStory(v.scanner, s, wk.occ[:0], 0, nil)
			wk.judge(m, &indexed{id: s.ID, seen: s.FirstSeenAt, feeds: s.Feeds}, wk.occ)
		}
	})
}

// judgeHeld brings the Index, which the caller holds, up to date and judges
// the stories it holds.
func (x *Index) judgeHeld(ctx context.Context, a Archive, since time.Time, m matcher, others []string, results []*worker) error {
	if err := x.update(ctx, a, since, append(m.patterns(), others...), len(results)); err != nil {
		return err
	}
	m.bind(&x.vocab)
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range results {
		wg.Go(func() {
			for {
				lo := int(next.Add(evalChunk)) - evalChunk
				if lo >= len(x.stories) || ctx.Err() != nil {
					return
				}
				for i := lo; i < min(lo+evalChunk, len(x.stories)); i++ {
					if e := &x.stories[i]; !e.seen.Before(since) {
						w.occ = match.DecodeOccurrences(e.occ, w.occ[:0])
						w.judge(m, e, w.occ)
					}
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// worker tallies the stories one goroutine judged.
type worker struct {
	scanned  int
	tallies  []tally
	verdicts []verdict          // scratch, one per topic
	occ      []match.Occurrence // scratch
}

func newWorker(topics int) *worker {
	return &worker{tallies: make([]tally, topics), verdicts: make([]verdict, topics)}
}

// judge judges a story with the given occurrences.
func (w *worker) judge(m matcher, e *indexed, occ []match.Occurrence) {
	clear(w.verdicts)
	m.judgeOccurrences(occ, e.feeds, w.verdicts)
	for t, v := range w.verdicts {
		w.tallies[t].add(e, v)
	}
	w.scanned++
}

func (w *worker) merge(o *worker) {
	w.scanned += o.scanned
	for i := range w.tallies {
		w.tallies[i].merge(&o.tallies[i])
	}
}

// tally counts one topic's verdicts and keeps the newest stories of each
// list.
type tally struct {
	gained, lost, kept newest
}

func (t *tally) add(e *indexed, v verdict) {
	switch {
	case v.candidate && !v.current:
		t.gained.add(e)
	case v.current && !v.candidate:
		t.lost.add(e)
	case v.current && v.candidate:
		t.kept.add(e)
	}
}

func (t *tally) merge(o *tally) {
	t.gained.merge(&o.gained)
	t.lost.merge(&o.lost)
	t.kept.merge(&o.kept)
}

// fillLists cuts every list to its newest MaxEntries and fills those in
// from the stories' text: title and link, the terms that fired (the
// candidate's for gained and kept stories, the current rule's for lost
// ones) and, for lost stories, the candidate's veto. Only the listed
// stories are read, and matched once each.
func fillLists(ctx context.Context, a Archive, m matcher, tallies []tally) error {
	var ids []int64
	for i := range tallies {
		for _, l := range tallies[i].lists() {
			l.trim()
			for _, e := range l.items {
				ids = append(ids, e.StoryID)
			}
		}
	}
	stories, err := a.ScanStoriesByID(ctx, ids)
	if err != nil {
		return err
	}
	verdicts := make(map[int64][]verdict, len(stories))
	byID := make(map[int64]*store.ScanStory, len(stories))
	for i := range stories {
		s := &stories[i]
		v := make([]verdict, len(tallies))
		m.judge(s, v)
		verdicts[s.ID], byID[s.ID] = v, s
	}
	for t := range tallies {
		for k, l := range tallies[t].lists() {
			for i := range l.items {
				e := &l.items[i]
				s := byID[e.StoryID]
				if s == nil {
					continue // deleted since it was judged
				}
				e.Title, e.URL, e.Feeds = s.Title, s.URL, s.Feeds
				v := verdicts[e.StoryID][t]
				if k == lostList {
					e.Hits, e.Veto = v.currentHits, m.veto(s, t)
				} else {
					e.Hits = v.candidateHits
				}
			}
		}
	}
	return nil
}

const (
	gainedList = iota
	lostList
	keptList
)

// lists returns the tally's lists, indexed by gainedList, lostList and
// keptList.
func (t *tally) lists() [3]*newest { return [3]*newest{&t.gained, &t.lost, &t.kept} }

// diff finishes a tally whose lists fillLists has filled.
func (t *tally) diff() Diff {
	d := Diff{
		NumGained: t.gained.n, NumLost: t.lost.n, NumKept: t.kept.n,
		Gained: t.gained.entries(), Lost: t.lost.entries(), Kept: t.kept.entries(),
	}
	d.Current, d.Candidate = d.NumKept+d.NumLost, d.NumKept+d.NumGained
	return d
}

// newest counts stories and keeps the MaxEntries newest of them. It sorts
// and cuts only when twice as many have piled up, so keeping costs
// O(log MaxEntries) a story however many there are.
type newest struct {
	n     int
	items []Entry
}

func (l *newest) add(e *indexed) {
	l.n++
	l.items = append(l.items, Entry{StoryID: e.id, FirstSeen: e.seen, Feeds: e.feeds})
	if len(l.items) >= 2*MaxEntries {
		l.trim()
	}
}

func (l *newest) merge(o *newest) {
	l.n += o.n
	l.items = append(l.items, o.items...)
	l.trim()
}

// entries is the list, never nil, so that an empty one reads [] in JSON.
func (l *newest) entries() []Entry {
	if l.items == nil {
		return []Entry{}
	}
	return l.items
}

func (l *newest) trim() {
	slices.SortFunc(l.items, func(a, b Entry) int {
		return cmp.Or(b.FirstSeen.Compare(a.FirstSeen), cmp.Compare(b.StoryID, a.StoryID))
	})
	l.items = l.items[:min(len(l.items), MaxEntries)]
}
