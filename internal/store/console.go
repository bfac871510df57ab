package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// The queries behind the operator console and its CLI twins: listings of
// matches, single stories with their sightings, and labels.

// ErrNotFound is returned when a story asked for by id or URL is not stored.
var ErrNotFound = errors.New("not found")

// MatchQuery filters MatchedStories. Zero values match everything.
type MatchQuery struct {
	Topic string    // only stories matching this topic; "" any topic
	Feed  string    // only stories carried by this feed; "" any feed
	Since time.Time // first seen at or after
	Until time.Time // first seen before
	// Before continues a listing after its last row: stories first seen
	// before BeforeSeen, or then with a smaller id.
	BeforeSeen time.Time
	BeforeID   int64
	Limit      int // default 100
}

// MatchedStory is a story with every topic it matched. Its Text is left
// empty: listings show the summary.
type MatchedStory struct {
	Story
	Matches []Match // by topic id
	// Evidence is set by AttachEvidence for a story with an evidence
	// record; nil otherwise.
	Evidence *StoryEvidence
}

// Topics returns the ids of the topics the story matched.
func (m *MatchedStory) Topics() []string {
	out := make([]string, len(m.Matches))
	for i, x := range m.Matches {
		out[i] = x.Topic
	}
	return out
}

// MatchedStories lists matched stories, newest first seen first.
func (s *Store) MatchedStories(ctx context.Context, q MatchQuery) ([]MatchedStory, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var where []string
	var args []any
	// EXISTS rather than IN (SELECT story_id FROM matches …): SQLite then
	// walks stories newest first on the first_seen index and stops at the
	// limit, about 1/share stories per story listed; the IN list read every
	// match of the archive and sorted their stories, 0.2 s for a page at a
	// million stories (docs/performance.md).
	if q.Topic != "" {
		where = append(where, `EXISTS (SELECT 1 FROM matches m WHERE m.story_id = st.id AND m.topic = ?)`)
		args = append(args, q.Topic)
	} else {
		where = append(where, `EXISTS (SELECT 1 FROM matches m WHERE m.story_id = st.id)`)
	}
	if q.Feed != "" {
		where = append(where, `st.id IN (SELECT story_id FROM sightings WHERE feed_id = ?)`)
		args = append(args, q.Feed)
	}
	if !q.Since.IsZero() {
		where = append(where, `st.first_seen_at >= ?`)
		args = append(args, fmtTime(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, `st.first_seen_at < ?`)
		args = append(args, fmtTime(q.Until))
	}
	if !q.BeforeSeen.IsZero() {
		where = append(where, `(st.first_seen_at, st.id) < (?, ?)`)
		args = append(args, fmtTime(q.BeforeSeen), q.BeforeID)
	}
	args = append(args, limit)
	stories, err := s.queryStories(ctx, false, `WHERE `+strings.Join(where, " AND ")+
		` ORDER BY st.first_seen_at DESC, st.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("matched stories: %w", err)
	}
	out := make([]MatchedStory, len(stories))
	byID := make(map[int64]*MatchedStory, len(stories))
	ids := make([]int64, len(stories))
	for i := range stories {
		out[i].Story = stories[i]
		byID[stories[i].ID] = &out[i]
		ids[i] = stories[i].ID
	}
	if err := s.eachMatch(ctx, ids, func(m Match) { byID[m.StoryID].Matches = append(byID[m.StoryID].Matches, m) }); err != nil {
		return nil, fmt.Errorf("matched stories: %w", err)
	}
	return out, nil
}

// storyColumns are read by scanStory; the text column is left out of
// listings, where it would be read only to be dropped.
func storyColumns(withText bool) string {
	text, article := `''`, `''`
	if withText {
		text, article = `st.text`, `st.article`
	}
	return `st.id, COALESCE(st.url, ''), st.title, st.summary, ` + text + `, st.author, st.lang,
       st.published_at, st.first_seen_at, st.updated_at,
       (SELECT group_concat(feed_id, ' ') FROM (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id)),
       COALESCE(st.rules_version, ''), st.cut, ` + article + `, st.credited`
}

func (s *Store) queryStories(ctx context.Context, withText bool, tail string, args ...any) ([]Story, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+storyColumns(withText)+` FROM stories st `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Story
	for rows.Next() {
		var st Story
		var pub, seen, upd, feeds sql.NullString
		if err := rows.Scan(&st.ID, &st.URL, &st.Title, &st.Summary, &st.Text, &st.Author, &st.Lang,
			&pub, &seen, &upd, &feeds, &st.RulesVersion, &st.Cut, &st.Article, &st.Credited); err != nil {
			return nil, err
		}
		st.PublishedAt, st.FirstSeenAt, st.UpdatedAt = parseTime(pub), parseTime(seen), parseTime(upd)
		st.Feeds = strings.Fields(feeds.String)
		out = append(out, st)
	}
	return out, rows.Err()
}

// eachMatch calls fn for every stored match of the stories, by story then topic.
// MatchesOf returns the matches of the stories with these ids, by story
// then topic.
func (s *Store) MatchesOf(ctx context.Context, ids []int64) ([]Match, error) {
	var out []Match
	if err := s.eachMatch(ctx, ids, func(m Match) { out = append(out, m) }); err != nil {
		return nil, fmt.Errorf("matches of %d stories: %w", len(ids), err)
	}
	return out, nil
}

func (s *Store) eachMatch(ctx context.Context, ids []int64, fn func(Match)) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT story_id, topic, hits, rules_version, matched_at
FROM matches WHERE story_id IN (SELECT value FROM json_each(?)) ORDER BY story_id, topic`, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m Match
		var hits string
		var at sql.NullString
		if err := rows.Scan(&m.StoryID, &m.Topic, &hits, &m.RulesVersion, &at); err != nil {
			return err
		}
		if m.Hits, err = parseHits(hits); err != nil {
			return fmt.Errorf("story %d, topic %s: hits: %w", m.StoryID, m.Topic, err)
		}
		m.MatchedAt = parseTime(at)
		fn(m)
	}
	return rows.Err()
}

// Story returns one story with its full text.
func (s *Store) Story(ctx context.Context, id int64) (*Story, error) {
	return s.oneStory(ctx, `WHERE st.id = ?`, id)
}

// StoryByURL returns the story stored under a canonical URL.
func (s *Store) StoryByURL(ctx context.Context, canonicalURL string) (*Story, error) {
	return s.oneStory(ctx, `WHERE st.url = ?`, canonicalURL)
}

func (s *Store) oneStory(ctx context.Context, where string, arg any) (*Story, error) {
	got, err := s.queryStories(ctx, true, where, arg)
	if err != nil {
		return nil, fmt.Errorf("story %v: %w", arg, err)
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("story %v: %w", arg, ErrNotFound)
	}
	return &got[0], nil
}

// StoriesByID returns the stories with these ids, with their matches and
// without their text, in the order of ids; ids not stored are skipped.
func (s *Store) StoriesByID(ctx context.Context, ids []int64) ([]MatchedStory, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	stories, err := s.queryStories(ctx, false, `WHERE st.id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("stories by id: %w", err)
	}
	byID := make(map[int64]*MatchedStory, len(stories))
	for i := range stories {
		byID[stories[i].ID] = &MatchedStory{Story: stories[i]}
	}
	if err := s.eachMatch(ctx, ids, func(m Match) { byID[m.StoryID].Matches = append(byID[m.StoryID].Matches, m) }); err != nil {
		return nil, fmt.Errorf("stories by id: %w", err)
	}
	out := make([]MatchedStory, 0, len(stories))
	for _, id := range ids {
		if m := byID[id]; m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// Sighting is one feed carrying a story.
type Sighting struct {
	FeedID      string
	FeedName    string
	ItemKey     string // the item's GUID, else its link
	FirstSeenAt time.Time
}

// Sightings returns the feeds that carried a story, first sighting first.
func (s *Store) Sightings(ctx context.Context, storyID int64) ([]Sighting, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT si.feed_id, COALESCE(f.name, ''), si.item_key, si.first_seen_at
FROM sightings si LEFT JOIN feeds f ON f.id = si.feed_id WHERE si.story_id = ? ORDER BY si.first_seen_at, si.feed_id`, storyID)
	if err != nil {
		return nil, fmt.Errorf("sightings of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var out []Sighting
	for rows.Next() {
		var si Sighting
		var at sql.NullString
		if err := rows.Scan(&si.FeedID, &si.FeedName, &si.ItemKey, &at); err != nil {
			return nil, fmt.Errorf("sightings of story %d: %w", storyID, err)
		}
		si.FirstSeenAt = parseTime(at)
		out = append(out, si)
	}
	return out, rows.Err()
}

// FeedStoryCounts returns, per feed, how many stories it carried that were
// first seen (by that feed) at or after since: /sources turns it into a rate.
func (s *Store) FeedStoryCounts(ctx context.Context, since time.Time) (map[string]int, error) {
	// Named index: left to itself the planner reads the whole table in
	// feed order to group without sorting, where the range of a week is a
	// few thousand rows of the first_seen index.
	rows, err := s.read.QueryContext(ctx, `SELECT feed_id, COUNT(*) FROM sightings INDEXED BY sightings_seen
        WHERE first_seen_at >= ? GROUP BY feed_id`, fmtTime(since))
	if err != nil {
		return nil, fmt.Errorf("feed story counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("feed story counts: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// Label is an operator's judgement of a story for a topic.
type Label struct {
	StoryID    int64
	Topic      string
	Relevant   bool
	Note       string
	LabelledAt time.Time
}

// SetLabel records (or replaces) a label.
func (s *Store) SetLabel(ctx context.Context, l Label) error {
	if l.LabelledAt.IsZero() {
		l.LabelledAt = s.now()
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO labels (story_id, topic, relevant, note, labelled_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (story_id, topic) DO UPDATE SET relevant = excluded.relevant, note = excluded.note, labelled_at = excluded.labelled_at`,
		l.StoryID, l.Topic, l.Relevant, l.Note, fmtTime(l.LabelledAt))
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("label story %d: %w", l.StoryID, ErrNotFound)
		}
		return fmt.Errorf("label story %d, topic %s: %w", l.StoryID, l.Topic, err)
	}
	return nil
}

// ClearLabel removes a label; removing one that does not exist is no error.
func (s *Store) ClearLabel(ctx context.Context, storyID int64, topic string) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM labels WHERE story_id = ? AND topic = ?`, storyID, topic); err != nil {
		return fmt.Errorf("clear label of story %d, topic %s: %w", storyID, topic, err)
	}
	return nil
}

// Labels returns the labels of the given stories (every label when ids is
// nil), by story then topic.
func (s *Store) Labels(ctx context.Context, ids []int64) ([]Label, error) {
	query := `SELECT story_id, topic, relevant, note, labelled_at FROM labels`
	var args []any
	if ids != nil {
		list, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		query += ` WHERE story_id IN (SELECT value FROM json_each(?))`
		args = append(args, string(list))
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY story_id, topic`, args...)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		var l Label
		var at sql.NullString
		if err := rows.Scan(&l.StoryID, &l.Topic, &l.Relevant, &l.Note, &at); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		l.LabelledAt = parseTime(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// LabelledStories returns every labelled story with its full text, by id,
// and the labels, for export as labelled JSONL.
func (s *Store) LabelledStories(ctx context.Context) ([]Story, []Label, error) {
	stories, err := s.queryStories(ctx, true, `WHERE st.id IN (SELECT story_id FROM labels) ORDER BY st.id`)
	if err != nil {
		return nil, nil, fmt.Errorf("labelled stories: %w", err)
	}
	labels, err := s.Labels(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	return stories, labels, nil
}

// FieldHits returns the hits found in one field: a page marks them in
// that field's text.
func (m Match) FieldHits(f match.Field) []match.Hit {
	var out []match.Hit
	for _, h := range m.Hits {
		if h.Field == f {
			out = append(out, h)
		}
	}
	return out
}
