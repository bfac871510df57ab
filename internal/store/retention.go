package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// PruneBatch is how many stories one prune transaction deletes at most.
// Deleting a story also takes it out of the full-text index, about 0.3 ms
// of processor time a story on the development machine (docs/performance.md),
// so a batch holds the write lock for about 60 ms: a poll waiting behind it
// waits for one batch, not the run.
const PruneBatch = 200

// DeletionLogKeep is how long the log of deleted story ids is kept. A cache
// of story ids that has not looked at the log for longer must be rebuilt.
const DeletionLogKeep = 30 * 24 * time.Hour

// PruneReport says what a prune removed, or would remove.
type PruneReport struct {
	Before  time.Time // unmatched stories first seen before this
	Stories int       // deleted, or that would be
	Bytes   int64     // of their title, summary and text
	Oldest  time.Time // first seen of the oldest of them; zero when none
	Newest  time.Time // and of the newest
	Kept    int       // stories as old that stay: matched, labelled or evidenced
	Batches int       // transactions it took
}

// prunable selects the stories retention may delete: first seen before ?1
// and neither matched to a topic, nor labelled by an operator, nor holding
// captured evidence (with evidence.capture: all, unmatched stories are
// captured too, and a capture is never deleted). The first_seen index
// serves the range, the primary keys of matches and labels and the
// captures' story index the rest.
const prunable = `FROM stories st
WHERE st.first_seen_at < ?1
  AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.story_id = st.id)
  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.story_id = st.id)
  AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.story_id = st.id)`

// PrunePlan reports what Prune would delete for this cutoff, without
// deleting anything.
func (s *Store) PrunePlan(ctx context.Context, before time.Time) (PruneReport, error) {
	r := PruneReport{Before: before}
	var oldest, newest sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*),
       COALESCE(SUM(length(CAST(st.title AS BLOB)) + length(CAST(st.summary AS BLOB)) + length(CAST(st.text AS BLOB))), 0),
       MIN(st.first_seen_at), MAX(st.first_seen_at) `+prunable, fmtTime(before)).
		Scan(&r.Stories, &r.Bytes, &oldest, &newest)
	if err != nil {
		return r, fmt.Errorf("plan prune: %w", err)
	}
	r.Oldest, r.Newest = parseTime(oldest), parseTime(newest)
	var all int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM stories WHERE first_seen_at < ?`, fmtTime(before)).Scan(&all); err != nil {
		return r, fmt.Errorf("plan prune: %w", err)
	}
	r.Kept = all - r.Stories
	return r, nil
}

// Prune deletes the unmatched, unlabelled stories first seen before the
// cutoff (with their sightings and full-text entries), PruneBatch at a time,
// each batch in its own short transaction, so that polls and the console
// get the write lock between batches. afterBatch, when not nil, is called
// after each commit with the stories deleted so far. Each deleted id is
// logged in story_deletions for the caches of story ids (the rules lab's
// index), and log entries older than DeletionLogKeep go.
func (s *Store) Prune(ctx context.Context, before time.Time, afterBatch func(deleted int)) (PruneReport, error) {
	plan, err := s.PrunePlan(ctx, before)
	if err != nil {
		return plan, err
	}
	r := PruneReport{Before: before, Oldest: plan.Oldest, Newest: plan.Newest, Kept: plan.Kept}
	// The cursor moves on through first_seen order, so matched stories
	// that stay are read once per run, not once per batch.
	cursor, cursorID := "", int64(0)
	for {
		n, bytes, err := s.pruneBatch(ctx, before, r.Batches+1, &cursor, &cursorID)
		if err != nil {
			return r, err
		}
		if n == 0 {
			break
		}
		r.Stories, r.Bytes, r.Batches = r.Stories+n, r.Bytes+bytes, r.Batches+1
		if afterBatch != nil {
			afterBatch(r.Stories)
		}
		if n < PruneBatch {
			break
		}
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM story_deletions WHERE deleted_at < ?`, fmtTime(s.now().Add(-DeletionLogKeep))); err != nil {
		return r, fmt.Errorf("prune: trim the deletion log: %w", err)
	}
	return r, nil
}

// pruneBatch deletes the next PruneBatch prunable stories after the cursor
// in one transaction and moves the cursor past them.
func (s *Store) pruneBatch(ctx context.Context, before time.Time, batch int, cursor *string, cursorID *int64) (n int, bytes int64, err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("prune: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	rows, err := tx.QueryContext(ctx, `SELECT st.id, st.first_seen_at,
       length(CAST(st.title AS BLOB)) + length(CAST(st.summary AS BLOB)) + length(CAST(st.text AS BLOB)) `+prunable+`
  AND (st.first_seen_at, st.id) > (?2, ?3)
ORDER BY st.first_seen_at, st.id LIMIT ?4`, fmtTime(before), *cursor, *cursorID, PruneBatch)
	if err != nil {
		return 0, 0, fmt.Errorf("prune: select: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id, size int64
		if err := rows.Scan(&id, cursor, &size); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("prune: select: %w", err)
		}
		ids, *cursorID, bytes = append(ids, id), id, bytes+size
	}
	if err := rows.Close(); err != nil {
		return 0, 0, fmt.Errorf("prune: select: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("prune: select: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, tx.Rollback()
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM stories WHERE id IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
		return 0, 0, fmt.Errorf("prune: delete: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO story_deletions (story_id, deleted_at) SELECT value, ? FROM json_each(?)`,
		fmtTime(s.now()), string(list)); err != nil {
		return 0, 0, fmt.Errorf("prune: log deletions: %w", err)
	}
	if s.pruneHook != nil {
		s.pruneHook(batch, tx)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("prune: commit: %w", err)
	}
	return len(ids), bytes, nil
}

// DeletedStoryIDs returns the ids of the stories deleted at or after since,
// in id order. ok is false when the log no longer reaches back that far,
// and the caller must start again from the archive.
func (s *Store) DeletedStoryIDs(ctx context.Context, since time.Time) (ids []int64, ok bool, err error) {
	if since.Before(s.now().Add(-DeletionLogKeep)) {
		return nil, false, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT story_id FROM story_deletions WHERE deleted_at >= ? ORDER BY story_id`, fmtTime(since))
	if err != nil {
		return nil, false, fmt.Errorf("find deleted stories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, fmt.Errorf("find deleted stories: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("find deleted stories: %w", err)
	}
	return ids, true, nil
}

// Optimize runs PRAGMA optimize, which re-analyses the tables whose
// statistics have drifted (after a prune, or a year of growth) so that the
// planner keeps choosing the indexes; it is cheap when nothing changed.
func (s *Store) Optimize(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `PRAGMA optimize`); err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	return nil
}
