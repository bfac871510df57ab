package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Save Page Now submission states.
const (
	SPNPending   = "pending"   // tried, to be tried again at next_at
	SPNSubmitted = "submitted" // accepted: job_id is set
	SPNFailed    = "failed"    // given up, or the job failed; last_error says why
	SPNArchived  = "archived"  // the job is done: archived_url is the Wayback Machine's copy
)

// SPNTask is a capture due for submission to Save Page Now.
type SPNTask struct {
	CaptureID int64
	StoryID   int64
	URL       string
	Attempts  int
}

// DueSubmissions returns up to limit captures never submitted, or pending
// and due at or before at, oldest capture first.
func (s *Store) DueSubmissions(ctx context.Context, at time.Time, limit int) ([]SPNTask, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT c.id, c.story_id, CASE WHEN c.final_url != '' THEN c.final_url ELSE c.url END, coalesce(s.attempts, 0)
		FROM captures c LEFT JOIN spn_submissions s ON s.capture_id = c.id
		WHERE s.capture_id IS NULL OR (s.state = ? AND s.next_at <= ?)
		ORDER BY c.id LIMIT ?`, SPNPending, fmtTime(at), limit)
	if err != nil {
		return nil, fmt.Errorf("read Save Page Now queue: %w", err)
	}
	defer rows.Close()
	var out []SPNTask
	for rows.Next() {
		var t SPNTask
		if err := rows.Scan(&t.CaptureID, &t.StoryID, &t.URL, &t.Attempts); err != nil {
			return nil, fmt.Errorf("read Save Page Now queue: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SPNResult is the outcome of one submission attempt.
type SPNResult struct {
	CaptureID int64
	URL       string
	At        time.Time
	State     string // SPNSubmitted, SPNPending (with NextAt) or SPNFailed
	JobID     string
	Error     string
	NextAt    time.Time
}

// SaveSubmission records an attempt, counting it.
func (s *Store) SaveSubmission(ctx context.Context, r SPNResult) error {
	var submitted any
	if r.State == SPNSubmitted {
		submitted = fmtTime(r.At)
	}
	_, err := s.write.ExecContext(ctx, `
		INSERT INTO spn_submissions (capture_id, url, state, job_id, attempts, last_error, next_at, submitted_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8)
		ON CONFLICT (capture_id) DO UPDATE SET state = ?3, job_id = ?4, attempts = attempts + 1, last_error = ?5,
		       next_at = ?6, submitted_at = ?7, updated_at = ?8`,
		r.CaptureID, r.URL, r.State, r.JobID, r.Error, fmtTime(r.NextAt), submitted, fmtTime(r.At))
	if err != nil {
		return fmt.Errorf("record Save Page Now submission of capture %d: %w", r.CaptureID, err)
	}
	return nil
}

// Submission is a capture's Save Page Now record.
type Submission struct {
	CaptureID   int64
	URL         string
	State       string
	JobID       string
	Attempts    int
	LastError   string
	NextAt      time.Time
	SubmittedAt time.Time
	UpdatedAt   time.Time
	ArchivedURL string // the Wayback Machine's copy, once the job is done
}

// Submissions returns the Save Page Now records of a story's captures, by
// capture id.
func (s *Store) Submissions(ctx context.Context, storyID int64) (map[int64]Submission, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT s.capture_id, s.url, s.state, s.job_id, s.attempts, s.last_error, s.next_at, s.submitted_at, s.updated_at, s.archived_url
		FROM spn_submissions s JOIN captures c ON c.id = s.capture_id WHERE c.story_id = ?`, storyID)
	if err != nil {
		return nil, fmt.Errorf("read Save Page Now submissions of story %d: %w", storyID, err)
	}
	defer rows.Close()
	out := map[int64]Submission{}
	for rows.Next() {
		var sub Submission
		var next, done, upd sql.NullString
		if err := rows.Scan(&sub.CaptureID, &sub.URL, &sub.State, &sub.JobID, &sub.Attempts, &sub.LastError, &next, &done, &upd, &sub.ArchivedURL); err != nil {
			return nil, fmt.Errorf("read Save Page Now submissions of story %d: %w", storyID, err)
		}
		sub.NextAt, sub.SubmittedAt, sub.UpdatedAt = parseTime(next), parseTime(done), parseTime(upd)
		out[sub.CaptureID] = sub
	}
	return out, rows.Err()
}

// SPNJob is a submitted capture whose job has not been seen to end.
type SPNJob struct {
	CaptureID int64
	StoryID   int64
	JobID     string
}

// SubmittedJobs returns up to limit jobs submitted before at and not looked
// at since then, longest waiting first.
func (s *Store) SubmittedJobs(ctx context.Context, at time.Time, limit int) ([]SPNJob, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT s.capture_id, c.story_id, s.job_id FROM spn_submissions s JOIN captures c ON c.id = s.capture_id
		WHERE s.state = ? AND s.job_id != '' AND coalesce(s.followed_at, s.submitted_at) <= ?
		ORDER BY coalesce(s.followed_at, s.submitted_at), s.capture_id LIMIT ?`, SPNSubmitted, fmtTime(at), limit)
	if err != nil {
		return nil, fmt.Errorf("read Save Page Now jobs: %w", err)
	}
	defer rows.Close()
	var out []SPNJob
	for rows.Next() {
		var j SPNJob
		if err := rows.Scan(&j.CaptureID, &j.StoryID, &j.JobID); err != nil {
			return nil, fmt.Errorf("read Save Page Now jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// FollowJob records a look at a job: still submitted (state SPNSubmitted),
// archived at archivedURL, or failed with msg.
func (s *Store) FollowJob(ctx context.Context, captureID int64, state, archivedURL, msg string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `
		UPDATE spn_submissions SET state = ?, archived_url = ?, last_error = CASE WHEN ? != '' THEN ? ELSE last_error END,
		       followed_at = ?, updated_at = ?
		WHERE capture_id = ?`, state, archivedURL, msg, msg, fmtTime(at), fmtTime(at), captureID)
	if err != nil {
		return fmt.Errorf("record Save Page Now job of capture %d: %w", captureID, err)
	}
	return nil
}
