package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// DigestStatus is where a digest is in its delivery.
type DigestStatus string

const (
	DigestPending DigestStatus = "pending" // built and stored; not (yet) accepted by the server
	DigestSent    DigestStatus = "sent"    // accepted: never sent again
	DigestFailed  DigestStatus = "failed"  // refused for good, or superseded by a later period
)

// DigestRecord is one row of the digest ledger: a recipient's digest for a
// period, with the message as built, so that a resend is the same message.
type DigestRecord struct {
	Recipient   string // lower-cased address
	Period      string // local date of the scheduled send, "2026-11-26"
	WindowStart time.Time
	WindowEnd   time.Time
	Status      DigestStatus
	MessageID   string
	From        string
	To          string // the address as configured, for the To: header
	ToName      string
	Subject     string
	Date        time.Time
	Text        string
	HTML        string
	StoryIDs    []int64
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	SentAt      time.Time
}

// ErrNoDigest is returned when a ledger row that should exist does not.
var ErrNoDigest = errors.New("no such digest")

const digestColumns = `recipient, period, window_start, window_end, status, message_id, from_addr, to_addr, to_name, subject,
    date, text_body, html_body, story_ids, attempts, last_error, created_at, sent_at`

func scanDigest(sc interface{ Scan(...any) error }) (*DigestRecord, error) {
	var d DigestRecord
	var start, end, date, created, sent sql.NullString
	var ids string
	if err := sc.Scan(&d.Recipient, &d.Period, &start, &end, &d.Status, &d.MessageID, &d.From, &d.To, &d.ToName, &d.Subject,
		&date, &d.Text, &d.HTML, &ids, &d.Attempts, &d.LastError, &created, &sent); err != nil {
		return nil, err
	}
	d.WindowStart, d.WindowEnd, d.Date = parseTime(start), parseTime(end), parseTime(date)
	d.CreatedAt, d.SentAt = parseTime(created), parseTime(sent)
	if err := json.Unmarshal([]byte(ids), &d.StoryIDs); err != nil {
		return nil, fmt.Errorf("digest %s/%s: story ids: %w", d.Recipient, d.Period, err)
	}
	return &d, nil
}

// DigestWindowStart is where the recipient's next digest starts: the end of
// the window of their latest sent digest. Failed digests do not count, so
// their stories go into the next one; before any digest was sent, that is
// the start of the first one built (a first digest refused for good must
// not lose its stories either). Zero for a recipient with no digests yet.
func (s *Store) DigestWindowStart(ctx context.Context, recipient string) (time.Time, error) {
	var start sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(
            (SELECT MAX(window_end) FROM digests WHERE recipient = ?1 AND status = 'sent'),
            (SELECT MIN(window_start) FROM digests WHERE recipient = ?1))`,
		strings.ToLower(recipient)).Scan(&start)
	if err != nil {
		return time.Time{}, fmt.Errorf("last digest of %s: %w", recipient, err)
	}
	return parseTime(start), nil
}

// Digest returns the ledger row of a recipient's period, or nil when the
// digest has not been built.
func (s *Store) Digest(ctx context.Context, recipient, period string) (*DigestRecord, error) {
	return s.digest(ctx, s.read, recipient, period)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) digest(ctx context.Context, db queryRower, recipient, period string) (*DigestRecord, error) {
	d, err := scanDigest(db.QueryRowContext(ctx, `SELECT `+digestColumns+` FROM digests WHERE recipient = ? AND period = ?`,
		strings.ToLower(recipient), period))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("digest %s/%s: %w", recipient, period, err)
	}
	return d, nil
}

// CreateDigest stores a freshly built digest as pending, unless the period
// already has one: a digest is built once per period, and whoever stored it
// first wins. It returns the row as stored and whether this call created it.
//
// Older digests of the recipient still pending are marked failed as
// superseded: their stories are in this one, whose window starts where the
// last sent digest ended, so sending them too would repeat those stories.
func (s *Store) CreateDigest(ctx context.Context, d DigestRecord) (*DigestRecord, bool, error) {
	ids, err := json.Marshal(orEmpty(d.StoryIDs))
	if err != nil {
		return nil, false, fmt.Errorf("create digest: %w", err)
	}
	recipient := strings.ToLower(d.Recipient)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("create digest: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO digests (`+digestColumns+`)
        VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, NULL) ON CONFLICT DO NOTHING`,
		recipient, d.Period, fmtTime(d.WindowStart), fmtTime(d.WindowEnd), d.MessageID, d.From, d.To, d.ToName, d.Subject,
		fmtTime(d.Date), d.Text, d.HTML, string(ids), fmtTime(d.CreatedAt))
	if err != nil {
		return nil, false, fmt.Errorf("create digest %s/%s: %w", recipient, d.Period, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, fmt.Errorf("create digest %s/%s: %w", recipient, d.Period, err)
	}
	if n > 0 {
		_, err = tx.ExecContext(ctx, `UPDATE digests SET status = 'failed', last_error = ?
            WHERE recipient = ? AND period < ? AND status = 'pending'`,
			"superseded by the digest of "+d.Period+", which carries its stories", recipient, d.Period)
		if err != nil {
			return nil, false, fmt.Errorf("create digest %s/%s: supersede: %w", recipient, d.Period, err)
		}
	}
	row, err := s.digest(ctx, tx, recipient, d.Period)
	if err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("create digest %s/%s: %w", recipient, d.Period, err)
	}
	return row, n > 0, nil
}

func orEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{} // "[]", never "null"
	}
	return ids
}

// DigestSent records that the server accepted the digest after attempts
// more tries.
func (s *Store) DigestSent(ctx context.Context, recipient, period string, attempts int, at time.Time) error {
	return s.updatePending(ctx, recipient, period, `status = 'sent', attempts = attempts + ?, last_error = '', sent_at = ?`,
		attempts, fmtTime(at))
}

// DigestFailed records failed attempts. A temporary failure leaves the
// digest pending, to be sent again by the next run; a permanent one marks it
// failed, and it is not retried.
func (s *Store) DigestFailed(ctx context.Context, recipient, period string, attempts int, lastError string, permanent bool) error {
	status := DigestPending
	if permanent {
		status = DigestFailed
	}
	return s.updatePending(ctx, recipient, period, `status = ?, attempts = attempts + ?, last_error = ?`,
		string(status), attempts, lastError)
}

// updatePending applies set to a pending digest. Only pending digests
// change: a sent one stays sent whatever a slower process reports.
func (s *Store) updatePending(ctx context.Context, recipient, period, set string, args ...any) error {
	args = append(args, strings.ToLower(recipient), period)
	res, err := s.write.ExecContext(ctx, `UPDATE digests SET `+set+` WHERE recipient = ? AND period = ? AND status = 'pending'`, args...)
	if err != nil {
		return fmt.Errorf("update digest %s/%s: %w", recipient, period, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("update digest %s/%s: %w (or it is no longer pending)", recipient, period, ErrNoDigest)
	}
	return nil
}

// RecentDigests lists the ledger, latest period first, without the message
// bodies.
func (s *Store) RecentDigests(ctx context.Context, limit int) ([]DigestRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+strings.NewReplacer("text_body", "''", "html_body", "''").Replace(digestColumns)+`
        FROM digests ORDER BY period DESC, recipient LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list digests: %w", err)
	}
	defer rows.Close()
	var out []DigestRecord
	for rows.Next() {
		d, err := scanDigest(rows)
		if err != nil {
			return nil, fmt.Errorf("list digests: %w", err)
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// DigestStory is a candidate for a digest: a stored story with its matches
// and the feeds that carried it.
type DigestStory struct {
	ID          int64
	URL         string
	Title       string
	Summary     string
	Text        string
	Lang        string
	PublishedAt time.Time
	FirstSeenAt time.Time
	Feeds       []FeedRef // that carried it, first sighting first; names as last synced
	Credited    string    // the outlet an aggregator's item credits (feed.Item.Credited); "" if none
	Matches     map[string][]match.Hit
	// LateTopics are, for a story first seen before the window, the topics
	// its captured article brought within the window: a story whose feed
	// text was too thin to match, matched once its page was read.
	LateTopics []string
	late       bool   // first seen before the window, in it for its article
	articleAt  string // stories.article_at as stored, for late ones
}

// DigestStories returns the stories first seen in [start, end) that matched
// at least one topic, and those first seen before start that their article
// made match a topic in [start, end) (LateTopics), oldest first, with their
// matches and feeds. The three
// queries run in one read transaction, so they see the same database.
func (s *Store) DigestStories(ctx context.Context, start, end time.Time) ([]DigestStory, error) {
	// Wait for the write lock once: a poll that stamped stories before end
	// may not have committed them yet, and they would fall between this
	// window and the next. Writes that start after this have first_seen_at
	// after now, which is after end.
	barrier, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("digest stories: wait for writers: %w", err)
	}
	barrier.Rollback()
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("digest stories: %w", err)
	}
	defer tx.Rollback()
	stories, byID, err := digestStoryRows(ctx, tx, fmtTime(start), fmtTime(end))
	if err != nil {
		return nil, fmt.Errorf("digest stories: %w", err)
	}
	if len(stories) == 0 {
		return nil, nil
	}
	// The window's stories are found once; their matches and feeds are
	// then read by id, on the primary key and the sightings_story index.
	ids := make([]int64, len(stories))
	for i := range stories {
		ids[i] = stories[i].ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("digest stories: %w", err)
	}
	if err := digestMatchRows(ctx, tx, string(list), byID); err != nil {
		return nil, fmt.Errorf("digest stories: matches: %w", err)
	}
	if err := digestFeedRows(ctx, tx, string(list), byID); err != nil {
		return nil, fmt.Errorf("digest stories: feeds: %w", err)
	}
	return stories, nil
}

// The matched stories of the window, oldest first; the index on
// first_seen_at serves it, with one look at matches' primary key a story.
// The second part is the late ones: first seen before the window, with a
// topic their article brought within it. Such a topic has matched_at equal
// to the story's article_at (Store.setArticle), and the index on article_at
// finds those few.
func digestStoryRows(ctx context.Context, tx *sql.Tx, from, to any) ([]DigestStory, map[int64]*DigestStory, error) {
	rows, err := tx.QueryContext(ctx, `SELECT st.id, COALESCE(st.url, ''), st.title, st.summary, st.text, st.lang,
        st.published_at, st.first_seen_at, 0, '', st.credited FROM stories st WHERE st.first_seen_at >= ?1 AND st.first_seen_at < ?2
        AND EXISTS (SELECT 1 FROM matches m WHERE m.story_id = st.id)
        UNION ALL
        SELECT st.id, COALESCE(st.url, ''), st.title, st.summary, st.text, st.lang,
        st.published_at, st.first_seen_at, 1, st.article_at, st.credited FROM stories st
        WHERE st.article_at >= ?1 AND st.article_at < ?2 AND st.first_seen_at < ?1
        AND EXISTS (SELECT 1 FROM matches m WHERE m.story_id = st.id AND m.matched_at = st.article_at)
        ORDER BY 8, 1`, from, to)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []DigestStory
	for rows.Next() {
		var d DigestStory
		var pub, seen sql.NullString
		if err := rows.Scan(&d.ID, &d.URL, &d.Title, &d.Summary, &d.Text, &d.Lang, &pub, &seen, &d.late, &d.articleAt, &d.Credited); err != nil {
			return nil, nil, err
		}
		d.PublishedAt, d.FirstSeenAt = parseTime(pub), parseTime(seen)
		d.Matches = map[string][]match.Hit{}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]*DigestStory, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	return out, byID, nil
}

// digestMatchRows and digestFeedRows read the rows of the stories whose
// ids are in list, a JSON array.
func digestMatchRows(ctx context.Context, tx *sql.Tx, list string, byID map[int64]*DigestStory) error {
	rows, err := tx.QueryContext(ctx, `SELECT story_id, topic, hits, matched_at FROM matches
        WHERE story_id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var topic, hits, matchedAt string
		if err := rows.Scan(&id, &topic, &hits, &matchedAt); err != nil {
			return err
		}
		if d := byID[id]; d != nil && d.late && matchedAt == d.articleAt {
			d.LateTopics = append(d.LateTopics, topic)
		}
		var hs []match.Hit
		if hs, err = parseHits(hits); err != nil {
			return fmt.Errorf("story %d, topic %s: hits: %w", id, topic, err)
		}
		if d := byID[id]; d != nil {
			d.Matches[topic] = hs
		}
	}
	return rows.Err()
}

func digestFeedRows(ctx context.Context, tx *sql.Tx, list string, byID map[int64]*DigestStory) error {
	rows, err := tx.QueryContext(ctx, `SELECT s.story_id, f.id, f.name FROM sightings s JOIN feeds f ON f.id = s.feed_id
        WHERE s.story_id IN (SELECT value FROM json_each(?)) ORDER BY s.story_id, s.first_seen_at, f.id`, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var f FeedRef
		if err := rows.Scan(&id, &f.ID, &f.Name); err != nil {
			return err
		}
		if d := byID[id]; d != nil {
			d.Feeds = append(d.Feeds, f)
		}
	}
	return rows.Err()
}

// recentNewStories is how many of a feed's latest new-story times
// FeedActivity returns: enough for a steady median, few enough to stay cheap.
const recentNewStories = 21

// FeedActivity is what the digest's health footer needs to know of a feed.
type FeedActivity struct {
	ID, Name     string
	Failures     int       // consecutive
	FailingSince time.Time // start of the current run of failures; zero when the last fetch succeeded
	LastError    string
	Gone         bool
	// NewStories are the distinct times at which the feed carried items new
	// to it, oldest first: the latest recentNewStories of them.
	NewStories []time.Time
}

// FeedActivity returns every known feed's failures and recent new stories,
// ordered by id.
func (s *Store) FeedActivity(ctx context.Context) ([]FeedActivity, error) {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("feed activity: %w", err)
	}
	defer tx.Rollback()
	feeds, err := feedFailures(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("feed activity: %w", err)
	}
	if err := feedNewStories(ctx, tx, feeds); err != nil {
		return nil, fmt.Errorf("feed activity: %w", err)
	}
	return feeds, nil
}

func feedFailures(ctx context.Context, tx *sql.Tx) ([]FeedActivity, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, consecutive_failures, last_error, last_error_at, gone_at IS NOT NULL
        FROM feeds ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []FeedActivity
	for rows.Next() {
		var f FeedActivity
		var errAt sql.NullString
		if err := rows.Scan(&f.ID, &f.Name, &f.Failures, &f.LastError, &errAt, &f.Gone); err != nil {
			rows.Close()
			return nil, err
		}
		f.FailingSince = parseTime(errAt)
		out = append(out, f)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := failingSince(ctx, tx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// failingSince finds when the current run of failures began: every failure
// records a fetch and every success resets the count, so it is the start of
// the n-th latest fetch for n consecutive failures.
func failingSince(ctx context.Context, tx *sql.Tx, f *FeedActivity) error {
	if f.Failures == 0 {
		f.FailingSince = time.Time{}
		return nil
	}
	var at sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT started_at FROM fetches WHERE feed_id = ? ORDER BY started_at DESC, id DESC
        LIMIT 1 OFFSET ?`, f.ID, f.Failures-1).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows): // fewer fetches than failures: keep the last error's time
		return nil
	case err != nil:
		return fmt.Errorf("feed %s: %w", f.ID, err)
	}
	f.FailingSince = parseTime(at)
	return nil
}

func feedNewStories(ctx context.Context, tx *sql.Tx, feeds []FeedActivity) error {
	// One short query a feed on the index (feed_id, first_seen_at): a
	// window over every sighting of the archive took 1.5 s at a million
	// stories, where these take a few milliseconds together.
	stmt, err := tx.PrepareContext(ctx, `SELECT DISTINCT first_seen_at FROM sightings
        WHERE feed_id = ? ORDER BY first_seen_at DESC LIMIT ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range feeds {
		f := &feeds[i]
		rows, err := stmt.QueryContext(ctx, f.ID, recentNewStories)
		if err != nil {
			return err
		}
		for rows.Next() {
			var at sql.NullString
			if err := rows.Scan(&at); err != nil {
				rows.Close()
				return err
			}
			f.NewStories = append(f.NewStories, parseTime(at))
		}
		if err := rows.Close(); err != nil {
			return err
		}
		slices.Reverse(f.NewStories) // oldest first
	}
	return nil
}
