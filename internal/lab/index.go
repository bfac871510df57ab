package lab

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// changeSlack is how far before its last look for changes an Index looks
// again. Writers stamp a story when their transaction starts, so a write
// stamped just before a look may commit after it; ingest transactions take
// seconds, and reading a few minutes' stories twice costs next to nothing.
const changeSlack = 10 * time.Minute

// Index keeps, between answers, where the patterns of every rule tried so
// far occur in the stories of a period, and a sketch of each story's text:
// what a rule needs to be judged, without the text. The first answer reads
// and scans the period; an edit of a rule then costs the evaluation of the
// rules alone, and a word never tried before a read of the few stories
// whose sketches allow it. Before each answer the Index reads the stories
// written or newly carried since its last look (by the daemon's polls, or
// another process's), so it never answers from a stale archive.
//
// An Index answers one request at a time. It holds about 0.5 KB per story
// of its period (52 MB for 100,000 stories with the shipped topics,
// docs/performance.md), given back by Release or after keepFor unused.
type Index struct {
	mu      sync.Mutex
	now     func() time.Time // the clock; the writers' is time.Now too
	keepFor time.Duration
	idle    *time.Timer // lets go of the stories after keepFor without an answer
	// oneShot is an Index for one answer (TestRule, CompareConfigs): it
	// judges stories as they are read and holds none.
	oneShot bool

	built   bool
	since   time.Time // every story first seen since then is held
	looked  time.Time // when the stories were last checked for changes
	vocab   vocabulary
	stories []indexed // in id order
	feeds   map[string]string
}

// vocabulary numbers the patterns an answer or an Index scans for.
type vocabulary struct {
	number   map[string]int32
	patterns []string       // by number
	scanner  *match.Scanner // over patterns
}

// add numbers the patterns not yet in the vocabulary and rebuilds the
// scanner.
func (v *vocabulary) add(patterns []string) {
	if v.number == nil {
		v.number = map[string]int32{}
	}
	for _, p := range patterns {
		if _, ok := v.number[p]; !ok {
			v.number[p] = int32(len(v.patterns))
			v.patterns = append(v.patterns, p)
		}
	}
	v.scanner = match.NewScanner(v.patterns)
}

// indexed is one story as an Index holds it.
type indexed struct {
	id     int64
	seen   time.Time
	feeds  []string
	occ    []byte       // match.AppendOccurrences of its occurrences, Pattern a vocabulary number
	sketch match.Sketch // which new words it cannot contain
}

// NewIndex returns an empty Index: the first answer reads the period. now
// is the clock (nil: time.Now), which must be the one the archive's writers
// stamp stories with. When keepFor is positive the Index lets go of what it
// holds after that long without an answer.
func NewIndex(now func() time.Time, keepFor time.Duration) *Index {
	if now == nil {
		now = time.Now
	}
	return &Index{now: now, keepFor: keepFor}
}

func oneShot() *Index { return &Index{now: time.Now, oneShot: true} }

// lock starts an answer.
func (x *Index) lock() {
	x.mu.Lock()
	if x.idle != nil {
		x.idle.Stop()
	}
}

// unlock ends an answer and arms the idle timer.
func (x *Index) unlock() {
	if x.keepFor > 0 && x.built {
		if x.idle == nil {
			x.idle = time.AfterFunc(x.keepFor, x.Release)
		} else {
			x.idle.Reset(x.keepFor)
		}
	}
	x.mu.Unlock()
}

// Release drops what the Index holds; the next answer builds it again.
func (x *Index) Release() {
	x.mu.Lock()
	x.reset()
	x.mu.Unlock()
	// Tens of megabytes were just freed in a long-running process that
	// otherwise needs little: give them back to the system now rather
	// than as the runtime gets round to it.
	debug.FreeOSMemory()
}

func (x *Index) reset() {
	x.built, x.since, x.looked = false, time.Time{}, time.Time{}
	x.vocab, x.stories, x.feeds = vocabulary{}, nil, nil
}

// Stories returns how many stories the Index holds and the bytes of their
// encoded occurrences: what it weighs, beside a sketch a story.
func (x *Index) Stories() (stories, occBytes int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range x.stories {
		occBytes += len(x.stories[i].occ)
	}
	return len(x.stories), occBytes
}

// update brings the Index to the archive as it is, for stories first seen
// since then and the given patterns. On error the Index is emptied: a half
// extended one would give wrong answers.
func (x *Index) update(ctx context.Context, a Archive, since time.Time, patterns []string, workers int) (err error) {
	defer func() {
		if err != nil {
			x.reset()
		}
	}()
	rebuild := !x.built || since.Before(x.since)
	if !rebuild {
		complete, err := x.forget(ctx, a)
		if err != nil {
			return err
		}
		rebuild = !complete
	}
	if rebuild {
		// The vocabulary of earlier answers is kept: a wider period is
		// usually asked for with the rules already tried.
		return x.build(ctx, a, since, append(slices.Clone(x.vocab.patterns), patterns...), workers)
	}
	if err := x.refresh(ctx, a); err != nil {
		return err
	}
	var missing []string
	for _, p := range patterns {
		if _, ok := x.vocab.number[p]; !ok && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return x.extend(ctx, a, missing, workers)
}

// build reads every story of the period and scans it for the patterns.
func (x *Index) build(ctx context.Context, a Archive, since time.Time, patterns []string, workers int) error {
	x.reset()
	x.feeds = map[string]string{}
	x.vocab.add(patterns)
	looked := x.now()
	var parts [][]indexed
	var mu sync.Mutex
	err := inParallel(ctx, workers, period(a, since), func(_, seq int, batch []store.ScanStory) {
		part := make([]indexed, len(batch))
		// One array for the batch's occurrences, each story's a full
		// slice of it, so that learning a word later reallocates rather
		// than writes over the next story's.
		var occ []match.Occurrence
		var enc []byte
		ends := make([]int, len(batch))
		for i := range batch {
			e := &part[i]
			occ = scanStory(x.vocab.scanner, &batch[i], occ[:0], 0, &e.sketch)
			enc = match.AppendOccurrences(enc, occ)
			e.id, e.seen, e.feeds, ends[i] = batch[i].ID, batch[i].FirstSeenAt, batch[i].Feeds, len(enc)
		}
		enc = slices.Clip(enc)
		start := 0
		for i, end := range ends {
			part[i].occ = enc[start:end:end]
			start = end
		}
		mu.Lock()
		defer mu.Unlock()
		for len(parts) <= seq {
			parts = append(parts, nil)
		}
		parts[seq] = part
	})
	if err != nil {
		return err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	x.stories = make([]indexed, 0, n)
	for _, p := range parts {
		x.stories = append(x.stories, p...)
	}
	for i := range x.stories {
		x.intern(&x.stories[i])
	}
	x.built, x.since, x.looked = true, since, looked
	return nil
}

// intern makes stories share one string per feed id, where the driver gave
// each story its own.
func (x *Index) intern(e *indexed) {
	for i, f := range e.feeds {
		if s, ok := x.feeds[f]; ok {
			e.feeds[i] = s
		} else {
			x.feeds[f] = f
		}
	}
}

// refresh reads again the stories written or newly carried since the last
// look, and scans them for every pattern held.
func (x *Index) refresh(ctx context.Context, a Archive) error {
	looked := x.now()
	ids, err := a.ChangedStoryIDs(ctx, x.since, x.looked.Add(-changeSlack))
	if err != nil || len(ids) == 0 {
		x.looked = looked
		return err
	}
	changed, err := a.ScanStoriesByID(ctx, ids)
	if err != nil {
		return err
	}
	for i := range changed {
		s := &changed[i]
		e := indexed{id: s.ID, seen: s.FirstSeenAt, feeds: s.Feeds}
		e.occ = match.AppendOccurrences(nil, scanStory(x.vocab.scanner, s, nil, 0, &e.sketch))
		x.intern(&e)
		if j, found := slices.BinarySearchFunc(x.stories, s.ID, storyID); found {
			x.stories[j] = e
		} else {
			x.stories = slices.Insert(x.stories, j, e)
		}
	}
	x.looked = looked
	return nil
}

// forget drops the stories deleted since the last look (retention prunes
// unmatched old ones), so that no answer counts or lists a story that is
// gone. It reports false when the archive's log of deletions no longer
// reaches back to the last look: then the Index cannot tell what went and
// must be built again.
func (x *Index) forget(ctx context.Context, a Archive) (complete bool, err error) {
	gone, ok, err := a.DeletedStoryIDs(ctx, x.looked.Add(-changeSlack))
	if err != nil || !ok {
		return ok, err
	}
	if len(gone) == 0 {
		return true, nil
	}
	// Both lists are in id order: one merge pass keeps the rest.
	kept, j := x.stories[:0], 0
	for _, e := range x.stories {
		for j < len(gone) && gone[j] < e.id {
			j++
		}
		if j < len(gone) && gone[j] == e.id {
			continue
		}
		kept = append(kept, e)
	}
	clear(x.stories[len(kept):]) // let the dropped occurrences go
	x.stories = kept
	return true, nil
}

func storyID(e indexed, id int64) int { return cmp.Compare(e.id, id) }

// extend scans the stories held for patterns new to the vocabulary: those
// whose sketch says they may contain one, read by id, or, when that is most
// of them, the whole period in order, which reads faster per story. A story
// written since the refresh is not held yet and is skipped: the next
// refresh reads it with every pattern.
func (x *Index) extend(ctx context.Context, a Archive, patterns []string, workers int) error {
	probes := make([]match.Probe, len(patterns))
	for i, p := range patterns {
		probes[i] = match.NewProbe(p)
	}
	var candidates []int64
	for i := range x.stories {
		e := &x.stories[i]
		if slices.ContainsFunc(probes, func(p match.Probe) bool { return p.MayOccur(&e.sketch) }) {
			candidates = append(candidates, e.id)
		}
	}
	read := period(a, x.since)
	if len(candidates) < len(x.stories)/byIDCost {
		read = byID(a, candidates)
	}
	sc := match.NewScanner(patterns)
	base := int32(len(x.vocab.patterns))
	err := inParallel(ctx, workers, read, func(_, _ int, batch []store.ScanStory) {
		var occ []match.Occurrence
		for i := range batch {
			j, found := slices.BinarySearchFunc(x.stories, batch[i].ID, storyID)
			if !found {
				continue
			}
			// Each story is in one batch, so workers write to different
			// stories, and the slice itself does not move meanwhile.
			occ = scanStory(sc, &batch[i], occ[:0], base, nil)
			if len(occ) > 0 {
				e := &x.stories[j]
				e.occ = match.AppendOccurrences(e.occ, occ)
			}
		}
	})
	if err != nil {
		return err
	}
	x.vocab.add(patterns)
	return nil
}

// byIDCost is how many stories read in id order cost as much as one read by
// id: below one in this many, the candidates are read by id.
const byIDCost = 3

// reader hands the stories it reads to emit, a batch at a time.
type reader func(ctx context.Context, emit func([]store.ScanStory) error) error

// period reads the stories first seen since then, in id order.
func period(a Archive, since time.Time) reader {
	return func(ctx context.Context, emit func([]store.ScanStory) error) error {
		return a.ScanStories(ctx, since, emit)
	}
}

// byID reads the given stories (in id order), store.ScanBatch at a time.
func byID(a Archive, ids []int64) reader {
	return func(ctx context.Context, emit func([]store.ScanStory) error) error {
		for len(ids) > 0 {
			n := min(len(ids), store.ScanBatch)
			batch, err := a.ScanStoriesByID(ctx, ids[:n])
			if err != nil {
				return err
			}
			if err := emit(batch); err != nil {
				return err
			}
			ids = ids[n:]
		}
		return nil
	}
}

// inParallel runs read and hands each batch it reads, with its sequence
// number, to one of workers goroutines (0: one per core), numbered from 0,
// while it reads on.
func inParallel(ctx context.Context, workers int, read reader, fn func(worker, seq int, batch []store.ScanStory)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		seq   int
		batch []store.ScanStory
	}
	jobs := make(chan job, workers)
	var readErr error
	go func() {
		defer close(jobs)
		seq := 0
		readErr = read(ctx, func(b []store.ScanStory) error {
			select {
			case jobs <- job{seq, b}:
				seq++
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := range jobs {
				fn(w, j.seq, j.batch)
			}
		})
	}
	wg.Wait() // the read is over: jobs is closed, readErr set
	if readErr != nil {
		return fmt.Errorf("read the archive: %w", readErr)
	}
	return nil
}

// scan appends the occurrences of the scanner's patterns in s to occ,
// numbered from base in the vocabulary, and sketches s when sk is not nil.
func scanStory(sc *match.Scanner, s *store.ScanStory, occ []match.Occurrence, base int32, sk *match.Sketch) []match.Occurrence {
	ms := s.MatchStory(nil)
	n := len(occ)
	if sk != nil {
		occ = sc.ScanSketch(&ms, occ, sk)
	} else {
		occ = sc.Scan(&ms, occ)
	}
	for i := n; i < len(occ); i++ {
		occ[i].Pattern += base
	}
	return occ
}
