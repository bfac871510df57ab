package lab

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
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

// matcher judges stories for a fixed list of topics. It must be safe for
// concurrent use: every worker shares it.
type matcher interface {
	// judge fills out (one verdict per topic, zeroed by the caller).
	judge(s *store.ScanStory, out []verdict)
	// veto is the candidate's NOT clause that turned away a story, if any.
	veto(s *store.ScanStory, topic int) string
}

// pairMatcher is one topic's current and candidate rules compiled together.
type pairMatcher struct {
	rules *match.Rules
	tags  map[string][]string
}

func (m *pairMatcher) story(s *store.ScanStory) match.Story {
	return s.MatchStory(rematch.StoryTags(s.Feeds, m.tags))
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
	current, candidate         *match.Rules
	currentTags, candidateTags map[string][]string
	topics                     []sideTopic
	index                      map[string]int // topic id → index in topics
}

type sideTopic struct {
	id                     string
	inCurrent, inCandidate bool
}

func newConfigMatcher(current, candidate *config.Config) *configMatcher {
	m := &configMatcher{
		current: current.Rules, candidate: candidate.Rules,
		currentTags: rematch.FeedTags(current.Feeds), candidateTags: rematch.FeedTags(candidate.Feeds),
		index: map[string]int{},
	}
	add := func(id string) *sideTopic {
		i, ok := m.index[id]
		if !ok {
			i = len(m.topics)
			m.index[id] = i
			m.topics = append(m.topics, sideTopic{id: id})
		}
		return &m.topics[i]
	}
	for _, t := range candidate.Topics {
		add(t.ID).inCandidate = true
	}
	for _, t := range current.Topics {
		add(t.ID).inCurrent = true
	}
	return m
}

func (m *configMatcher) judge(s *store.ScanStory, out []verdict) {
	ms := s.MatchStory(rematch.StoryTags(s.Feeds, m.currentTags))
	for _, r := range m.current.Match(&ms) {
		v := &out[m.index[r.Topic]]
		v.current, v.currentHits = true, r.Hits
	}
	ms.Tags = rematch.StoryTags(s.Feeds, m.candidateTags)
	for _, r := range m.candidate.Match(&ms) {
		v := &out[m.index[r.Topic]]
		v.candidate, v.candidateHits = true, r.Hits
	}
}

func (m *configMatcher) veto(s *store.ScanStory, topic int) string {
	ms := s.MatchStory(rematch.StoryTags(s.Feeds, m.candidateTags))
	return vetoOf(m.candidate.Explain(&ms), m.topics[topic].id)
}

func vetoOf(exps []match.Explanation, topic string) string {
	for _, x := range exps {
		if x.Topic == topic {
			return x.Veto
		}
	}
	return ""
}

// run scans the stories first seen since then, judging them on workers
// goroutines (0: one per core) while the scan reads ahead, and returns a
// tally per topic and how many stories were scanned.
func run(ctx context.Context, a Archive, since time.Time, m matcher, topics, workers int) ([]tally, int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []store.ScanStory, workers)
	var scanErr error
	go func() {
		defer close(batches)
		scanErr = a.ScanStories(ctx, since, func(b []store.ScanStory) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()

	results := make([]*worker, workers)
	var wg sync.WaitGroup
	for i := range results {
		w := newWorker(topics)
		results[i] = w
		wg.Go(func() {
			for b := range batches {
				w.judge(m, b)
			}
		})
	}
	wg.Wait() // the scan is over: batches is closed, scanErr set
	if scanErr != nil {
		return nil, 0, scanErr
	}
	total := results[0]
	for _, w := range results[1:] {
		total.merge(w)
	}
	return total.tallies, total.scanned, nil
}

// worker tallies the batches one goroutine judged.
type worker struct {
	scanned  int
	tallies  []tally
	verdicts []verdict // scratch, one per topic
}

func newWorker(topics int) *worker {
	return &worker{tallies: make([]tally, topics), verdicts: make([]verdict, topics)}
}

func (w *worker) judge(m matcher, batch []store.ScanStory) {
	for i := range batch {
		s := &batch[i]
		clear(w.verdicts)
		m.judge(s, w.verdicts)
		for t, v := range w.verdicts {
			w.tallies[t].add(s, v)
		}
	}
	w.scanned += len(batch)
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

func (t *tally) add(s *store.ScanStory, v verdict) {
	switch {
	case v.candidate && !v.current:
		t.gained.add(s, v.candidateHits, false)
	case v.current && !v.candidate:
		// The story is kept whole: the veto is worked out for the few
		// that end up listed, once the newest are known.
		t.lost.add(s, v.currentHits, true)
	case v.current && v.candidate:
		t.kept.add(s, v.candidateHits, false)
	}
}

func (t *tally) merge(o *tally) {
	t.gained.merge(&o.gained)
	t.lost.merge(&o.lost)
	t.kept.merge(&o.kept)
}

// diff finishes a tally: the lists are cut to the newest MaxEntries and the
// lost stories get the candidate's veto.
func (t *tally) diff(m matcher, topic int) Diff {
	d := Diff{
		NumGained: t.gained.n, NumLost: t.lost.n, NumKept: t.kept.n,
		Gained: t.gained.entries(), Kept: t.kept.entries(),
	}
	d.Current, d.Candidate = d.NumKept+d.NumLost, d.NumKept+d.NumGained
	t.lost.trim()
	d.Lost = make([]Entry, len(t.lost.items))
	for i := range t.lost.items {
		it := &t.lost.items[i]
		it.entry.Veto = m.veto(&it.story, topic)
		d.Lost[i] = it.entry
	}
	return d
}

// newest counts stories and keeps the MaxEntries newest of them. It sorts
// and cuts only when twice as many have piled up, so keeping costs
// O(log MaxEntries) a story however many there are.
type newest struct {
	n     int
	items []kept
}

type kept struct {
	entry Entry
	story store.ScanStory // a copy, only for lost stories: the veto needs the text
}

func (l *newest) add(s *store.ScanStory, hits []match.Hit, keepStory bool) {
	l.n++
	k := kept{entry: Entry{StoryID: s.ID, Title: s.Title, URL: s.URL, FirstSeen: s.FirstSeenAt, Feeds: s.Feeds, Hits: hits}}
	if keepStory {
		k.story = *s
	}
	l.items = append(l.items, k)
	if len(l.items) >= 2*MaxEntries {
		l.trim()
	}
}

func (l *newest) merge(o *newest) {
	l.n += o.n
	l.items = append(l.items, o.items...)
	l.trim()
}

func (l *newest) trim() {
	slices.SortFunc(l.items, func(a, b kept) int {
		return cmp.Or(b.entry.FirstSeen.Compare(a.entry.FirstSeen), cmp.Compare(b.entry.StoryID, a.entry.StoryID))
	})
	l.items = l.items[:min(len(l.items), MaxEntries)]
}

func (l *newest) entries() []Entry {
	l.trim()
	out := make([]Entry, len(l.items))
	for i, k := range l.items {
		out[i] = k.entry
	}
	return out
}
