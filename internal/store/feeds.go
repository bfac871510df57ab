package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FeedRef is what the store keeps of a configured feed.
type FeedRef struct {
	ID, Name, URL string
}

// FeedState is a feed's polling state and health.
type FeedState struct {
	ID, Name, URL      string
	ETag, LastModified string
	BodyHash           string
	LastAttempt        time.Time
	LastSuccess        time.Time
	LastError          string
	LastErrorAt        time.Time
	Failures           int // consecutive
	NextDue            time.Time
	GoneAt             time.Time // zero unless the server answered 410
	Stories            int       // stories this feed carried; filled by FeedHealth only
}

// Synced is the state SyncFeeds leaves for a configured feed: the name and
// URL of the config, and, when the URL changed, validators, failures, due
// time and gone mark cleared, since they belonged to the old address. A
// poll reads states before it may write (Poller.Check) and applies this;
// TestSyncedIsWhatSyncFeedsStores holds the two equal.
func (f FeedState) Synced(ref FeedRef) FeedState {
	if f.ID != "" && f.URL != ref.URL {
		f.ETag, f.LastModified, f.BodyHash = "", "", ""
		f.Failures, f.NextDue, f.GoneAt = 0, time.Time{}, time.Time{}
	}
	f.ID, f.Name, f.URL = ref.ID, ref.Name, ref.URL
	return f
}

// Gone reports whether the feed's server said 410 Gone for its current URL.
func (f FeedState) Gone() bool { return !f.GoneAt.IsZero() }

// SyncFeeds records the configured feeds. A feed whose URL changed starts
// afresh: its validators, failures and gone mark belonged to the old address.
func (s *Store) SyncFeeds(ctx context.Context, feeds []FeedRef, now time.Time) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	defer tx.Rollback()
	for _, f := range feeds {
		_, err := tx.ExecContext(ctx, `
INSERT INTO feeds (id, name, url, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name,
    url = excluded.url,
    etag = iif(url = excluded.url, etag, ''),
    last_modified = iif(url = excluded.url, last_modified, ''),
    body_hash = iif(url = excluded.url, body_hash, ''),
    consecutive_failures = iif(url = excluded.url, consecutive_failures, 0),
    next_due_at = iif(url = excluded.url, next_due_at, NULL),
    gone_at = iif(url = excluded.url, gone_at, NULL)
WHERE name IS NOT excluded.name OR url IS NOT excluded.url`,
			f.ID, f.Name, f.URL, fmtTime(now))
		if err != nil {
			return fmt.Errorf("sync feed %s: %w", f.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	return nil
}

const feedStateColumns = `f.id, f.name, f.url, f.etag, f.last_modified, f.body_hash, f.last_attempt_at,
    f.last_success_at, f.last_error, f.last_error_at, f.consecutive_failures, f.next_due_at, f.gone_at`

func scanFeedState(sc interface{ Scan(...any) error }, extra ...any) (FeedState, error) {
	var f FeedState
	var attempt, success, errAt, due, gone sql.NullString
	dest := append([]any{&f.ID, &f.Name, &f.URL, &f.ETag, &f.LastModified, &f.BodyHash, &attempt,
		&success, &f.LastError, &errAt, &f.Failures, &due, &gone}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return f, err
	}
	f.LastAttempt, f.LastSuccess, f.LastErrorAt = parseTime(attempt), parseTime(success), parseTime(errAt)
	f.NextDue, f.GoneAt = parseTime(due), parseTime(gone)
	return f, nil
}

// FeedStates returns the state of every feed the store knows, by id.
func (s *Store) FeedStates(ctx context.Context) (map[string]FeedState, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+feedStateColumns+` FROM feeds f`)
	if err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	defer rows.Close()
	out := make(map[string]FeedState)
	for rows.Next() {
		f, err := scanFeedState(rows)
		if err != nil {
			return nil, fmt.Errorf("feed states: %w", err)
		}
		out[f.ID] = f
	}
	return out, rows.Err()
}

// FeedHealth returns every feed's state with the number of stories it has
// carried (kept by triggers on sightings, migration 0009), ordered by id.
func (s *Store) FeedHealth(ctx context.Context) ([]FeedState, error) {
	rows, err := s.read.QueryContext(ctx, `
SELECT `+feedStateColumns+`, f.stories FROM feeds f ORDER BY f.id`)
	if err != nil {
		return nil, fmt.Errorf("feed health: %w", err)
	}
	defer rows.Close()
	var out []FeedState
	for rows.Next() {
		var n int
		f, err := scanFeedState(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("feed health: %w", err)
		}
		f.Stories = n
		out = append(out, f)
	}
	return out, rows.Err()
}
