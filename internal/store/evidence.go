package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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

// SaveCapture stores a capture and marks its story captured, in one
// transaction so the queue never claims a capture the table lacks.
func (s *Store) SaveCapture(ctx context.Context, c *Capture) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save capture: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `
		INSERT INTO captures (story_id, captured_at, url, final_url, status, body_sha256, body_bytes,
		                      warc_file, warc_offset, warc_record_id, text, text_sha256, extract_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.StoryID, fmtTime(c.CapturedAt), c.URL, c.FinalURL, c.Status, c.BodySHA256, c.BodyBytes,
		c.WARCFile, c.WARCOffset, c.WARCRecordID, c.Text, c.TextSHA256, c.ExtractError)
	if err != nil {
		return fmt.Errorf("save capture of story %d: %w", c.StoryID, err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("save capture of story %d: %w", c.StoryID, err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE evidence_queue SET state = ?, attempts = attempts + 1, last_error = '', updated_at = ?
		WHERE story_id = ?`, EvidenceCaptured, fmtTime(c.CapturedAt), c.StoryID); err != nil {
		return fmt.Errorf("mark story %d captured: %w", c.StoryID, err)
	}
	return tx.Commit()
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
