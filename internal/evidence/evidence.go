// Package evidence keeps the article pages of flagged stories as evidence:
// a queue in the database, worked through the same guarded fetcher as the
// polls, each page written as WARC records with the SHA-256 of its body, so
// a campaigner citing a report months later can show the page as it was.
package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Fetcher is the part of *fetch.Fetcher a capture needs.
type Fetcher interface {
	Capture(ctx context.Context, url string) (*fetch.Exchange, error)
}

// Options tune a Runner; zero values take the defaults below.
type Options struct {
	Capture     string // config.CaptureMatched (default), CaptureAll or CaptureOff
	DailyBudget int    // article fetches per UTC day; default config.DefaultDailyBudget
	Batch       int    // stories tried per Run; default 100
	MaxAttempts int    // failed attempts before a story is given up; default 3
	RetryAfter  time.Duration
	Extractor   Extractor       // default Readability
	Rechecks    []time.Duration // ages of the first capture at which the page is checked again
	// RecheckAll re-checks every captured page in this Run, whatever its
	// schedule, instead of only those due; the schedule stays as it was.
	RecheckAll bool
	// SavePageNow, when set, is handed the final URL of every capture
	// (evidence.save_page_now); SubmitBatch bounds the submissions per Run
	// (default 6, a minute's worth at the default rate).
	SavePageNow Submitter
	SubmitBatch int
	// Rules, when set, match a story again with each new article text (a
	// capture, an edit), so a story whose feed carried too little to match
	// can match on its article. FeedTags maps feed ids to their tags, for
	// tag: terms (rematch.FeedTags).
	Rules    *match.Rules
	FeedTags map[string][]string
	Now      func() time.Time
	Log      *slog.Logger
}

// Runner works the capture queue.
type Runner struct {
	st      *store.Store
	fetcher Fetcher
	archive Archive
	o       Options
}

// NewRunner returns a Runner over a store, a fetcher and an archive.
func NewRunner(st *store.Store, f Fetcher, a Archive, o Options) *Runner {
	if o.Capture == "" {
		o.Capture = config.CaptureMatched
	}
	if o.DailyBudget <= 0 {
		o.DailyBudget = config.DefaultDailyBudget
	}
	if o.SubmitBatch <= 0 {
		o.SubmitBatch = 6
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.RetryAfter <= 0 {
		// An hour lets a briefly failing site recover without the queue
		// hammering it; three attempts span an afternoon.
		o.RetryAfter = time.Hour
	}
	if o.Extractor == nil {
		o.Extractor = Readability{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Runner{st: st, fetcher: f, archive: a, o: o}
}

// Report says what one Run did.
type Report struct {
	Queued      int // stories newly queued
	Captured    int
	Failed      int            // attempts that failed (some will be retried)
	Errors      []string       // "story N: why", one per failed attempt
	OutOfBudget bool           // the day's fetch budget ran out before the queue did
	Checked     int            // re-checks made
	CheckFailed int            // re-checks that got no answer (network failure, 5xx, 429)
	Changed     map[string]int // stories by state a re-check moved them to (edited, removed, unreachable, unchanged)
	States      map[string]int // stories by state after their re-check, moved or not
	// Save Page Now: captures submitted, the failed attempts ("story N:
	// URL: why"), and whether the API asked to slow down.
	Submitted    int
	SubmitErrors []string
	RateLimited  bool
	// Jobs followed up: archived in the Wayback Machine, or failed there.
	Archived, JobsFailed int
}

// Run queues the stories that qualify and captures those due. A failing page
// is recorded against its story and the run goes on; only a database or
// archive failure stops it, since then nothing could be recorded anyway.
func (r *Runner) Run(ctx context.Context) (Report, error) {
	var rep Report
	if r.o.Capture == config.CaptureOff {
		return rep, nil
	}
	if err := r.matchStale(ctx); err != nil {
		return rep, err
	}
	now := r.o.Now()
	n, err := r.st.EnqueueEvidence(ctx, r.o.Capture == config.CaptureMatched, now)
	if err != nil {
		return rep, err
	}
	rep.Queued = n
	tasks, err := r.st.DueEvidence(ctx, now, r.o.Batch)
	if err != nil {
		return rep, err
	}
	for _, t := range tasks {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		ok, err := r.st.SpendEvidenceFetch(ctx, r.o.Now(), r.o.DailyBudget)
		if err != nil {
			return rep, err
		}
		if !ok {
			rep.OutOfBudget = true
			break
		}
		if err := r.captureOne(ctx, t, &rep); err != nil {
			return rep, err
		}
	}
	if !rep.OutOfBudget {
		if err := r.recheck(ctx, &rep); err != nil {
			return rep, err
		}
	}
	// Submissions spend no article fetch: they run whatever the budget.
	if err := r.submit(ctx, &rep); err != nil {
		return rep, err
	}
	return rep, r.followJobs(ctx, &rep)
}

// captureOne fetches and archives one story's page. Its error is for
// failures of the database or the archive; a failing page is recorded.
func (r *Runner) captureOne(ctx context.Context, t store.EvidenceTask, rep *Report) error {
	ex, err := r.fetcher.Capture(ctx, t.URL)
	if err != nil && ctx.Err() != nil {
		// Stopped (shutdown), not failed: the attempt is not counted.
		return ctx.Err()
	}
	if err == nil && (ex.Status < 200 || ex.Status > 299) {
		err = fmt.Errorf("HTTP %d %s", ex.Status, http.StatusText(ex.Status))
	}
	if err != nil {
		rep.Failed++
		msg := fmt.Sprintf("capture %s: %v", t.URL, err)
		rep.Errors = append(rep.Errors, fmt.Sprintf("story %d: %s", t.StoryID, msg))
		r.o.Log.Warn("evidence capture failed", "story", t.StoryID, "url", t.URL, "attempt", t.Attempts+1, "err", err)
		now := r.o.Now()
		retry := now.Add(r.o.RetryAfter * time.Duration(t.Attempts+1))
		if t.Attempts+1 >= r.o.MaxAttempts {
			retry = time.Time{}
		}
		return r.st.CaptureFailed(ctx, t.StoryID, msg, now, retry)
	}
	a, err := r.readArticle(ctx, t.StoryID, ex)
	if err != nil {
		return err
	}
	c, err := r.keep(t.StoryID, ex, a)
	if err != nil {
		return err
	}
	var next time.Time
	if len(r.o.Rechecks) > 0 {
		// Scheduled on the runner's clock, like every other queue time.
		next = r.o.Now().Add(r.o.Rechecks[0])
	}
	if err := r.st.SaveCapture(ctx, c, next); err != nil {
		return err
	}
	rep.Captured++
	r.o.Log.Info("evidence captured", "story", t.StoryID, "url", ex.FinalURL, "status", ex.Status, "sha256", c.BodySHA256)
	return nil
}

// keep writes an exchange to the archive and describes it as a capture,
// with the extracted text. The page is evidence whether or not its text can
// be found: a failed extraction is recorded beside the capture, never
// instead of it.
func (r *Runner) keep(storyID int64, ex *fetch.Exchange, a extracted) (*store.Capture, error) {
	loc, err := r.archive.Append(ex)
	if err != nil {
		return nil, fmt.Errorf("story %d: %w", storyID, err)
	}
	sum := sha256.Sum256(ex.Body)
	c := &store.Capture{
		StoryID:      storyID,
		CapturedAt:   ex.At,
		URL:          ex.URL,
		FinalURL:     ex.FinalURL,
		Status:       ex.Status,
		BodySHA256:   hex.EncodeToString(sum[:]),
		BodyBytes:    int64(len(ex.Body)),
		WARCFile:     loc.File,
		WARCOffset:   loc.Offset,
		WARCRecordID: loc.RecordID,
	}
	if a.err != nil {
		c.ExtractError = a.err.Error()
		return c, nil
	}
	ts := sha256.Sum256([]byte(a.text))
	c.Text, c.TextSHA256 = a.text, hex.EncodeToString(ts[:])
	c.Rematch = r.rematch(a.story, a.text)
	return c, nil
}

// rematch matches a story with a new article text; nil without rules.
func (r *Runner) rematch(st *store.Story, text string) *store.Rematch {
	if r.o.Rules == nil {
		return nil
	}
	matched := *st
	matched.Article = text
	ms := matched.MatchStory(rematch.StoryTags(st.Feeds, r.o.FeedTags))
	return &store.Rematch{Version: r.o.Rules.Version(), Results: r.o.Rules.Match(&ms), At: r.o.Now(), Stamp: r.o.Now}
}

// matchStale matches the stories whose article no rules have seen yet: a
// capture made without rules, or a story whose feed text changed since
// (the poller matches items without their article, and leaves those to
// this).
func (r *Runner) matchStale(ctx context.Context) error {
	if r.o.Rules == nil {
		return nil
	}
	for {
		stories, err := r.st.StaleArticles(ctx, r.o.Batch)
		if err != nil || len(stories) == 0 {
			return err
		}
		batch := make([]store.StoryMatches, len(stories))
		for i := range stories {
			ms := stories[i].MatchStory(rematch.StoryTags(stories[i].Feeds, r.o.FeedTags))
			batch[i] = store.StoryMatches{StoryID: stories[i].ID, Results: r.o.Rules.Match(&ms)}
		}
		if _, err := r.st.ReplaceMatches(ctx, r.o.Rules.Version(), batch, r.o.Now()); err != nil {
			return err
		}
	}
}

// NewFetcher builds a fetcher for captures from the fetch section, exactly
// as poll.New does for feeds: same limits, same User-Agent, and the
// private-network guard on unless the config allows private networks. The
// daemon should hand the poller's own fetcher instead, to keep one client.
func NewFetcher(fc config.Fetch, userAgent string) *fetch.Fetcher {
	guard := fetch.PublicOnly
	if fc.AllowPrivateNetworks {
		guard = nil
	}
	return fetch.New(fetch.Options{
		Timeout:   fc.Timeout.D(),
		MaxBody:   int64(fc.MaxBody),
		PerHost:   fc.PerHost,
		UserAgent: userAgent,
		Guard:     guard,
	})
}

// Dir is where the evidence of a database is kept: the configured
// directory, or "evidence" beside the database file.
func Dir(ec config.Evidence, dbPath string) string {
	if ec.Dir != "" {
		return ec.Dir
	}
	return filepath.Join(filepath.Dir(dbPath), "evidence")
}
