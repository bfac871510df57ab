package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Evidence queue states.
const (
	EvidenceQueued   = "queued"   // waiting for its first capture (or a retry)
	EvidenceCaptured = "captured" // at least one capture is stored
	EvidenceFailed   = "failed"   // every attempt failed; last_error says why
)

// EvidenceTask is a queued story whose article page is due for capture.
type EvidenceTask struct {
	StoryID  int64
	URL      string
	Attempts int
}

// Capture is one stored capture of a story's article page.
type Capture struct {
	ID           int64
	StoryID      int64
	CapturedAt   time.Time
	URL          string
	FinalURL     string
	Status       int
	BodySHA256   string
	BodyBytes    int64
	WARCFile     string
	WARCOffset   int64
	WARCRecordID string
	Text         string // extracted main text; "" when extraction failed
	TextSHA256   string // hex SHA-256 of Text; "" with no text
	ExtractError string
	// Rematch is the story matched again with Text as its article, by the
	// rules of Version; nil leaves the matching to whoever next has rules
	// (the story's rules_version is cleared, as Store.StaleArticles finds).
	Rematch *Rematch
}

// Rematch is a story's match results with its article text.
type Rematch struct {
	Version string
	Results []match.Result
	At      time.Time // when matched: the story's article_at, and matched_at of the topics it brings
	// Stamp, when set, gives At once the write lock is held (see
	// stampInTx).
	Stamp func() time.Time
}

// stampInTx is the time a write that a digest will read by its time takes,
// read once the transaction holds the single write connection. A digest
// waits for that connection before it reads its window (DigestStories), so
// a row stamped here either committed before the digest read it, or was
// stamped after the digest's window ended and falls in the next one. A
// time taken before a page was fetched (or before the wait for the
// connection) could fall inside a window already read, and the change, or
// the topic the article brought, would reach no digest at all.
func stampInTx(at time.Time, stamp func() time.Time) time.Time {
	if stamp == nil {
		return at
	}
	return stamp()
}

// EvidenceEntry is a story's line in the evidence list.
type EvidenceEntry struct {
	StoryID     int64
	Title       string
	URL         string
	State       string
	Attempts    int
	LastError   string
	Captures    int
	LastCapture time.Time // zero when never captured
	UpdatedAt   time.Time
}

// EnqueueEvidence queues every story that qualifies and has no queue row
// yet: with matchedOnly, stories that match at least one topic; otherwise
// every story with a URL. It returns how many were queued.
func (s *Store) EnqueueEvidence(ctx context.Context, matchedOnly bool, at time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `
		INSERT INTO evidence_queue (story_id, url, state, enqueued_at, next_at, updated_at)
		SELECT s.id, s.url, ?1, ?2, ?2, ?2 FROM stories s
		WHERE s.url IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM evidence_queue q WHERE q.story_id = s.id)
		  AND (NOT ?3 OR EXISTS (SELECT 1 FROM matches m WHERE m.story_id = s.id))`,
		EvidenceQueued, fmtTime(at), matchedOnly)
	if err != nil {
		return 0, fmt.Errorf("queue stories for capture: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DueEvidence returns up to limit queued stories whose next attempt is due
// at or before at, oldest first.
func (s *Store) DueEvidence(ctx context.Context, at time.Time, limit int) ([]EvidenceTask, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT story_id, url, attempts FROM evidence_queue
		WHERE state = ? AND next_at <= ? ORDER BY next_at, story_id LIMIT ?`,
		EvidenceQueued, fmtTime(at), limit)
	if err != nil {
		return nil, fmt.Errorf("read capture queue: %w", err)
	}
	defer rows.Close()
	var out []EvidenceTask
	for rows.Next() {
		var t EvidenceTask
		if err := rows.Scan(&t.StoryID, &t.URL, &t.Attempts); err != nil {
			return nil, fmt.Errorf("read capture queue: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SpendEvidenceFetch takes one fetch from the day's budget. It reports false,
// spending nothing, when the budget of that UTC day is used up.
func (s *Store) SpendEvidenceFetch(ctx context.Context, at time.Time, budget int) (bool, error) {
	day := at.UTC().Format(time.DateOnly)
	res, err := s.write.ExecContext(ctx, `
		INSERT INTO evidence_budget (day, fetches) VALUES (?1, 1)
		ON CONFLICT (day) DO UPDATE SET fetches = fetches + 1 WHERE fetches < ?2`, day, budget)
	if err != nil {
		return false, fmt.Errorf("spend evidence budget: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1 && budget > 0, err
}

// SaveCapture stores a story's first capture, marks it captured and
// schedules its first re-check (none when nextCheck is zero), in one
// transaction so the queue never claims a capture the table lacks.
func (s *Store) SaveCapture(ctx context.Context, c *Capture, nextCheck time.Time) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save capture: %w", err)
	}
	defer tx.Rollback()
	if c.ID, err = insertCapture(ctx, tx, c); err != nil {
		return err
	}
	if err := s.setArticle(ctx, tx, c); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE evidence_queue SET state = ?, attempts = attempts + 1, last_error = '', updated_at = ?, check_at = ?
		WHERE story_id = ?`, EvidenceCaptured, fmtTime(c.CapturedAt), fmtTime(nextCheck), c.StoryID); err != nil {
		return fmt.Errorf("mark story %d captured: %w", c.StoryID, err)
	}
	return tx.Commit()
}

// setArticle makes a capture's text the story's article and, with a
// Rematch, its matches, in the capture's transaction: a digest that sees the
// article sees the topics it brought. A topic the article brings has
// matched_at equal to article_at (the time of matching), which is how a digest
// tells it from one the feed's own text brought.
func (s *Store) setArticle(ctx context.Context, tx *sql.Tx, c *Capture) error {
	if c.Text == "" {
		return nil // a failed extraction leaves the last good article
	}
	var version any
	at := c.CapturedAt
	if c.Rematch != nil {
		c.Rematch.At = stampInTx(c.Rematch.At, c.Rematch.Stamp)
		version, at = c.Rematch.Version, c.Rematch.At
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stories SET article = ?, article_at = ?, rules_version = ? WHERE id = ?`,
		c.Text, fmtTime(at), version, c.StoryID); err != nil {
		return fmt.Errorf("store article of story %d: %w", c.StoryID, err)
	}
	if c.Rematch == nil {
		return nil
	}
	if _, err := s.ingest.in(ctx, tx).replaceMatches(c.StoryID, c.Rematch.Version, c.Rematch.Results, at); err != nil {
		return fmt.Errorf("match story %d with its article: %w", c.StoryID, err)
	}
	return nil
}

// StaleArticles returns up to limit stories with an article that no rules
// have matched since it was set or since the feed changed the story's text
// (see saveItem), oldest first.
func (s *Store) StaleArticles(ctx context.Context, limit int) ([]Story, error) {
	got, err := s.queryStories(ctx, true, `WHERE st.article != '' AND st.rules_version IS NULL ORDER BY st.id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("stories to match with their article: %w", err)
	}
	return got, nil
}

func insertCapture(ctx context.Context, tx *sql.Tx, c *Capture) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO captures (story_id, captured_at, url, final_url, status, body_sha256, body_bytes,
		                      warc_file, warc_offset, warc_record_id, text, text_sha256, extract_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.StoryID, fmtTime(c.CapturedAt), c.URL, c.FinalURL, c.Status, c.BodySHA256, c.BodyBytes,
		c.WARCFile, c.WARCOffset, c.WARCRecordID, c.Text, c.TextSHA256, c.ExtractError)
	if err != nil {
		return 0, fmt.Errorf("save capture of story %d: %w", c.StoryID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("save capture of story %d: %w", c.StoryID, err)
	}
	return id, nil
}

// CaptureFailed records a failed attempt. With retryAt zero the story is
// given up as failed; otherwise it stays queued until retryAt.
func (s *Store) CaptureFailed(ctx context.Context, storyID int64, msg string, at, retryAt time.Time) error {
	state, next := EvidenceQueued, retryAt
	if retryAt.IsZero() {
		state, next = EvidenceFailed, at
	}
	_, err := s.write.ExecContext(ctx, `
		UPDATE evidence_queue SET state = ?, attempts = attempts + 1, last_error = ?, next_at = ?, updated_at = ?
		WHERE story_id = ?`, state, msg, fmtTime(next), fmtTime(at), storyID)
	if err != nil {
		return fmt.Errorf("record failed capture of story %d: %w", storyID, err)
	}
	return nil
}

// Captures returns a story's captures, oldest first.
func (s *Store) Captures(ctx context.Context, storyID int64) ([]Capture, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, story_id, captured_at, url, final_url, status, body_sha256, body_bytes,
		       warc_file, warc_offset, warc_record_id, text, text_sha256, extract_error
		FROM captures WHERE story_id = ? ORDER BY captured_at, id`, storyID)
	if err != nil {
		return nil, fmt.Errorf("read captures of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var out []Capture
	for rows.Next() {
		var c Capture
		var at sql.NullString
		if err := rows.Scan(&c.ID, &c.StoryID, &at, &c.URL, &c.FinalURL, &c.Status, &c.BodySHA256, &c.BodyBytes,
			&c.WARCFile, &c.WARCOffset, &c.WARCRecordID, &c.Text, &c.TextSHA256, &c.ExtractError); err != nil {
			return nil, fmt.Errorf("read captures of story %d: %w", storyID, err)
		}
		c.CapturedAt = parseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ErrNoEvidence is returned for a story that was never queued for capture.
var ErrNoEvidence = errors.New("story has no evidence record")

// EvidenceList returns the queue with each story's title and capture count,
// newest first; state "" lists every state.
func (s *Store) EvidenceList(ctx context.Context, state string, storyID int64) ([]EvidenceEntry, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT q.story_id, st.title, q.url, q.state, q.attempts, q.last_error, q.updated_at,
		       (SELECT COUNT(*) FROM captures c WHERE c.story_id = q.story_id),
		       (SELECT MAX(captured_at) FROM captures c WHERE c.story_id = q.story_id)
		FROM evidence_queue q JOIN stories st ON st.id = q.story_id
		WHERE (?1 = '' OR q.state = ?1) AND (?2 = 0 OR q.story_id = ?2)
		ORDER BY q.enqueued_at DESC, q.story_id DESC`, state, storyID)
	if err != nil {
		return nil, fmt.Errorf("read evidence list: %w", err)
	}
	defer rows.Close()
	var out []EvidenceEntry
	for rows.Next() {
		var e EvidenceEntry
		var upd, last sql.NullString
		if err := rows.Scan(&e.StoryID, &e.Title, &e.URL, &e.State, &e.Attempts, &e.LastError, &upd,
			&e.Captures, &last); err != nil {
			return nil, fmt.Errorf("read evidence list: %w", err)
		}
		e.UpdatedAt, e.LastCapture = parseTime(upd), parseTime(last)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceOf returns one story's evidence entry, or ErrNoEvidence.
func (s *Store) EvidenceOf(ctx context.Context, storyID int64) (EvidenceEntry, error) {
	es, err := s.EvidenceList(ctx, "", storyID)
	if err != nil {
		return EvidenceEntry{}, err
	}
	if len(es) == 0 {
		return EvidenceEntry{}, fmt.Errorf("story %d: %w", storyID, ErrNoEvidence)
	}
	return es[0], nil
}

// Re-check states, beside EvidenceCaptured.
const (
	EvidenceUnchanged   = "unchanged"
	EvidenceEdited      = "edited"
	EvidenceRemoved     = "removed"
	EvidenceUnreachable = "unreachable"
)

// CheckTask is a captured story due for a re-check.
type CheckTask struct {
	StoryID       int64
	URL           string
	State         string
	ChecksDone    int
	FailStreak    int
	FirstCaptured time.Time
	LastText      string // text of the newest capture that has one
	// LastBodySHA256 is the body hash of the newest capture: pages with no
	// text to compare (a PDF) are compared by their bytes.
	LastBodySHA256 string
}

// checkTaskColumns are what a CheckTask is read from, over evidence_queue q.
const checkTaskColumns = `q.story_id, q.url, q.state, q.checks_done, q.fail_streak,
		       (SELECT MIN(captured_at) FROM captures c WHERE c.story_id = q.story_id),
		       coalesce((SELECT text FROM captures c WHERE c.story_id = q.story_id AND c.text_sha256 != ''
		                 ORDER BY captured_at DESC, id DESC LIMIT 1), ''),
		       coalesce((SELECT body_sha256 FROM captures c WHERE c.story_id = q.story_id
		                 ORDER BY captured_at DESC, id DESC LIMIT 1), '')`

// DueChecks returns up to limit captured stories whose re-check is due.
func (s *Store) DueChecks(ctx context.Context, at time.Time, limit int) ([]CheckTask, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+checkTaskColumns+`
		FROM evidence_queue q
		WHERE q.check_at IS NOT NULL AND q.check_at <= ? ORDER BY q.check_at, q.story_id LIMIT ?`,
		fmtTime(at), limit)
	if err != nil {
		return nil, fmt.Errorf("read re-check queue: %w", err)
	}
	return scanCheckTasks(rows)
}

// CapturedAfter returns up to limit stories with at least one capture whose
// id is above afterID, by id: the pages of a re-check of everything, which
// ignores the schedule.
func (s *Store) CapturedAfter(ctx context.Context, afterID int64, limit int) ([]CheckTask, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+checkTaskColumns+`
		FROM evidence_queue q
		WHERE q.story_id > ? AND EXISTS (SELECT 1 FROM captures c WHERE c.story_id = q.story_id)
		ORDER BY q.story_id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read captured stories: %w", err)
	}
	return scanCheckTasks(rows)
}

func scanCheckTasks(rows *sql.Rows) ([]CheckTask, error) {
	defer rows.Close()
	var out []CheckTask
	for rows.Next() {
		var t CheckTask
		var first sql.NullString
		if err := rows.Scan(&t.StoryID, &t.URL, &t.State, &t.ChecksDone, &t.FailStreak, &first, &t.LastText, &t.LastBodySHA256); err != nil {
			return nil, fmt.Errorf("read re-check queue: %w", err)
		}
		t.FirstCaptured = parseTime(first)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Check is the result of one re-check.
type Check struct {
	StoryID    int64
	At         time.Time
	Outcome    string // unchanged | edited | removed | failed
	Status     int
	FinalURL   string
	BodySHA256 string
	Error      string
	State      string    // the story's state after this check
	FailStreak int       // network failures in a row after this check
	NextCheck  time.Time // zero: no more re-checks
	Capture    *Capture  // the new version, when edited
	// Forced marks a check asked for outside the schedule (evidence run
	// --recheck-all): it leaves the scheduled checks as they were.
	Forced bool
	// Stamp, when set, gives At once the write lock is held: the digest's
	// changes section reads checks by their time (see stampInTx).
	Stamp func() time.Time
}

// SaveCheck records a re-check, its new capture if any, and the story's new
// state and schedule, in one transaction.
func (s *Store) SaveCheck(ctx context.Context, c *Check) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save re-check: %w", err)
	}
	defer tx.Rollback()
	c.At = stampInTx(c.At, c.Stamp)
	var captureID any
	if c.Capture != nil {
		if captureID, err = insertCapture(ctx, tx, c.Capture); err != nil {
			return err
		}
		if err := s.setArticle(ctx, tx, c.Capture); err != nil {
			return err
		}
	}
	// changed: the check moved the story into another state, or found a
	// new edit (an edited page edited again is news again). Read before the
	// queue row below takes the new state.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO evidence_checks (story_id, checked_at, outcome, status, final_url, body_sha256, error, capture_id, state, changed)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
		        ?3 = 'edited' OR coalesce((SELECT state FROM evidence_queue WHERE story_id = ?1), '') != ?9)`,
		c.StoryID, fmtTime(c.At), c.Outcome, c.Status, c.FinalURL, c.BodySHA256, c.Error, captureID, c.State); err != nil {
		return fmt.Errorf("save re-check of story %d: %w", c.StoryID, err)
	}
	if c.Forced {
		_, err = tx.ExecContext(ctx, `
			UPDATE evidence_queue SET state = ?, fail_streak = ?, last_error = ?, updated_at = ?
			WHERE story_id = ?`,
			c.State, c.FailStreak, c.Error, fmtTime(c.At), c.StoryID)
	} else {
		_, err = tx.ExecContext(ctx, `
			UPDATE evidence_queue SET state = ?, fail_streak = ?, checks_done = checks_done + 1, check_at = ?,
			       last_error = ?, updated_at = ?
			WHERE story_id = ?`,
			c.State, c.FailStreak, fmtTime(c.NextCheck), c.Error, fmtTime(c.At), c.StoryID)
	}
	if err != nil {
		return fmt.Errorf("save re-check of story %d: %w", c.StoryID, err)
	}
	return tx.Commit()
}

// CheckHistory returns a story's re-checks, oldest first.
func (s *Store) CheckHistory(ctx context.Context, storyID int64) ([]Check, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT story_id, checked_at, outcome, status, final_url, body_sha256, error
		FROM evidence_checks WHERE story_id = ? ORDER BY checked_at, id`, storyID)
	if err != nil {
		return nil, fmt.Errorf("read re-checks of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var out []Check
	for rows.Next() {
		var c Check
		var at sql.NullString
		if err := rows.Scan(&c.StoryID, &at, &c.Outcome, &c.Status, &c.FinalURL, &c.BodySHA256, &c.Error); err != nil {
			return nil, fmt.Errorf("read re-checks of story %d: %w", storyID, err)
		}
		c.At = parseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// EvidenceSummary is the whole evidence archive in figures.
type EvidenceSummary struct {
	Stories   int            // stories with a queue row
	Captures  int            // captures stored, re-captured versions included
	WARCFiles int            // WARC files the captures point into
	ByState   map[string]int // stories per state
}

// EvidenceSummary counts the queue by state and the captures.
func (s *Store) EvidenceSummary(ctx context.Context) (EvidenceSummary, error) {
	sum := EvidenceSummary{ByState: map[string]int{}}
	rows, err := s.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM evidence_queue GROUP BY state`)
	if err != nil {
		return sum, fmt.Errorf("count evidence by state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return sum, fmt.Errorf("count evidence by state: %w", err)
		}
		sum.ByState[state] = n
		sum.Stories += n
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("count evidence by state: %w", err)
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT warc_file) FROM captures`).
		Scan(&sum.Captures, &sum.WARCFiles); err != nil {
		return sum, fmt.Errorf("count captures: %w", err)
	}
	return sum, nil
}
