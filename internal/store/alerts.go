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

// AlertStatus is where an alert message is in its delivery.
type AlertStatus string

const (
	AlertPending AlertStatus = "pending" // written; not (yet) accepted by the receiver
	AlertSent    AlertStatus = "sent"    // the receiver answered 2xx: never sent again
	AlertFailed  AlertStatus = "failed"  // refused for good, or given up on
)

// AlertCandidate is a stored match of one of an alert's topics, with what
// the alerter needs to decide on it and to describe it.
type AlertCandidate struct {
	StoryID     int64
	URL         string
	Title       string
	Summary     string
	Text        string
	Article     string
	PublishedAt time.Time
	FirstSeenAt time.Time
	MatchedAt   time.Time // the latest of its matches to the alert's topics
	Feeds       []string  // ids of the feeds that carried it, first sighting first
	Topics      []string  // the alert's topics it matched, in the order asked
	Hits        []match.Hit
}

// MatchStory is what the rules see of the candidate carried by feeds with
// the given tags, as for a stored story.
func (c *AlertCandidate) MatchStory(tags []string) match.Story {
	return matchStory(c.Title, c.Summary, c.Text, c.Article, tags)
}

// AlertCursor returns how far the alert has read the matches, starting it
// at init when the alert is new: an alert added to the config pushes what
// matches from then on, not the archive.
func (s *Store) AlertCursor(ctx context.Context, alert string, init time.Time) (time.Time, error) {
	if _, err := s.write.ExecContext(ctx, `INSERT INTO alert_cursors (alert, matched_through) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		alert, fmtTime(init)); err != nil {
		return time.Time{}, fmt.Errorf("alert cursor %s: %w", alert, err)
	}
	var at sql.NullString
	if err := s.write.QueryRowContext(ctx, `SELECT matched_through FROM alert_cursors WHERE alert = ?`, alert).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("alert cursor %s: %w", alert, err)
	}
	return parseTime(at), nil
}

// AlertCandidates returns the stories that matched one of topics at or after
// since, in story order, each once with the topics it matched.
func (s *Store) AlertCandidates(ctx context.Context, topics []string, since time.Time) ([]AlertCandidate, error) {
	tj, err := json.Marshal(topics)
	if err != nil {
		return nil, fmt.Errorf("alert candidates: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT m.story_id, m.topic, m.hits, m.matched_at, COALESCE(st.url, ''), st.title, st.summary, st.text, st.article,
       st.published_at, st.first_seen_at,
       (SELECT group_concat(feed_id, ' ') FROM (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id))
FROM matches m JOIN stories st ON st.id = m.story_id
WHERE m.matched_at >= ? AND m.topic IN (SELECT value FROM json_each(?))
ORDER BY m.story_id`, fmtTime(since), string(tj))
	if err != nil {
		return nil, fmt.Errorf("alert candidates: %w", err)
	}
	defer rows.Close()
	var out []AlertCandidate
	for rows.Next() {
		var c AlertCandidate
		var topic, hits string
		var matched, pub, seen, feeds sql.NullString
		if err := rows.Scan(&c.StoryID, &topic, &hits, &matched, &c.URL, &c.Title, &c.Summary, &c.Text, &c.Article, &pub, &seen, &feeds); err != nil {
			return nil, fmt.Errorf("alert candidates: %w", err)
		}
		var h []match.Hit
		if h, err = parseHits(hits); err != nil {
			return nil, fmt.Errorf("alert candidates: hits of story %d: %w", c.StoryID, err)
		}
		if n := len(out); n > 0 && out[n-1].StoryID == c.StoryID {
			last := &out[n-1]
			last.Topics = append(last.Topics, topic)
			last.Hits = append(last.Hits, h...)
			last.MatchedAt = later(last.MatchedAt, parseTime(matched))
			continue
		}
		c.Topics, c.Hits, c.MatchedAt = []string{topic}, h, parseTime(matched)
		c.PublishedAt, c.FirstSeenAt = parseTime(pub), parseTime(seen)
		c.Feeds = strings.Fields(feeds.String)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert candidates: %w", err)
	}
	for i := range out {
		// Topics in the order asked, so a message lists them as configured.
		slices.SortStableFunc(out[i].Topics, func(a, b string) int {
			return slices.Index(topics, a) - slices.Index(topics, b)
		})
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// QueuedStory is a story an alert pushes, with what made it count.
type QueuedStory struct {
	StoryID int64
	Topics  []string
	Terms   []string
}

// QueueAlertStories queues stories for each of an alert's channels and moves
// the alert's cursor to through, in one transaction. A story already queued
// for a channel is left as it is: that is what makes a push happen once per
// story, alert and channel, whatever polls and restarts repeat. It returns
// how many (story, channel) pairs were new.
func (s *Store) QueueAlertStories(ctx context.Context, alert string, channels []string, stories []QueuedStory, at, through time.Time) (int, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("queue alert %s: %w", alert, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO alert_stories (alert, channel, story_id, topics, terms, queued_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("queue alert %s: %w", alert, err)
	}
	defer stmt.Close()
	added := 0
	for _, st := range stories {
		topics, _ := json.Marshal(orEmptyStrings(st.Topics))
		terms, _ := json.Marshal(orEmptyStrings(st.Terms))
		for _, ch := range channels {
			res, err := stmt.ExecContext(ctx, alert, ch, st.StoryID, string(topics), string(terms), fmtTime(at))
			if err != nil {
				return 0, fmt.Errorf("queue story %d for alert %s: %w", st.StoryID, alert, err)
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alert_cursors SET matched_through = ? WHERE alert = ? AND matched_through < ?`,
		fmtTime(through), alert, fmtTime(through)); err != nil {
		return 0, fmt.Errorf("queue alert %s: cursor: %w", alert, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("queue alert %s: %w", alert, err)
	}
	return added, nil
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AlertStory is a queued story as a message shows it.
type AlertStory struct {
	StoryID     int64
	URL         string
	Title       string
	PublishedAt time.Time
	FirstSeenAt time.Time
	Feeds       []string
	Topics      []string
	Terms       []string
}

// AlertQueue is the state of one (alert, channel): what waits to be pushed
// and what the cooldown and the daily limit need to know.
type AlertQueue struct {
	Stories     []AlertStory // queued, not yet in a message nor held back
	LastMessage time.Time    // creation of the latest message (tests aside); zero: none yet
	SentSince   int          // messages created at or after the since given (tests aside)
	Overflow    []int64      // stories held back by max_per_day that no message has reported yet
}

// AlertQueue reads an (alert, channel)'s queue; SentSince counts messages
// created at or after since.
func (s *Store) AlertQueue(ctx context.Context, alert, channel string, since time.Time) (*AlertQueue, error) {
	q := &AlertQueue{}
	var last sql.NullString
	if err := s.read.QueryRowContext(ctx, `SELECT MAX(created_at), COUNT(*) FILTER (WHERE created_at >= ?)
        FROM alerts WHERE alert = ? AND channel = ? AND NOT test`, fmtTime(since), alert, channel).Scan(&last, &q.SentSince); err != nil {
		return nil, fmt.Errorf("alert queue %s/%s: %w", alert, channel, err)
	}
	q.LastMessage = parseTime(last)
	rows, err := s.read.QueryContext(ctx, `
SELECT q.story_id, COALESCE(st.url, ''), st.title, st.published_at, st.first_seen_at, q.topics, q.terms, q.overflow_at IS NOT NULL,
       (SELECT group_concat(feed_id, ' ') FROM (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id))
FROM alert_stories q JOIN stories st ON st.id = q.story_id
WHERE q.alert = ? AND q.channel = ? AND q.message IS NULL AND NOT q.reported
ORDER BY st.first_seen_at, q.story_id`, alert, channel)
	if err != nil {
		return nil, fmt.Errorf("alert queue %s/%s: %w", alert, channel, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AlertStory
		var pub, seen, feeds sql.NullString
		var topics, terms string
		var over bool
		if err := rows.Scan(&a.StoryID, &a.URL, &a.Title, &pub, &seen, &topics, &terms, &over, &feeds); err != nil {
			return nil, fmt.Errorf("alert queue %s/%s: %w", alert, channel, err)
		}
		if over {
			q.Overflow = append(q.Overflow, a.StoryID)
			continue
		}
		a.PublishedAt, a.FirstSeenAt = parseTime(pub), parseTime(seen)
		a.Feeds = strings.Fields(feeds.String)
		if err := errors.Join(json.Unmarshal([]byte(topics), &a.Topics), json.Unmarshal([]byte(terms), &a.Terms)); err != nil {
			return nil, fmt.Errorf("alert queue %s/%s: story %d: %w", alert, channel, a.StoryID, err)
		}
		q.Stories = append(q.Stories, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alert queue %s/%s: %w", alert, channel, err)
	}
	return q, nil
}

// HoldAlertStories marks queued stories as held back by max_per_day: they
// are not pushed, the next message says how many there were, and the daily
// digest counts them.
func (s *Store) HoldAlertStories(ctx context.Context, alert, channel string, ids []int64, at time.Time) error {
	ij, _ := json.Marshal(ids)
	_, err := s.write.ExecContext(ctx, `UPDATE alert_stories SET overflow_at = ?
        WHERE alert = ? AND channel = ? AND message IS NULL AND overflow_at IS NULL AND story_id IN (SELECT value FROM json_each(?))`,
		fmtTime(at), alert, channel, string(ij))
	if err != nil {
		return fmt.Errorf("hold alert stories %s/%s: %w", alert, channel, err)
	}
	return nil
}

// AlertMessage is one row of the alert ledger.
type AlertMessage struct {
	ID            int64
	EventID       string
	Alert         string
	Channel       string
	Status        AlertStatus
	Test          bool
	Payload       []byte
	Stories       int
	Overflow      int
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	FirstFailedAt time.Time
	SentAt        time.Time
}

const alertColumns = `id, event_id, alert, channel, status, test, payload, stories, overflow, attempts, last_error,
    created_at, next_attempt_at, first_failed_at, sent_at`

func scanAlert(sc interface{ Scan(...any) error }) (*AlertMessage, error) {
	var m AlertMessage
	var payload string
	var created, next, failed, sent sql.NullString
	if err := sc.Scan(&m.ID, &m.EventID, &m.Alert, &m.Channel, &m.Status, &m.Test, &payload, &m.Stories, &m.Overflow,
		&m.Attempts, &m.LastError, &created, &next, &failed, &sent); err != nil {
		return nil, err
	}
	m.Payload = []byte(payload)
	m.CreatedAt, m.NextAttemptAt, m.FirstFailedAt, m.SentAt = parseTime(created), parseTime(next), parseTime(failed), parseTime(sent)
	return &m, nil
}

// CreateAlertMessage writes a message as pending, due at once, and files
// the stories it carries under it (and the held-back ones it reports as
// reported), in one transaction: from here on a crash leaves a pending
// message that is sent as it is, never a second message for its stories.
func (s *Store) CreateAlertMessage(ctx context.Context, m AlertMessage, storyIDs, reported []int64) (*AlertMessage, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create alert message: %w", err)
	}
	defer tx.Rollback()
	row := tx.QueryRowContext(ctx, `INSERT INTO alerts (event_id, alert, channel, status, test, payload, stories, overflow,
        attempts, last_error, created_at, next_attempt_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, 0, '', ?, ?)
        RETURNING `+alertColumns,
		m.EventID, m.Alert, m.Channel, m.Test, string(m.Payload), m.Stories, m.Overflow, fmtTime(m.CreatedAt), fmtTime(m.CreatedAt))
	out, err := scanAlert(row)
	if err != nil {
		return nil, fmt.Errorf("create alert message %s/%s: %w", m.Alert, m.Channel, err)
	}
	ij, _ := json.Marshal(storyIDs)
	if _, err := tx.ExecContext(ctx, `UPDATE alert_stories SET message = ?
        WHERE alert = ? AND channel = ? AND message IS NULL AND story_id IN (SELECT value FROM json_each(?))`,
		out.ID, m.Alert, m.Channel, string(ij)); err != nil {
		return nil, fmt.Errorf("create alert message %s/%s: %w", m.Alert, m.Channel, err)
	}
	rj, _ := json.Marshal(reported)
	if _, err := tx.ExecContext(ctx, `UPDATE alert_stories SET reported = 1
        WHERE alert = ? AND channel = ? AND overflow_at IS NOT NULL AND story_id IN (SELECT value FROM json_each(?))`,
		m.Alert, m.Channel, string(rj)); err != nil {
		return nil, fmt.Errorf("create alert message %s/%s: %w", m.Alert, m.Channel, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("create alert message %s/%s: %w", m.Alert, m.Channel, err)
	}
	return out, nil
}

// DueAlertMessages lists the pending messages (tests aside) whose next
// attempt is due at now, oldest first.
func (s *Store) DueAlertMessages(ctx context.Context, now time.Time) ([]AlertMessage, error) {
	return s.alertList(ctx, `SELECT `+alertColumns+` FROM alerts
        WHERE status = 'pending' AND NOT test AND next_attempt_at <= ? ORDER BY next_attempt_at, id`, fmtTime(now))
}

// NextAlertAttempt is when the earliest pending message (tests aside) is
// due; zero when none is pending.
func (s *Store) NextAlertAttempt(ctx context.Context) (time.Time, error) {
	var at sql.NullString
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM alerts WHERE status = 'pending' AND NOT test`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("next alert attempt: %w", err)
	}
	return parseTime(at), nil
}

// AlertMessages lists the ledger, newest first; limit <= 0 lists all.
func (s *Store) AlertMessages(ctx context.Context, limit int) ([]AlertMessage, error) {
	if limit <= 0 {
		limit = -1
	}
	return s.alertList(ctx, `SELECT `+alertColumns+` FROM alerts ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// AlertMessageByID reads one ledger row; nil when there is none.
func (s *Store) AlertMessageByID(ctx context.Context, id int64) (*AlertMessage, error) {
	m, err := scanAlert(s.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alert message %d: %w", id, err)
	}
	return m, nil
}

func (s *Store) alertList(ctx context.Context, query string, args ...any) ([]AlertMessage, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("alert ledger: %w", err)
	}
	defer rows.Close()
	var out []AlertMessage
	for rows.Next() {
		m, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alert ledger: %w", err)
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// AlertSent records that the receiver accepted message id. Like the digest
// ledger, only a pending row changes: a slow attempt cannot turn a message
// another one finished back.
func (s *Store) AlertSent(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE alerts SET status = 'sent', attempts = attempts + 1, last_error = '', sent_at = ?
        WHERE id = ? AND status = 'pending'`, fmtTime(at), id); err != nil {
		return fmt.Errorf("alert %d sent: %w", id, err)
	}
	return nil
}

// AlertAttemptFailed records a failed attempt at message id: permanent marks
// it failed, otherwise it stays pending, due again at next.
func (s *Store) AlertAttemptFailed(ctx context.Context, id int64, errText string, permanent bool, at, next time.Time) error {
	status := AlertPending
	if permanent {
		status = AlertFailed
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE alerts SET status = ?, attempts = attempts + 1, last_error = ?,
        next_attempt_at = ?, first_failed_at = COALESCE(first_failed_at, ?) WHERE id = ? AND status = 'pending'`,
		status, errText, fmtTime(next), fmtTime(at), id); err != nil {
		return fmt.Errorf("alert %d failed: %w", id, err)
	}
	return nil
}

// FailingChannel is an (alert, channel) whose messages have been failing.
type FailingChannel struct {
	Alert     string
	Channel   string
	Since     time.Time // the first failed attempt since its last accepted message
	LastError string
}

// FailingAlertChannels lists the channels (tests aside) with a message that
// first failed at or before `before` and nothing accepted since.
func (s *Store) FailingAlertChannels(ctx context.Context, before time.Time) ([]FailingChannel, error) {
	rows, err := s.read.QueryContext(ctx, `
SELECT f.alert, f.channel, MIN(f.first_failed_at),
       (SELECT last_error FROM alerts l WHERE l.alert = f.alert AND l.channel = f.channel AND l.first_failed_at IS NOT NULL
        ORDER BY l.first_failed_at DESC, l.id DESC LIMIT 1)
FROM alerts f
WHERE NOT f.test AND f.status != 'sent' AND f.first_failed_at IS NOT NULL
  AND f.first_failed_at > COALESCE((SELECT MAX(sent_at) FROM alerts s WHERE s.alert = f.alert AND s.channel = f.channel AND NOT s.test), '')
GROUP BY f.alert, f.channel
HAVING MIN(f.first_failed_at) <= ?
ORDER BY f.alert, f.channel`, fmtTime(before))
	if err != nil {
		return nil, fmt.Errorf("failing alert channels: %w", err)
	}
	defer rows.Close()
	var out []FailingChannel
	for rows.Next() {
		var f FailingChannel
		var since sql.NullString
		if err := rows.Scan(&f.Alert, &f.Channel, &since, &f.LastError); err != nil {
			return nil, fmt.Errorf("failing alert channels: %w", err)
		}
		f.Since = parseTime(since)
		out = append(out, f)
	}
	return out, rows.Err()
}

// AlertHeldBack counts, per alert, the distinct stories held back by
// max_per_day in [from, to).
func (s *Store) AlertHeldBack(ctx context.Context, from, to time.Time) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT alert, COUNT(DISTINCT story_id) FROM alert_stories
        WHERE overflow_at >= ? AND overflow_at < ? GROUP BY alert`, fmtTime(from), fmtTime(to))
	if err != nil {
		return nil, fmt.Errorf("alert overflow: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("alert overflow: %w", err)
		}
		out[a] = n
	}
	return out, rows.Err()
}
