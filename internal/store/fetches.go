package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
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

	// RulesVersion is the version of the rules the items were matched with;
	// empty when they were not matched. Matches then holds each item's
	// results, aligned with Items (nil: the item matched no topic). Matching
	// is done by the poller's workers, so the single writer only stores it.
	RulesVersion string
	Matches      [][]match.Result
}

// Counts says what storing a fetch's items did.
type Counts struct {
	Items   int // items in the feed
	New     int // stories stored for the first time
	Updated int // stories whose title or text changed
	Merged  int // items already stored from another feed, now sighted here too
	Matched int // new or updated stories that matched at least one topic
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
	// A story is first seen when it is written, not when its feed was
	// fetched: the write lock is held from here to the commit, so a digest
	// that waits for the lock (see DigestStories) finds every story stamped
	// before its window's end.
	st.seen = s.now()
	if err := st.begin(); err != nil {
		return nil, err
	}
	for i, f := range fetches {
		if counts[i], err = st.saveFetch(f); err != nil {
			return nil, fmt.Errorf("save fetch of %s: %w", f.FeedID, err)
		}
	}
	if err := st.indexNew(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("save fetches: %w", err)
	}
	return counts, nil
}

// ingestStmts are the statements of the ingest path, prepared once on the
// writer connection: a poll runs them for every item of every feed.
type ingestStmts struct {
	findURL, insertStory, updateStory, insertSighting *sql.Stmt
	feedOK, feedFailed, insertFetch, countSightings   *sql.Stmt
	matchStmts
}

func prepareIngest(ctx context.Context, db *sql.DB) (*ingestStmts, error) {
	var st ingestStmts
	var errs []error
	prep := func(q string) *sql.Stmt {
		s, err := db.PrepareContext(ctx, q)
		errs = append(errs, err)
		return s
	}
	st.findURL = prep(`SELECT id FROM stories WHERE url = ?`)
	// ON CONFLICT DO NOTHING returns no row when another feed already
	// brought the same URL; only then is findURL needed.
	st.insertStory = prep(`INSERT INTO stories (url, title, summary, text, author, lang, hash, published_at, first_seen_at, updated_at, rules_version, cut,
        search_title, search_text, credited)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING RETURNING id`)
	// rules_version is set even when NULL: the rules that looked at the old
	// text have not looked at the new one.
	st.updateStory = prep(`UPDATE stories SET title = ?, summary = ?, text = ?, author = ?, hash = ?, updated_at = ?, rules_version = ?, cut = ?,
        search_title = ?, search_text = ?, credited = ?
        WHERE id = ?`)
	st.insertSighting = prep(`INSERT INTO sightings (feed_id, item_key, story_id, first_seen_at) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING`)
	st.feedOK = prep(`UPDATE feeds SET
        etag = iif(?1 = '', etag, ?1), last_modified = iif(?2 = '', last_modified, ?2), body_hash = iif(?3 = '', body_hash, ?3),
        last_attempt_at = ?4, last_success_at = ?4, consecutive_failures = 0, next_due_at = ?5, gone_at = NULL
        WHERE id = ?6`)
	st.feedFailed = prep(`UPDATE feeds SET
        last_attempt_at = ?1, last_error = ?2, last_error_at = ?1, consecutive_failures = consecutive_failures + 1,
        next_due_at = ?3, gone_at = iif(?4, COALESCE(gone_at, ?1), gone_at)
        WHERE id = ?5`)
	st.countSightings = prep(`UPDATE feeds SET stories = stories + ? WHERE id = ?`)
	st.insertFetch = prep(`INSERT INTO fetches (feed_id, started_at, duration_ms, status, bytes, outcome, items,
        new_items, updated_items, merged_items, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	st.matchStmts.prepare(prep)
	if err := errors.Join(errs...); err != nil {
		st.close()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	return &st, nil
}

func (st *ingestStmts) close() {
	for _, s := range st.all() {
		if s != nil {
			s.Close()
		}
	}
}

func (st *ingestStmts) all() []*sql.Stmt {
	return append([]*sql.Stmt{st.findURL, st.insertStory, st.updateStory, st.insertSighting, st.feedOK, st.feedFailed, st.insertFetch, st.countSightings},
		st.matchStmts.all()...)
}

// txIngest is the ingest statements bound to one transaction.
type txIngest struct {
	ctx context.Context
	tx  *sql.Tx
	ingestStmts
	// lastIndexed is the highest story id when the transaction began: every
	// story above it is new in this transaction and not yet in the index.
	lastIndexed int64
	seen        time.Time // first_seen_at of the stories this transaction adds
	sighted     int64     // sightings the current fetch added, for feeds.stories
}

func (t *txIngest) begin() error {
	err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(id), 0) FROM stories`).Scan(&t.lastIndexed)
	if err != nil {
		return fmt.Errorf("save fetches: %w", err)
	}
	return nil
}

// indexNew adds the transaction's new stories to the full-text index in one
// statement, so FTS5 flushes its terms once (see migrations/0001_init.sql).
// It reads them from stories_search, the view the index is built on, which
// gives each story's search form (migrations/0014): the index must hold what
// its content table gives, or the update and delete triggers and FTS5's
// integrity check would not find it.
func (t *txIngest) indexNew() error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO stories_fts (rowid, title, text)
        SELECT id, title, text FROM stories_search WHERE id > ? ORDER BY id`, t.lastIndexed)
	if err != nil {
		return fmt.Errorf("index new stories: %w", err)
	}
	return nil
}

func (st *ingestStmts) in(ctx context.Context, tx *sql.Tx) *txIngest {
	t := &txIngest{ctx: ctx, tx: tx}
	bound := append([]**sql.Stmt{&t.findURL, &t.insertStory, &t.updateStory, &t.insertSighting, &t.feedOK, &t.feedFailed, &t.insertFetch, &t.countSightings},
		t.matchStmts.ptrs()...)
	for i, s := range st.all() {
		*bound[i] = tx.StmtContext(ctx, s)
	}
	return t
}

func (t *txIngest) exec(s *sql.Stmt, args ...any) error {
	_, err := s.ExecContext(t.ctx, args...)
	return err
}

func (t *txIngest) saveFetch(f *Fetch) (Counts, error) {
	c := Counts{Items: len(f.Items)}
	if f.RulesVersion != "" && len(f.Matches) != len(f.Items) {
		return c, fmt.Errorf("%d match results for %d items", len(f.Matches), len(f.Items))
	}
	known, err := t.knownItems(f)
	if err != nil {
		return c, err
	}
	t.sighted = 0
	for i := range f.Items {
		m := itemMatches{version: f.RulesVersion}
		if m.version != "" {
			m.results = f.Matches[i]
		}
		if err := t.saveItem(f.FeedID, &f.Items[i], m, known, t.seen, &c); err != nil {
			return c, err
		}
	}
	// One update a fetch rather than a trigger a sighting: the trigger cost
	// ingest 11 % (docs/performance.md). Deletions keep their trigger.
	if t.sighted > 0 {
		if err := t.exec(t.countSightings, t.sighted, f.FeedID); err != nil {
			return c, fmt.Errorf("count stories of feed: %w", err)
		}
	}
	switch f.Outcome {
	case OutcomeOK, OutcomeNotModified, OutcomeUnchanged:
		err = t.exec(t.feedOK, f.ETag, f.LastModified, f.BodyHash, fmtTime(f.StartedAt), fmtTime(f.NextDue), f.FeedID)
	default:
		err = t.exec(t.feedFailed, fmtTime(f.StartedAt), f.Error, fmtTime(f.NextDue), f.Outcome == OutcomeGone, f.FeedID)
	}
	if err != nil {
		return c, fmt.Errorf("update feed: %w", err)
	}
	err = t.exec(t.insertFetch, f.FeedID, fmtTime(f.StartedAt), f.Duration.Milliseconds(), f.Status, f.Bytes,
		string(f.Outcome), c.Items, c.New, c.Updated, c.Merged, f.Error)
	if err != nil {
		return c, fmt.Errorf("record fetch: %w", err)
	}
	return c, nil
}

// knownStory is a story this feed has carried before, under an item key.
type knownStory struct {
	id      int64
	hash    string
	article bool // the story has a captured article's text
}

// knownItems looks up, in one query, which of a fetch's items the feed has
// carried before (a feed repeats most of its items from one fetch to the next).
func (t *txIngest) knownItems(f *Fetch) (map[string]knownStory, error) {
	known := make(map[string]knownStory, len(f.Items))
	const chunk = 500 // stays under SQLite's limit on bound parameters
	for start := 0; start < len(f.Items); start += chunk {
		items := f.Items[start:min(start+chunk, len(f.Items))]
		args := make([]any, 0, len(items)+1)
		args = append(args, f.FeedID)
		for i := range items {
			args = append(args, ItemKey(&items[i]))
		}
		rows, err := t.tx.QueryContext(t.ctx, `SELECT s.item_key, s.story_id, st.hash, st.article != '' FROM sightings s
            JOIN stories st ON st.id = s.story_id
            WHERE s.feed_id = ? AND s.item_key IN (?`+strings.Repeat(",?", len(items)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find known items: %w", err)
		}
		for rows.Next() {
			var key string
			var k knownStory
			if err := rows.Scan(&key, &k.id, &k.hash, &k.article); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find known items: %w", err)
			}
			known[key] = k
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("find known items: %w", err)
		}
	}
	return known, nil
}

// saveItem applies the identity rules: within a feed an item is known by its
// GUID (else its link), so a re-titled item updates its story; across feeds a
// story is known by its canonical URL, so one article carried by two outlets
// is one story with two sightings.
//
// Matches follow the story's text: a new story gets the item's matches, an
// updated one has them replaced, an unchanged one keeps what it has. A merged
// item (the URL is stored already, from another feed) leaves the story's
// matches alone even though this feed's tags might change the outcome of a
// tag: rule: the item's results were computed on this outlet's title and
// text, which are not what is stored, so their hit offsets would point into
// the wrong text. `civicwatch rematch` matches stored stories against the
// tags of every feed that carried them.
func (t *txIngest) saveItem(feedID string, it *feed.Item, m itemMatches, known map[string]knownStory, seen time.Time, c *Counts) error {
	key := ItemKey(it)
	hash := contentHash(it)
	if k, ok := known[key]; ok {
		// A story new in this transaction is not indexed yet, and the update
		// trigger would remove index entries that are not there: when a feed
		// lists one item twice, the first listing wins.
		if k.hash == hash || k.id > t.lastIndexed {
			return nil
		}
		c.Updated++
		known[key] = knownStory{k.id, hash, k.article} // a feed may list one item twice
		if k.article {
			// The item was matched without the story's article, so its
			// results would drop what the article brought: the story keeps
			// its matches and is left unmatched by these rules, for the
			// evidence runner to match again with its article
			// (Store.StaleArticles).
			m = itemMatches{}
		}
		text := storyText(it)
		if err := t.exec(t.updateStory, it.Title, it.Summary, text, it.Author, hash, fmtTime(seen),
			nullIfEmpty(m.version), it.Cut, searchForm(it.Title), searchForm(text), it.Credited, k.id); err != nil {
			return fmt.Errorf("update story %q: %w", key, err)
		}
		if m.version == "" {
			return nil
		}
		if len(m.results) > 0 {
			c.Matched++
		}
		_, err := t.replaceMatches(k.id, m.version, m.results, seen)
		return err
	}
	var storyID int64
	text := storyText(it)
	err := t.insertStory.QueryRowContext(t.ctx, nullIfEmpty(it.URL), it.Title, it.Summary, text, it.Author,
		it.Lang, hash, fmtTime(publishedAt(it, seen)), fmtTime(seen), fmtTime(seen), nullIfEmpty(m.version), it.Cut,
		searchForm(it.Title), searchForm(text), it.Credited).Scan(&storyID)
	switch {
	case err == nil:
		c.New++
		if m.version != "" {
			if len(m.results) > 0 {
				c.Matched++
			}
			if err := t.insertMatches(storyID, m.version, m.results, seen); err != nil {
				return err
			}
		}
	case errors.Is(err, sql.ErrNoRows): // the URL is already stored, from another feed
		if err := t.findURL.QueryRowContext(t.ctx, it.URL).Scan(&storyID); err != nil {
			return fmt.Errorf("find story %s: %w", it.URL, err)
		}
		c.Merged++
	default:
		return fmt.Errorf("insert story %q: %w", key, err)
	}
	known[key] = knownStory{id: storyID, hash: hash}
	res, err := t.insertSighting.ExecContext(t.ctx, feedID, key, storyID, fmtTime(seen))
	if err != nil {
		return fmt.Errorf("insert sighting %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil {
		t.sighted += n
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
