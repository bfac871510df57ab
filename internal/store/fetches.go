package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

// Outcome is how one fetch of a feed ended.
type Outcome string

const (
	OutcomeOK          Outcome = "ok"           // parsed and stored
	OutcomeNotModified Outcome = "not_modified" // 304 to a conditional GET
	OutcomeUnchanged   Outcome = "unchanged"    // same body hash as last time: not parsed again
	OutcomeError       Outcome = "error"
	OutcomeGone        Outcome = "gone" // 410: the feed is dead until its URL changes
)

// Fetch is the result of one attempt at one feed, ready to be stored.
type Fetch struct {
	FeedID    string
	StartedAt time.Time
	Duration  time.Duration
	Status    int   // HTTP status, 0 when no response came
	Bytes     int64 // body size after decompression
	Outcome   Outcome
	Error     string
	NextDue   time.Time

	// Set when Outcome is OK; validators of a not_modified answer may refresh them.
	ETag, LastModified, BodyHash string
	Items                        []feed.Item
}

// Counts says what storing a fetch's items did.
type Counts struct {
	Items   int // items in the feed
	New     int // stories stored for the first time
	Updated int // stories whose title or text changed
	Merged  int // items already stored from another feed, now sighted here too
}

// SaveFetches stores a batch of fetch results in one transaction: their
// items, the feeds' new state and a fetches row each. One transaction per
// batch keeps a crash from leaving half a feed behind (validators are saved
// with the stories they vouch for, or not at all) and amortises the commit.
func (s *Store) SaveFetches(ctx context.Context, fetches []*Fetch) ([]Counts, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("save fetches: %w", err)
	}
	defer tx.Rollback()
	counts := make([]Counts, len(fetches))
	st := s.ingest.in(ctx, tx)
	for i, f := range fetches {
		if counts[i], err = st.saveFetch(f); err != nil {
			return nil, fmt.Errorf("save fetch of %s: %w", f.FeedID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("save fetches: %w", err)
	}
	return counts, nil
}

// ingestStmts are the statements of the ingest path, prepared once on the
// writer connection: a poll runs them for every item of every feed.
type ingestStmts struct {
	findSighting, findURL, insertStory, updateStory, insertSighting *sql.Stmt
	feedOK, feedFailed, insertFetch                                 *sql.Stmt
}

func prepareIngest(ctx context.Context, db *sql.DB) (*ingestStmts, error) {
	var st ingestStmts
	var errs []error
	prep := func(q string) *sql.Stmt {
		s, err := db.PrepareContext(ctx, q)
		errs = append(errs, err)
		return s
	}
	st.findSighting = prep(`SELECT s.story_id, st.hash FROM sightings s JOIN stories st ON st.id = s.story_id
        WHERE s.feed_id = ? AND s.item_key = ?`)
	st.findURL = prep(`SELECT id FROM stories WHERE url = ?`)
	st.insertStory = prep(`INSERT INTO stories (url, title, summary, text, author, lang, hash, published_at, first_seen_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	st.updateStory = prep(`UPDATE stories SET title = ?, summary = ?, text = ?, author = ?, hash = ?, updated_at = ? WHERE id = ?`)
	st.insertSighting = prep(`INSERT INTO sightings (feed_id, item_key, story_id, first_seen_at) VALUES (?, ?, ?, ?)`)
	st.feedOK = prep(`UPDATE feeds SET
        etag = iif(?1 = '', etag, ?1), last_modified = iif(?2 = '', last_modified, ?2), body_hash = iif(?3 = '', body_hash, ?3),
        last_attempt_at = ?4, last_success_at = ?4, consecutive_failures = 0, next_due_at = ?5, gone_at = NULL
        WHERE id = ?6`)
	st.feedFailed = prep(`UPDATE feeds SET
        last_attempt_at = ?1, last_error = ?2, last_error_at = ?1, consecutive_failures = consecutive_failures + 1,
        next_due_at = ?3, gone_at = iif(?4, COALESCE(gone_at, ?1), gone_at)
        WHERE id = ?5`)
	st.insertFetch = prep(`INSERT INTO fetches (feed_id, started_at, duration_ms, status, bytes, outcome, items,
        new_items, updated_items, merged_items, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err := errors.Join(errs...); err != nil {
		st.close()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	return &st, nil
}

func (st *ingestStmts) close() {
	for _, s := range []*sql.Stmt{st.findSighting, st.findURL, st.insertStory, st.updateStory,
		st.insertSighting, st.feedOK, st.feedFailed, st.insertFetch} {
		if s != nil {
			s.Close()
		}
	}
}

// txIngest binds the prepared statements to one transaction.
type txIngest struct {
	ctx context.Context
	tx  *sql.Tx
	st  *ingestStmts
}

func (st *ingestStmts) in(ctx context.Context, tx *sql.Tx) *txIngest {
	return &txIngest{ctx: ctx, tx: tx, st: st}
}

func (t *txIngest) exec(s *sql.Stmt, args ...any) error {
	_, err := t.tx.StmtContext(t.ctx, s).ExecContext(t.ctx, args...)
	return err
}

func (t *txIngest) saveFetch(f *Fetch) (Counts, error) {
	c := Counts{Items: len(f.Items)}
	for i := range f.Items {
		if err := t.saveItem(f.FeedID, &f.Items[i], f.StartedAt, &c); err != nil {
			return c, err
		}
	}
	var err error
	switch f.Outcome {
	case OutcomeOK, OutcomeNotModified, OutcomeUnchanged:
		err = t.exec(t.st.feedOK, f.ETag, f.LastModified, f.BodyHash, fmtTime(f.StartedAt), fmtTime(f.NextDue), f.FeedID)
	default:
		err = t.exec(t.st.feedFailed, fmtTime(f.StartedAt), f.Error, fmtTime(f.NextDue), f.Outcome == OutcomeGone, f.FeedID)
	}
	if err != nil {
		return c, fmt.Errorf("update feed: %w", err)
	}
	err = t.exec(t.st.insertFetch, f.FeedID, fmtTime(f.StartedAt), f.Duration.Milliseconds(), f.Status, f.Bytes,
		string(f.Outcome), c.Items, c.New, c.Updated, c.Merged, f.Error)
	if err != nil {
		return c, fmt.Errorf("record fetch: %w", err)
	}
	return c, nil
}

// saveItem applies the identity rules: within a feed an item is known by its
// GUID (else its link), so a re-titled item updates its story; across feeds a
// story is known by its canonical URL, so one article carried by two outlets
// is one story with two sightings.
func (t *txIngest) saveItem(feedID string, it *feed.Item, seen time.Time, c *Counts) error {
	key := ItemKey(it)
	hash := contentHash(it)
	var storyID int64
	var oldHash string
	err := t.tx.StmtContext(t.ctx, t.st.findSighting).QueryRowContext(t.ctx, feedID, key).Scan(&storyID, &oldHash)
	switch {
	case err == nil:
		if oldHash == hash {
			return nil
		}
		c.Updated++
		return t.exec(t.st.updateStory, it.Title, it.Summary, storyText(it), it.Author, hash, fmtTime(seen), storyID)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("find item %q: %w", key, err)
	}
	if it.URL != "" {
		err = t.tx.StmtContext(t.ctx, t.st.findURL).QueryRowContext(t.ctx, it.URL).Scan(&storyID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find story %s: %w", it.URL, err)
		}
	}
	if storyID != 0 {
		c.Merged++
	} else {
		err = t.tx.StmtContext(t.ctx, t.st.insertStory).QueryRowContext(t.ctx, nullIfEmpty(it.URL), it.Title, it.Summary,
			storyText(it), it.Author, it.Lang, hash, fmtTime(publishedAt(it, seen)), fmtTime(seen), fmtTime(seen)).Scan(&storyID)
		if err != nil {
			return fmt.Errorf("insert story %q: %w", key, err)
		}
		c.New++
	}
	if err := t.exec(t.st.insertSighting, feedID, key, storyID, fmtTime(seen)); err != nil {
		return fmt.Errorf("insert sighting %q: %w", key, err)
	}
	return nil
}

// ItemKey is an item's identity within its feed: the GUID the feed gives it,
// else its canonical link, else a hash of its text (an item with neither is
// rare, and the hash at least keeps a repeat from being stored twice).
func ItemKey(it *feed.Item) string {
	switch {
	case it.GUID != "":
		return it.GUID
	case it.URL != "":
		return it.URL
	default:
		return "sha256:" + contentHash(it)
	}
}

// storyText is the text matched and indexed: the full content when the feed
// has it, else the summary.
func storyText(it *feed.Item) string {
	if it.Content != "" {
		return it.Content
	}
	return it.Summary
}

// publishedAt keeps the outlet's date unless it is missing or in the future
// (a wrong time zone or a placeholder), where first-seen is the honest answer.
func publishedAt(it *feed.Item, seen time.Time) time.Time {
	if it.Published.IsZero() || it.Published.After(seen) {
		return seen
	}
	return it.Published
}

func contentHash(it *feed.Item) string {
	h := sha256.New()
	for _, s := range []string{it.Title, it.Summary, it.Content, it.Author} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
