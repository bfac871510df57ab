// Package poll runs one round of polling: it picks the feeds that are due,
// fetches them with bounded concurrency (globally and per host), parses what
// changed and hands the results to the store through a single writer.
package poll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Fetcher is what the poller needs of package fetch.
type Fetcher interface {
	Fetch(ctx context.Context, r fetch.Request) (*fetch.Response, error)
}

// Poller polls feeds into a store.
type Poller struct {
	Store   *store.Store
	Fetcher Fetcher
	Fetch   config.Fetch
	Now     func() time.Time
	Log     *slog.Logger
	// Jitter returns a factor in [0,1) that spreads next-due times so feeds
	// on one host do not stay in lock-step; nil uses math/rand.
	Jitter func() float64
	// Rules match each parsed item to topics, with the tags of its feed;
	// nil stores stories unmatched.
	Rules *match.Rules
	// Check, when set, must pass before the round writes anything. It runs
	// beside the fetches: `poll` checks the whole database file (15.8 s at a
	// million stories), which would otherwise come before every fetch. If
	// it fails the fetches are cancelled, nothing is stored, and Poll
	// returns its error.
	Check func(context.Context) error
}

// Selection says which feeds a round polls.
type Selection struct {
	All bool     // every enabled feed, due or not, except those gone (410)
	IDs []string // only these feeds, due or not, even if gone or disabled
}

// Result is what happened to one feed in a round.
type Result struct {
	FeedID   string
	Outcome  store.Outcome
	Status   int
	Counts   store.Counts
	Err      error
	Duration time.Duration
	NextDue  time.Time
}

// Report is one round's results, in the order of the config.
type Report struct {
	Results  []Result
	Duration time.Duration
}

// Totals sums the counts of a report.
func (r *Report) Totals() (t store.Counts, failed int) {
	for _, res := range r.Results {
		t.Items += res.Counts.Items
		t.New += res.Counts.New
		t.Updated += res.Counts.Updated
		t.Merged += res.Counts.Merged
		t.Matched += res.Counts.Matched
		if res.Err != nil {
			failed++
		}
	}
	return t, failed
}

// ErrUnknownFeed is returned when a selection names a feed the config lacks.
var ErrUnknownFeed = errors.New("no such feed in the config")

// Poll runs one round. It returns an error only when the round could not run
// (unknown feed, unusable database); a feed's failure is in its Result.
func (p *Poller) Poll(ctx context.Context, feeds []config.Feed, sel Selection) (*Report, error) {
	start := p.Now()
	var checked chan error
	if p.Check != nil {
		checked = make(chan error, 1)
		go func() { checked <- p.Check(ctx) }()
	}
	// checkFirst prefers the check's verdict to an error that a damaged
	// file may have caused before the check could say so.
	checkFirst := func(err error) error {
		if checked != nil {
			if cerr := <-checked; cerr != nil {
				return cerr
			}
		}
		return err
	}
	refs := make([]store.FeedRef, len(feeds))
	for i, f := range feeds {
		refs[i] = store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL}
	}
	// The states are read before SyncFeeds writes the config into the
	// database (it must wait for the check), as SyncFeeds will leave them.
	states, err := p.Store.FeedStates(ctx)
	if err != nil {
		return nil, checkFirst(err)
	}
	for _, ref := range refs {
		states[ref.ID] = states[ref.ID].Synced(ref)
	}
	chosen, err := choose(feeds, states, sel, start)
	if err != nil {
		if checked != nil {
			<-checked // the check reads the database: let it end with the round
		}
		return nil, err
	}

	// A fetch keeps its slot until the writer has taken its result: when
	// the single writer falls behind (a first poll, where every item is
	// new), fetching waits for it instead of piling parsed feeds up in
	// memory. The queue holds a full batch of the writer's, so that its
	// transactions stay as large as before; a round then holds at most
	// maxBatch + Concurrency parsed feeds, whatever its number of feeds.
	fetchCtx, cancelFetches := context.WithCancel(ctx)
	defer cancelFetches()
	jobs := make(chan *job, maxBatch)
	var wg sync.WaitGroup
	lim := newLimiter(p.Fetch.Concurrency, p.Fetch.PerHost)
	for _, f := range chosen {
		wg.Go(func() {
			release, err := lim.acquire(fetchCtx, hostOf(f.URL))
			if err != nil {
				return // cancelled before it started: nothing to record
			}
			defer release()
			j := p.fetchOne(fetchCtx, f, states[f.ID])
			if fetchCtx.Err() == nil || j.rec.Outcome != store.OutcomeError {
				jobs <- j
			}
		})
	}
	go func() { wg.Wait(); close(jobs) }()

	err = checkFirst(nil)
	if err == nil {
		err = p.Store.SyncFeeds(ctx, refs, start)
	}
	if err != nil {
		cancelFetches()
		for range jobs { // let every fetch end; none is stored
		}
		return nil, err
	}
	byID := make(map[string]Result, len(chosen))
	p.write(ctx, jobs, byID)
	rep := &Report{Duration: p.Now().Sub(start)}
	for _, f := range chosen {
		if r, ok := byID[f.ID]; ok {
			rep.Results = append(rep.Results, r)
		}
	}
	return rep, ctx.Err()
}

// choose picks the feeds of this round, in config order.
func choose(feeds []config.Feed, states map[string]store.FeedState, sel Selection, now time.Time) ([]config.Feed, error) {
	known := make(map[string]bool, len(feeds))
	for _, f := range feeds {
		known[f.ID] = true
	}
	for _, id := range sel.IDs {
		if !known[id] {
			return nil, fmt.Errorf("feed %q: %w", id, ErrUnknownFeed)
		}
	}
	var out []config.Feed
	for _, f := range feeds {
		st := states[f.ID]
		switch {
		case len(sel.IDs) > 0:
			if !slices.Contains(sel.IDs, f.ID) {
				continue
			}
		case !f.Enabled || st.Gone():
			continue
		case sel.All:
		case st.NextDue.After(now):
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// job carries a fetched feed to the writer.
type job struct {
	rec *store.Fetch
	err error
}

// fetchOne fetches and parses one feed. It never fails: every problem ends
// up in the record, named after the feed.
func (p *Poller) fetchOne(ctx context.Context, f config.Feed, st store.FeedState) *job {
	start := p.Now()
	rec := &store.Fetch{FeedID: f.ID, StartedAt: start}
	j := &job{rec: rec}
	resp, err := p.Fetcher.Fetch(ctx, fetch.Request{URL: f.URL, ETag: st.ETag, LastModified: st.LastModified})
	rec.Duration = p.Now().Sub(start)
	if err == nil && !resp.NotModified {
		rec.Bytes = int64(len(resp.Body))
	}
	switch {
	case err != nil:
		j.fail(err)
	case resp.NotModified:
		rec.Status, rec.Outcome = resp.Status, store.OutcomeNotModified
		rec.ETag, rec.LastModified = resp.ETag, resp.LastModified
	default:
		rec.Status = resp.Status
		p.parse(j, resp, st)
		p.match(rec, f.Tags)
	}
	rec.NextDue = p.nextDue(start, f.Interval.D(), st.Failures, j.err)
	return j
}

func (j *job) fail(err error) {
	j.err = err
	j.rec.Outcome = store.OutcomeError
	j.rec.Error = err.Error()
	var se *fetch.StatusError
	if errors.As(err, &se) {
		j.rec.Status = se.Code
		if se.Code == 410 {
			j.rec.Outcome = store.OutcomeGone
		}
	}
}

// parse turns a body into items, unless it is byte-for-byte the body we
// parsed last time (servers without validators resend identical feeds).
func (p *Poller) parse(j *job, resp *fetch.Response, st store.FeedState) {
	sum := sha256.Sum256(resp.Body)
	hash := hex.EncodeToString(sum[:16])
	if hash == st.BodyHash {
		j.rec.Outcome = store.OutcomeUnchanged
		return
	}
	parsed, err := feed.Parse(resp.Body, resp.ContentType, resp.FinalURL)
	if err != nil {
		j.fail(fmt.Errorf("parse: %w", err))
		return
	}
	// Validators are kept only now, with the items they vouch for: had the
	// parse failed, a 304 next time would hide the items forever.
	j.rec.Outcome = store.OutcomeOK
	j.rec.ETag, j.rec.LastModified, j.rec.BodyHash = resp.ETag, resp.LastModified, hash
	j.rec.Items = parsed.Items
}

// match matches a fetch's items here, in the fetching goroutine, so that
// feeds are matched in parallel and the single writer only stores results.
// Every item is matched, even those the store will find unchanged: only the
// store knows which are new, and matching costs far less than fetching.
func (p *Poller) match(rec *store.Fetch, tags []string) {
	if p.Rules == nil || rec.Outcome != store.OutcomeOK {
		return
	}
	rec.RulesVersion = p.Rules.Version()
	rec.Matches = make([][]match.Result, len(rec.Items))
	for i := range rec.Items {
		s := store.ItemMatchStory(&rec.Items[i], tags)
		rec.Matches[i] = p.Rules.Match(&s)
	}
}

// maxBatch is the most fetches the writer stores in one transaction.
const maxBatch = 64

// write is the single writer: it stores results in batches of whatever has
// arrived, so many small feeds share a commit.
func (p *Poller) write(ctx context.Context, jobs <-chan *job, out map[string]Result) {
	// Results already fetched are stored even when the round is cancelled:
	// a shutdown must not throw away work that is done.
	ctx = context.WithoutCancel(ctx)
	for j := range jobs {
		batch := []*job{j}
	drain:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-jobs:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			default:
				break drain
			}
		}
		p.saveBatch(ctx, batch, out)
	}
}

func (p *Poller) saveBatch(ctx context.Context, batch []*job, out map[string]Result) {
	recs := make([]*store.Fetch, len(batch))
	for i, j := range batch {
		recs[i] = j.rec
	}
	counts, err := p.Store.SaveFetches(ctx, recs)
	if err != nil && len(batch) > 1 {
		// One bad record must not sink the others: store them one by one so
		// the failure lands on the feed that caused it.
		for _, j := range batch {
			p.saveBatch(ctx, []*job{j}, out)
		}
		return
	}
	if err != nil {
		j := batch[0]
		out[j.rec.FeedID] = p.result(j, store.Counts{}, fmt.Errorf("store: %w", err))
		return
	}
	for i, j := range batch {
		out[j.rec.FeedID] = p.result(j, counts[i], j.err)
	}
}

func (p *Poller) result(j *job, c store.Counts, err error) Result {
	r := Result{FeedID: j.rec.FeedID, Outcome: j.rec.Outcome, Status: j.rec.Status, Counts: c,
		Err: err, Duration: j.rec.Duration, NextDue: j.rec.NextDue}
	if err != nil {
		p.Log.Warn("feed failed", "feed", r.FeedID, "status", r.Status, "err", err)
	} else {
		p.Log.Debug("feed polled", "feed", r.FeedID, "outcome", r.Outcome, "new", c.New, "updated", c.Updated, "matched", c.Matched)
	}
	return r
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Hostname())
}

// New builds a Poller with the process's one HTTP client, configured from
// the fetch section: the private-network guard is on unless the config
// allows private networks.
func New(st *store.Store, fc config.Fetch, userAgent string, log *slog.Logger) *Poller {
	guard := fetch.PublicOnly
	if fc.AllowPrivateNetworks {
		guard = nil
	}
	f := fetch.New(fetch.Options{
		Timeout:   fc.Timeout.D(),
		MaxBody:   int64(fc.MaxBody),
		PerHost:   fc.PerHost,
		UserAgent: userAgent,
		Guard:     guard,
	})
	return &Poller{Store: st, Fetcher: f, Fetch: fc, Now: time.Now, Log: log}
}
