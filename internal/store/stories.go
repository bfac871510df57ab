package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Story is a stored article with the feeds that carried it.
type Story struct {
	ID          int64
	URL         string
	Title       string
	Summary     string
	Text        string
	Article     string // the captured article's main text; "" until captured (docs/evidence.md)
	Author      string
	Credited    string // the outlet an aggregator's item credits (feed.Item.Credited); "" if none
	Lang        string
	PublishedAt time.Time
	FirstSeenAt time.Time
	UpdatedAt   time.Time
	Feeds       []string // ids of the feeds that carried it, first sighting first
	// RulesVersion is the version of the rules that last matched the story,
	// whatever they found; empty when no rules have looked at its text.
	RulesVersion string
	// Cut is set when a field was longer than its bound and was stored cut
	// (see feed.MaxTitle and the others).
	Cut bool
}

// StoryQuery filters Stories. Zero values match everything.
type StoryQuery struct {
	Since time.Time // first seen at or after
	// After continues a listing after this story (one it returned), so a
	// large archive can be read in pages without OFFSET rescanning it.
	After *Story
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
	// Pages continue after (first_seen_at, id), the listing order, which the
	// index on first_seen_at (that holds the rowid too) serves.
	var afterSeen any = ""
	var afterID int64
	if q.After != nil {
		afterSeen, afterID = fmtTime(q.After.FirstSeenAt), q.After.ID
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT st.id, COALESCE(st.url, ''), st.title, st.summary, st.text, st.author, st.lang,
       st.published_at, st.first_seen_at, st.updated_at,
       (SELECT group_concat(feed_id, ' ') FROM (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id)),
       COALESCE(st.rules_version, ''), st.cut, st.article, st.credited
FROM stories st
WHERE st.first_seen_at >= ? AND (st.first_seen_at, st.id) > (?, ?)
ORDER BY st.first_seen_at, st.id
LIMIT ?`, since, afterSeen, afterID, limit)
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
			&pub, &seen, &upd, &feeds, &st.RulesVersion, &st.Cut, &st.Article, &st.Credited); err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		st.PublishedAt, st.FirstSeenAt, st.UpdatedAt = parseTime(pub), parseTime(seen), parseTime(upd)
		st.Feeds = strings.Fields(feeds.String)
		out = append(out, st)
	}
	return out, rows.Err()
}

// Limits on a search query. Each word is one more lookup in the index
// and one more condition SQLite must hold in its expression tree (2,000
// words were an "Expression tree is too large" error), and a long word
// is a long pattern to confirm against every candidate, so the query is
// bounded before any SQL runs.
const (
	MaxQueryWords = 32
	MaxQueryBytes = 512
)

// indexedPrefix is how many bytes of a word the trigram index is asked
// for. The index's work grows with the trigrams of the pattern (a 500-byte
// word of common letters took 25 times as long as "union"); past this
// length the rest of the word is confirmed on the candidates the prefix
// found, with instr, which costs one pass over each candidate's text.
const indexedPrefix = 24

// ErrQueryTooLong is returned (wrapped) for a query over MaxQueryWords or
// MaxQueryBytes: the console answers 400 and the CLI exits 2.
var ErrQueryTooLong = errors.New("search query too long")

// CheckQuery says whether a query is within the search limits.
func CheckQuery(query string) error {
	if len(query) > MaxQueryBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrQueryTooLong, len(query), MaxQueryBytes)
	}
	if n := len(searchWords(query)); n > MaxQueryWords {
		return fmt.Errorf("%w: %d words, at most %d", ErrQueryTooLong, n, MaxQueryWords)
	}
	return nil
}

// Search finds the stories whose title or text contains every word of
// query, newest first. Khmer is compared as the rules read it, on both
// sides (match.SearchForm: zero-width characters ignored, interchangeable
// spellings one, a syllable's parts in any order); ASCII letters match
// whatever their case, other letters only as typed. The
// trigram index serves words of three or more characters; shorter ones still
// match, by a slower scan. A query over the limits (CheckQuery) is refused
// with ErrQueryTooLong. Errors do not quote the query: it is the user's,
// and it could be large.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 50
	}
	if err := CheckQuery(query); err != nil {
		return nil, err
	}
	words := searchWords(query)
	if len(words) == 0 {
		return nil, nil
	}
	// ?1 … ?n are the words' indexed prefixes, what the trigram index
	// serves; the whole of a longer word is checked after (?n+1 …).
	args := make([]any, 0, 2*len(words)+1)
	for _, w := range words {
		args = append(args, "%"+indexedPart(w)+"%")
	}
	// The whole of each word longer than the index is asked for is
	// confirmed on the story whose id is the expression given.
	longArgs := map[int]int{} // word → its parameter
	for i, w := range words {
		if indexedPart(w) != w {
			args = append(args, asciiLower(w))
			longArgs[i] = len(args)
		}
	}
	longWords := func(id string) []string {
		var conds []string
		for i := range words {
			if p, ok := longArgs[i]; ok {
				// lower() folds ASCII letters only, as LIKE does.
				conds = append(conds, fmt.Sprintf(`EXISTS (SELECT 1 FROM stories_search ss WHERE ss.id = %s
                AND (instr(lower(ss.title), ?%[2]d) > 0 OR instr(lower(ss.text), ?%[2]d) > 0))`, id, p))
			}
		}
		return conds
	}
	if len(words) <= maxCombinedWords {
		return s.searchNewestFirst(ctx, len(words), longWords("stories_fts.rowid"), args, limit)
	}
	where := append([]string{searchWhere(len(words))}, longWords("st.id")...)
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, `SELECT st.id FROM stories st WHERE `+strings.Join(where, " AND ")+
		` ORDER BY st.first_seen_at DESC, st.id DESC LIMIT ?`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("search (%d words): %w", len(words), err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search (%d words): %w", len(words), err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// clockSlack is how far back the clock may have stepped between two
// stories' inserts without searchNewestFirst missing the later-seen one.
// Ids are given in insert order and first_seen_at is the fetch's time, so
// ids follow first_seen_at except within a write batch (fetches finish in
// any order) and across a clock step; a day covers both with room.
const clockSlack = 24 * time.Hour

// searchNewestFirst answers a search of up to maxCombinedWords words by
// walking the index's candidates from the highest id down and stopping
// once the newest limit matches are certain. Confirming a candidate reads
// its text through the folding view, which is where a search's time goes
// (a Khmer word had 3,975 candidates in a year of archive); reading them
// all to keep the newest 50 made one word cost 360–630 ms. Stopping is
// exact as long as the clock never went back by more than clockSlack
// between two inserts: a candidate with a lower id than one seen at t was
// seen by t+clockSlack.
func (s *Store) searchNewestFirst(ctx context.Context, n int, long []string, args []any, limit int) ([]int64, error) {
	// One arm per way of placing the words in title and text, each an FTS5
	// query that gives rowids in descending order; UNION ALL ordered by the
	// rowid alone lets SQLite merge the arms as they come (a UNION would
	// order by every column, and a subquery in FROM is collected first),
	// so closing the rows early leaves the rest unread. A story found by
	// two arms comes twice, one after the other.
	var arms []string
	for mask := range 1 << n {
		conds := make([]string, 0, n+len(long))
		for i := range n {
			col := "title"
			if mask>>i&1 == 1 {
				col = "text"
			}
			conds = append(conds, col+" LIKE ?"+strconv.Itoa(i+1))
		}
		conds = append(conds, long...)
		arms = append(arms, `SELECT rowid, (SELECT first_seen_at FROM stories WHERE id = stories_fts.rowid)
			FROM stories_fts WHERE `+strings.Join(conds, " AND "))
	}
	q := strings.Join(arms, " UNION ALL ") + ` ORDER BY 1 DESC`
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search (%d words): %w", n, err)
	}
	defer rows.Close()
	var hits []searchHit
	var oldestKept time.Time // the limit-th newest so far, once there are limit
	prev := int64(-1)
	for rows.Next() {
		var h searchHit
		var seen sql.NullString
		if err := rows.Scan(&h.id, &seen); err != nil {
			return nil, fmt.Errorf("search (%d words): %w", n, err)
		}
		h.seen = parseTime(seen)
		if h.id == prev {
			continue
		}
		prev = h.id
		if len(hits) >= limit && h.seen.Add(clockSlack).Before(oldestKept) {
			break
		}
		hits = append(hits, h)
		if len(hits) > limit {
			newestFirst(hits)
			hits = hits[:limit]
		}
		if len(hits) == limit {
			oldestKept = hits[limit-1].seen
			for _, k := range hits {
				if k.seen.Before(oldestKept) {
					oldestKept = k.seen
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search (%d words): %w", n, err)
	}
	newestFirst(hits)
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.id)
	}
	return ids, nil
}

type searchHit struct {
	id   int64
	seen time.Time
}

// newestFirst orders hits as Search returns them: last seen first, the
// higher id first at the same time.
func newestFirst(hits []searchHit) {
	slices.SortFunc(hits, func(a, b searchHit) int {
		if c := b.seen.Compare(a.seen); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
}

// asciiLower lower-cases ASCII letters only, as SQLite's lower() does
// without ICU.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// runeStart moves i back to the start of the character it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// indexedPart is the part of a query word the index is asked for: the
// whole word, or its first indexedPrefix bytes (cut at a character).
func indexedPart(w string) string {
	if len(w) > indexedPrefix {
		return w[:runeStart(w, indexedPrefix)]
	}
	return w
}

// maxCombinedWords is the most query words searchWhere asks the index for
// in one statement: n words take 2ⁿ statements, one per way of placing each
// word in the title or the text.
const maxCombinedWords = 3

// searchWhere is the condition that every one of n words (?1 … ?n, LIKE
// patterns) is in the title or the text. Up to maxCombinedWords words, each
// way of placing them in the two columns is one FTS5 query with all n
// patterns, so the trigram index intersects the words' candidates before
// any text is read to confirm them; a statement per word made SQLite
// confirm every candidate of every word (docs/performance.md). Longer
// queries keep a statement per word.
func searchWhere(n int) string {
	param := func(i int) string { return "?" + strconv.Itoa(i+1) }
	if n > maxCombinedWords {
		var where []string
		for i := range n {
			where = append(where, `st.id IN (SELECT rowid FROM stories_fts WHERE title LIKE `+param(i)+
				` UNION SELECT rowid FROM stories_fts WHERE text LIKE `+param(i)+`)`)
		}
		return strings.Join(where, " AND ")
	}
	var alts []string
	for mask := range 1 << n {
		var conds []string
		for i := range n {
			col := "title"
			if mask>>i&1 == 1 {
				col = "text"
			}
			conds = append(conds, col+` LIKE `+param(i))
		}
		alts = append(alts, `SELECT rowid FROM stories_fts WHERE `+strings.Join(conds, " AND "))
	}
	return `st.id IN (` + strings.Join(alts, " UNION ") + `)`
}

// searchWords splits a query into words, each in the search form the index
// holds (match.SearchForm); words that are nothing in that form (zero-width
// characters) are dropped. LIKE's wildcards are dropped rather than escaped,
// because FTS5 cannot serve a LIKE with an ESCAPE clause.
func searchWords(q string) []string {
	q = strings.NewReplacer("%", " ", "_", " ").Replace(q)
	var words []string
	for _, w := range strings.Fields(q) {
		if w = match.SearchForm(w); w != "" {
			words = append(words, w)
		}
	}
	return words
}

// searchForm is the value of search_title or search_text for a story's
// title or text: its search form, or NULL when the text is its own
// (migrations/0014_search_form.sql).
func searchForm(text string) any {
	if f := match.SearchForm(text); f != text {
		return f
	}
	return nil
}

// CountFetches returns how many fetch attempts are recorded for a feed.
func (s *Store) CountFetches(ctx context.Context, feedID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM fetches WHERE feed_id = ?`, feedID).Scan(&n)
	return n, err
}
