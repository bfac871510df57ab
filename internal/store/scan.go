package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// ScanStory is what matching needs of a stored story, and what a listing of
// its result shows.
type ScanStory struct {
	ID          int64
	URL         string
	Title       string
	Summary     string
	Text        string
	Article     string
	FirstSeenAt time.Time
	Feeds       []string // ids of the feeds that carried it, in id order
}

// MatchStory is what the rules see of the story carried by feeds with the
// given tags; the same as Story.MatchStory, so the lab and a rematch agree.
func (s *ScanStory) MatchStory(tags []string) match.Story {
	return matchStory(s.Title, s.Summary, s.Text, s.Article, tags)
}

// ScanBatch is how many stories ScanStories hands over at a time: enough to
// keep a worker busy for a while between channel hand-offs, few enough that
// the first batch arrives at once.
const ScanBatch = 512

// ScanStories calls fn with every story first seen at or after since (zero:
// every story), in id order, ScanBatch at a time. Each batch is a slice of
// its own, which fn may keep. An error from fn stops the scan and is
// returned unwrapped.
//
// Each batch is one short read, not one statement held open for the whole
// archive: fn may be slow (the lab hands batches to busy workers), and an
// open read would keep the WAL from being checkpointed meanwhile.
func (s *Store) ScanStories(ctx context.Context, since time.Time, fn func(batch []ScanStory) error) error {
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("scan stories: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 1073741824`); err != nil {
		return fmt.Errorf("scan stories: %w", err)
	}
	sc, err := prepareScan(ctx, conn)
	if err != nil {
		return err
	}
	defer sc.close()
	sinceText := sinceArg(since)
	next, err := sc.firstID(ctx, sinceText)
	if err != nil || next < 0 {
		return err
	}
	for {
		batch, err := sc.batch(ctx, next, sinceText)
		if err != nil || len(batch) == 0 {
			return err
		}
		if err := fn(batch); err != nil {
			return err
		}
		next = batch[len(batch)-1].ID + 1
	}
}

// scanStmts are the statements of one scan, prepared once on its connection.
type scanStmts struct {
	first, stories, sightings *sql.Stmt
}

func prepareScan(ctx context.Context, conn *sql.Conn) (*scanStmts, error) {
	sc := &scanStmts{}
	for _, p := range []struct {
		stmt **sql.Stmt
		q    string
	}{
		// The smallest id is exact where "the first story seen since" is
		// not: ids are handed out as stories are written, and first-seen
		// stamps could (with a clock set back) disagree with that order.
		{&sc.first, `SELECT MIN(id) FROM stories WHERE first_seen_at >= ?`},
		// The unary + keeps SQLite off the first_seen_at index: walking the
		// rowids from a start is what a page in id order needs, where the
		// index would have it collect and sort the whole period per page.
		{&sc.stories, `SELECT ` + scanColumns + ` FROM stories
            WHERE id >= ? AND +first_seen_at >= ? ORDER BY id LIMIT ?`},
		// One query for the sightings of a page's id range, not a subquery
		// per story, and one the sightings_story index answers alone: it
		// holds the feed id (part of the primary key) but not when the feed
		// first carried the story, so feeds come in id order rather than
		// in order of sighting, which matching does not care about. See
		// docs/performance.md, "Rules lab".
		{&sc.sightings, `SELECT story_id, feed_id FROM sightings WHERE story_id BETWEEN ? AND ?
            ORDER BY story_id, feed_id`},
	} {
		stmt, err := conn.PrepareContext(ctx, p.q)
		if err != nil {
			sc.close()
			return nil, fmt.Errorf("scan stories: %w", err)
		}
		*p.stmt = stmt
	}
	return sc, nil
}

func (sc *scanStmts) close() {
	for _, st := range []*sql.Stmt{sc.first, sc.stories, sc.sightings} {
		if st != nil {
			st.Close()
		}
	}
}

// firstID returns the smallest id of a story first seen at or after since,
// or -1 when there is none.
func (sc *scanStmts) firstID(ctx context.Context, since any) (int64, error) {
	var id sql.NullInt64
	if err := sc.first.QueryRowContext(ctx, since).Scan(&id); err != nil {
		return 0, fmt.Errorf("scan stories: %w", err)
	}
	if !id.Valid {
		return -1, nil
	}
	return id.Int64, nil
}

// batch reads up to ScanBatch stories from id from on, with their feeds.
func (sc *scanStmts) batch(ctx context.Context, from int64, since any) ([]ScanStory, error) {
	rows, err := sc.stories.QueryContext(ctx, from, since, ScanBatch)
	if err != nil {
		return nil, fmt.Errorf("scan stories from id %d: %w", from, err)
	}
	defer rows.Close()
	batch, err := scanStoryRows(rows, make([]ScanStory, 0, ScanBatch))
	if err != nil {
		return nil, fmt.Errorf("scan stories from id %d: %w", from, err)
	}
	if len(batch) == 0 {
		return nil, nil
	}
	return batch, sc.addFeeds(ctx, batch)
}

// addFeeds fills in the feeds of a batch, which is in id order. The range
// holds the sightings of stories the period leaves out too; they are
// skipped.
func (sc *scanStmts) addFeeds(ctx context.Context, batch []ScanStory) error {
	lo, hi := batch[0].ID, batch[len(batch)-1].ID
	rows, err := sc.sightings.QueryContext(ctx, lo, hi)
	if err != nil {
		return fmt.Errorf("scan sightings of stories %d-%d: %w", lo, hi, err)
	}
	defer rows.Close()
	if err := addFeedRows(rows, batch); err != nil {
		return fmt.Errorf("scan sightings of stories %d-%d: %w", lo, hi, err)
	}
	return nil
}

// sinceArg is the bound of "first seen at or after since": the empty string,
// before every stored time, for the zero time.
func sinceArg(since time.Time) any {
	if since.IsZero() {
		return ""
	}
	return fmtTime(since)
}

// CountStories counts the stories first seen at or after since (zero:
// every story), from the first_seen_at index alone.
func (s *Store) CountStories(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM stories WHERE first_seen_at >= ?`, sinceArg(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

// ChangedStoryIDs returns, in id order, the stories first seen at or after
// since whose text was written (stored or updated) at or after changed, or
// which a feed carried for the first time at or after changed, or whose
// captured article was set at or after changed: what a copy
// of the period's stories taken before changed must read again. Times are
// the writers' clocks, stamped when a write transaction starts, so a reader
// asks with some slack before its last look.
func (s *Store) ChangedStoryIDs(ctx context.Context, since, changed time.Time) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM stories
        WHERE id IN (SELECT id FROM stories WHERE updated_at >= ?1 UNION SELECT story_id FROM sightings WHERE first_seen_at >= ?1
                     UNION SELECT id FROM stories WHERE article_at >= ?1)
          AND first_seen_at >= ?2
        ORDER BY id`, fmtTime(changed), sinceArg(since))
	if err != nil {
		return nil, fmt.Errorf("find changed stories: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find changed stories: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find changed stories: %w", err)
	}
	return ids, nil
}

// ScanStoriesByID reads the given stories with their feeds, as ScanStories
// hands them over, in id order. Ids with no story are left out.
func (s *Store) ScanStoriesByID(ctx context.Context, ids []int64) ([]ScanStory, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	stories, err := s.storiesWhere(ctx, `id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	return stories, s.feedsWhere(ctx, stories, `story_id IN (SELECT value FROM json_each(?))`, string(list))
}

func (s *Store) storiesWhere(ctx context.Context, where string, arg any) ([]ScanStory, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+scanColumns+` FROM stories WHERE `+where+` ORDER BY id`, arg)
	if err != nil {
		return nil, fmt.Errorf("read stories: %w", err)
	}
	defer rows.Close()
	out, err := scanStoryRows(rows, nil)
	if err != nil {
		return nil, fmt.Errorf("read stories: %w", err)
	}
	return out, nil
}

// scanColumns are what scanStoryRows reads, in its order.
const scanColumns = `id, COALESCE(url, ''), title, summary, text, article, first_seen_at`

// scanStoryRows appends the stories of rows selecting scanColumns to out.
func scanStoryRows(rows *sql.Rows, out []ScanStory) ([]ScanStory, error) {
	for rows.Next() {
		var st ScanStory
		var seen sql.NullString
		if err := rows.Scan(&st.ID, &st.URL, &st.Title, &st.Summary, &st.Text, &st.Article, &seen); err != nil {
			return nil, err
		}
		st.FirstSeenAt = parseTime(seen)
		out = append(out, st)
	}
	return out, rows.Err()
}

// feedsWhere fills in the feeds of stories (in id order) from the sightings
// the condition selects.
func (s *Store) feedsWhere(ctx context.Context, stories []ScanStory, where string, arg any) error {
	rows, err := s.read.QueryContext(ctx, `SELECT story_id, feed_id FROM sightings WHERE `+where+` ORDER BY story_id, feed_id`, arg)
	if err != nil {
		return fmt.Errorf("read sightings: %w", err)
	}
	defer rows.Close()
	if err := addFeedRows(rows, stories); err != nil {
		return fmt.Errorf("read sightings: %w", err)
	}
	return nil
}

// addFeedRows adds the feed of each (story_id, feed_id) row to its story in
// stories, which is in id order; rows of other stories are skipped.
func addFeedRows(rows *sql.Rows, stories []ScanStory) error {
	for rows.Next() {
		var id int64
		var feedID string
		if err := rows.Scan(&id, &feedID); err != nil {
			return err
		}
		if i, ok := slices.BinarySearchFunc(stories, id, func(s ScanStory, id int64) int { return cmp.Compare(s.ID, id) }); ok {
			stories[i].Feeds = append(stories[i].Feeds, feedID)
		}
	}
	return rows.Err()
}
