package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
)

// Match is a stored match of a story to a topic.
type Match struct {
	StoryID      int64
	Topic        string
	Hits         []match.Hit
	RulesVersion string    // the rules that last confirmed it
	MatchedAt    time.Time // when the story first matched the topic
}

// StoryMatches is the result of matching one stored story.
type StoryMatches struct {
	StoryID int64
	Results []match.Result // in config order; empty when nothing matched
}

// TopicChanges counts what a ReplaceMatches did to one topic.
type TopicChanges struct {
	Added   int // stories that match the topic now and did not before
	Removed int // stories that matched it before and no longer do
	Kept    int // stories that matched it before and still do
}

// MatchChanges is TopicChanges by topic id. Topics that are no longer
// configured appear with what was removed from them.
type MatchChanges map[string]TopicChanges

// Add sums other into c.
func (c MatchChanges) Add(other MatchChanges) {
	for topic, o := range other {
		t := c[topic]
		t.Added += o.Added
		t.Removed += o.Removed
		t.Kept += o.Kept
		c[topic] = t
	}
}

// ItemMatchStory is what the rules see of a feed item carried by a feed with
// the given tags. It must agree with StoryMatchStory on the stored story, so
// that matching at poll time and re-matching later give the same hits: the
// store keeps the content as text, or the summary when there is no content,
// so a body equal to the summary is not a field of its own.
func ItemMatchStory(it *feed.Item, tags []string) match.Story {
	return matchStory(it.Title, it.Summary, it.Content, "", tags)
}

// MatchStory is what the rules see of a stored story carried by feeds with
// the given tags (the tags of every feed that carried it).
func (s *Story) MatchStory(tags []string) match.Story {
	return matchStory(s.Title, s.Summary, s.Text, s.Article, tags)
}

func matchStory(title, summary, body, article string, tags []string) match.Story {
	if body == summary {
		body = ""
	}
	return match.Story{Title: title, Summary: summary, Content: body, Article: article, Tags: tags}
}

// itemMatches is an item's match results on its way to saveItem.
type itemMatches struct {
	version string // empty: the item was not matched
	results []match.Result
}

// matchStmts are the statements that write matches, prepared with the
// ingest statements because polling writes matches for every new story.
type matchStmts struct {
	matchTopics, upsertMatch, deleteMatch, setRulesVersion *sql.Stmt
}

func (m *matchStmts) prepare(prep func(string) *sql.Stmt) {
	m.matchTopics = prep(`SELECT topic FROM matches WHERE story_id = ?`)
	// A match that still holds keeps its matched_at: it says when the story
	// entered the topic, which a rematch or an edit does not change.
	m.upsertMatch = prep(`INSERT INTO matches (story_id, topic, hits, rules_version, matched_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (story_id, topic) DO UPDATE SET hits = excluded.hits, rules_version = excluded.rules_version`)
	m.deleteMatch = prep(`DELETE FROM matches WHERE story_id = ? AND topic = ?`)
	m.setRulesVersion = prep(`UPDATE stories SET rules_version = ? WHERE id = ?`)
}

// all and ptrs list the statements in the same order, for ingestStmts.in.
func (m *matchStmts) all() []*sql.Stmt {
	return []*sql.Stmt{m.matchTopics, m.upsertMatch, m.deleteMatch, m.setRulesVersion}
}

func (m *matchStmts) ptrs() []**sql.Stmt {
	return []**sql.Stmt{&m.matchTopics, &m.upsertMatch, &m.deleteMatch, &m.setRulesVersion}
}

// insertMatches stores the matches of a story that has none yet.
func (t *txIngest) insertMatches(storyID int64, version string, results []match.Result, at time.Time) error {
	for _, r := range results {
		hits, err := hitsJSON(r.Hits)
		if err != nil {
			return err
		}
		if err := t.exec(t.upsertMatch, storyID, r.Topic, hits, version, fmtTime(at)); err != nil {
			return fmt.Errorf("store match %d/%s: %w", storyID, r.Topic, err)
		}
	}
	return nil
}

// replaceMatches makes results the story's matches and returns what changed
// per topic. The caller records the rules version on the story.
func (t *txIngest) replaceMatches(storyID int64, version string, results []match.Result, at time.Time) (MatchChanges, error) {
	old, err := t.matchTopicsOf(storyID)
	if err != nil {
		return nil, err
	}
	changes := make(MatchChanges)
	for _, r := range results {
		tc := changes[r.Topic]
		if i := slices.Index(old, r.Topic); i >= 0 {
			tc.Kept++
			old = slices.Delete(old, i, i+1)
		} else {
			tc.Added++
		}
		changes[r.Topic] = tc
	}
	for _, topic := range old { // left over: no longer matched
		if err := t.exec(t.deleteMatch, storyID, topic); err != nil {
			return nil, fmt.Errorf("delete match %d/%s: %w", storyID, topic, err)
		}
		tc := changes[topic]
		tc.Removed++
		changes[topic] = tc
	}
	if err := t.insertMatches(storyID, version, results, at); err != nil {
		return nil, err
	}
	return changes, nil
}

func (t *txIngest) matchTopicsOf(storyID int64) ([]string, error) {
	rows, err := t.matchTopics.QueryContext(t.ctx, storyID)
	if err != nil {
		return nil, fmt.Errorf("read matches of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var topics []string
	for rows.Next() {
		var topic string
		if err := rows.Scan(&topic); err != nil {
			return nil, fmt.Errorf("read matches of story %d: %w", storyID, err)
		}
		topics = append(topics, topic)
	}
	return topics, rows.Err()
}

func hitsJSON(hits []match.Hit) (string, error) {
	// Written by hand rather than by json.Marshal, whose reflection was a
	// quarter of storing a match (docs/performance.md): a first poll of
	// labour news writes dozens of hits for most stories, on the single
	// writer. The output is what json.Marshal gives, byte for byte
	// (TestHitsJSONAgreesWithEncodingJSON).
	b := make([]byte, 0, 2+len(hits)*56)
	b = append(b, '[')
	for i, h := range hits {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"term":`...)
		b = appendJSONString(b, h.Term)
		b = append(b, `,"field":`...)
		b = appendJSONString(b, string(h.Field))
		b = append(b, `,"start":`...)
		b = strconv.AppendInt(b, int64(h.Start), 10)
		b = append(b, `,"end":`...)
		b = strconv.AppendInt(b, int64(h.End), 10)
		b = append(b, '}')
	}
	return string(append(b, ']')), nil
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// other than the characters it escapes goes as it is, anything else (Khmer
// terms, quotes, control characters) through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ReplaceMatches stores a batch of re-matched stories in one transaction:
// each story's matches become its results (matches that still hold keep
// their matched_at) and its rules_version becomes version. Stories that no
// longer exist are skipped. It returns what changed, per topic. Callers
// split a large archive into batches so no transaction grows huge.
func (s *Store) ReplaceMatches(ctx context.Context, version string, batch []StoryMatches, at time.Time) (MatchChanges, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("replace matches: %w", err)
	}
	defer tx.Rollback()
	t := s.ingest.in(ctx, tx)
	changes := make(MatchChanges)
	for _, sm := range batch {
		res, err := t.setRulesVersion.ExecContext(ctx, version, sm.StoryID)
		if err != nil {
			return nil, fmt.Errorf("replace matches of story %d: %w", sm.StoryID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // deleted since it was read
		}
		c, err := t.replaceMatches(sm.StoryID, version, sm.Results, at)
		if err != nil {
			return nil, fmt.Errorf("replace matches: %w", err)
		}
		changes.Add(c)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("replace matches: %w", err)
	}
	return changes, nil
}

// MatchesForStory returns a story's matches, by topic id.
func (s *Store) MatchesForStory(ctx context.Context, storyID int64) ([]Match, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT story_id, topic, hits, rules_version, matched_at
        FROM matches WHERE story_id = ? ORDER BY topic`, storyID)
	if err != nil {
		return nil, fmt.Errorf("matches of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var out []Match
	for rows.Next() {
		var m Match
		var hits string
		var at sql.NullString
		if err := rows.Scan(&m.StoryID, &m.Topic, &hits, &m.RulesVersion, &at); err != nil {
			return nil, fmt.Errorf("matches of story %d: %w", storyID, err)
		}
		if m.Hits, err = parseHits(hits); err != nil {
			return nil, fmt.Errorf("matches of story %d, topic %s: hits: %w", storyID, m.Topic, err)
		}
		m.MatchedAt = parseTime(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// StaleStories counts the stories first seen at or after since that were
// last matched by rules other than version: a feeds.yaml edited while no
// daemon ran, or an older civicwatch whose matcher read text differently
// (match.Rules.Version covers both). Stories waiting to be matched again
// for a new article (rules_version NULL, StaleArticles) are not counted:
// the evidence loop rematches those.
func (s *Store) StaleStories(ctx context.Context, version string, since time.Time) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM stories WHERE first_seen_at >= ? AND rules_version != ?`,
		fmtTime(since), version).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count stale stories: %w", err)
	}
	return n, nil
}

// MatchCounts returns how many stories each topic has matched.
func (s *Store) MatchCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT topic, COUNT(*) FROM matches GROUP BY topic`)
	if err != nil {
		return nil, fmt.Errorf("count matches: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var topic string
		var n int
		if err := rows.Scan(&topic, &n); err != nil {
			return nil, fmt.Errorf("count matches: %w", err)
		}
		out[topic] = n
	}
	return out, rows.Err()
}

// parseHits decodes a matches.hits value. hitsJSON's own output (plain
// strings, no escapes) is read directly; anything else — escapes, another
// key order, hits written by an older version — goes to json.Unmarshal,
// whose result the fast path must equal (TestParseHitsAgreesWithEncodingJSON).
// Decoding hits by reflection was a third of building a digest at a
// million stories (docs/performance.md).
func parseHits(s string) ([]match.Hit, error) {
	if hits, ok := parseHitsFast(s); ok {
		return hits, nil
	}
	var hits []match.Hit
	if err := json.Unmarshal([]byte(s), &hits); err != nil {
		return nil, err
	}
	return hits, nil
}

func parseHitsFast(s string) ([]match.Hit, bool) {
	if s == "null" {
		return nil, true
	}
	rest, ok := strings.CutPrefix(s, "[")
	if !ok {
		return nil, false
	}
	hits := []match.Hit{}
	if rest == "]" {
		return hits, true
	}
	for {
		var h match.Hit
		var term, field string
		if rest, ok = strings.CutPrefix(rest, `{"term":`); !ok {
			return nil, false
		}
		if term, rest, ok = plainJSONString(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, `,"field":`); !ok {
			return nil, false
		}
		if field, rest, ok = plainJSONString(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, `,"start":`); !ok {
			return nil, false
		}
		if h.Start, rest, ok = plainJSONInt(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, `,"end":`); !ok {
			return nil, false
		}
		if h.End, rest, ok = plainJSONInt(rest); !ok {
			return nil, false
		}
		if rest, ok = strings.CutPrefix(rest, "}"); !ok {
			return nil, false
		}
		h.Term, h.Field = term, match.Field(field)
		hits = append(hits, h)
		if rest == "]" {
			return hits, true
		}
		if rest, ok = strings.CutPrefix(rest, ","); !ok {
			return nil, false
		}
	}
}

// plainJSONString reads a JSON string at the start of s that needs no
// decoding: no escape, no control character, valid UTF-8.
func plainJSONString(s string) (string, string, bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	v := s[1 : 1+end]
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == '\\' {
			return "", "", false
		}
	}
	if !utf8.ValidString(v) {
		return "", "", false
	}
	return v, s[2+end:], true
}

// plainJSONInt reads a decimal integer, as strconv.AppendInt writes it,
// at the start of s.
func plainJSONInt(s string) (int, string, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == digits || i-digits > 18 || (s[digits] == '0' && i-digits > 1) {
		return 0, "", false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, "", false
	}
	return n, s[i:], true
}
