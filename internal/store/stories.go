package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Story is a stored article with the feeds that carried it.
type Story struct {
	ID          int64
	URL         string
	Title       string
	Summary     string
	Text        string
	Author      string
	Lang        string
	PublishedAt time.Time
	FirstSeenAt time.Time
	UpdatedAt   time.Time
	Feeds       []string // ids of the feeds that carried it, first sighting first
}

// StoryQuery filters Stories. Zero values match everything.
type StoryQuery struct {
	Since time.Time // first seen at or after
	Limit int
}

// Stories lists stored stories, oldest first seen first.
func (s *Store) Stories(ctx context.Context, q StoryQuery) ([]Story, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	since := fmtTime(q.Since)
	if since == nil {
		since = ""
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT st.id, COALESCE(st.url, ''), st.title, st.summary, st.text, st.author, st.lang,
       st.published_at, st.first_seen_at, st.updated_at,
       (SELECT group_concat(feed_id, ' ') FROM (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id))
FROM stories st
WHERE st.first_seen_at >= ?
ORDER BY st.first_seen_at, st.id
LIMIT ?`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	defer rows.Close()
	var out []Story
	for rows.Next() {
		var st Story
		var pub, seen, upd sql.NullString
		var feeds sql.NullString
		if err := rows.Scan(&st.ID, &st.URL, &st.Title, &st.Summary, &st.Text, &st.Author, &st.Lang,
			&pub, &seen, &upd, &feeds); err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		st.PublishedAt, st.FirstSeenAt, st.UpdatedAt = parseTime(pub), parseTime(seen), parseTime(upd)
		st.Feeds = strings.Fields(feeds.String)
		out = append(out, st)
	}
	return out, rows.Err()
}

// Search runs a full-text query over titles and texts and returns the ids of
// matching stories, best match first. Terms of fewer than three characters
// cannot use the trigram index and match nothing.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.read.QueryContext(ctx,
		`SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rank LIMIT ?`, ftsPhrase(query), limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search %q: %w", query, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ftsPhrase quotes a user's text as one FTS5 string, so that operators and
// punctuation in it are searched for rather than parsed.
func ftsPhrase(q string) string {
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

// CountFetches returns how many fetch attempts are recorded for a feed.
func (s *Store) CountFetches(ctx context.Context, feedID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM fetches WHERE feed_id = ?`, feedID).Scan(&n)
	return n, err
}
