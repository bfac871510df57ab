package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Page is the document of /api/matches. Its schema is an interface other
// programs rely on: fields may be added, never renamed or removed.
//
//	{"matches": [Match…], "next": "cursor" | null}
type Page struct {
	Matches []Match `json:"matches"` // newest first seen first; [] when none
	// Next continues the listing (pass it back as the cursor); null on the
	// last page.
	Next *string `json:"next"`
}

// Match is one matched story.
type Match struct {
	ID  int64  `json:"id"`
	URL string `json:"url"` // canonical; "" when the item had no link
	// Title and Summary are as stored: plain text, not escaped for HTML,
	// and what the hits' offsets count in.
	Title     string     `json:"title"`
	Summary   string     `json:"summary"`
	Published *time.Time `json:"published"`  // the outlet's date (UTC); null when it gave none
	FirstSeen time.Time  `json:"first_seen"` // when civicwatch first stored it (UTC)
	Feeds     []string   `json:"feeds"`      // ids of the feeds that carried it, first sighting first
	Topics    []Topic    `json:"topics"`     // by topic id
	// Evidence is the capture of the story's page; null when the story was
	// never queued for capture (evidence.capture, docs/evidence.md).
	Evidence *Evidence `json:"evidence"`
}

// Evidence is what is kept of a story's page and what its re-checks found.
type Evidence struct {
	// State is queued, captured, failed (no capture could be made),
	// unchanged, edited, removed or unreachable.
	State        string     `json:"state"`
	Captures     int        `json:"captures"`      // versions of the page kept
	FirstCapture *time.Time `json:"first_capture"` // UTC; null before the first
	LastCheck    *time.Time `json:"last_check"`    // the latest re-check (UTC); null before the first
	// LastOutcome is that re-check's finding: unchanged, edited, removed,
	// or failed (no answer); "" before the first.
	LastOutcome string `json:"last_outcome"`
}

// evidenceOf is the JSON form of a story's evidence, nil without one.
func evidenceOf(e *store.StoryEvidence) *Evidence {
	if e == nil {
		return nil
	}
	out := &Evidence{State: e.State, Captures: e.Captures, LastOutcome: e.LastOutcome}
	if !e.FirstCapture.IsZero() {
		t := e.FirstCapture.UTC()
		out.FirstCapture = &t
	}
	if !e.LastCheck.IsZero() {
		t := e.LastCheck.UTC()
		out.LastCheck = &t
	}
	return out
}

// Topic is why a story matched one topic.
type Topic struct {
	Topic string   `json:"topic"`
	Terms []string `json:"terms"` // distinct terms that fired, title first
	// Hits are every term occurrence: {"term", "field" (title, summary,
	// content or article), "start", "end"} with byte offsets into that field.
	Hits []match.Hit `json:"hits"`
}

// JSON writes one page of matches; next is the cursor of the following
// page, or "" on the last.
func JSON(w io.Writer, stories []store.MatchedStory, next string) error {
	page := Page{Matches: make([]Match, 0, len(stories))}
	if next != "" {
		page.Next = &next
	}
	for _, s := range stories {
		m := Match{ID: s.ID, URL: s.URL, Title: s.Title, Summary: s.Summary,
			FirstSeen: s.FirstSeenAt.UTC(), Feeds: s.Feeds, Topics: make([]Topic, 0, len(s.Matches)), Evidence: evidenceOf(s.Evidence)}
		if m.Feeds == nil {
			m.Feeds = []string{}
		}
		if !s.PublishedAt.IsZero() {
			p := s.PublishedAt.UTC()
			m.Published = &p
		}
		for _, x := range s.Matches {
			hits := x.Hits
			if hits == nil {
				hits = []match.Hit{}
			}
			m.Topics = append(m.Topics, Topic{Topic: x.Topic, Terms: match.Terms(x.Hits), Hits: hits})
		}
		page.Matches = append(page.Matches, m)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(page); err != nil {
		return fmt.Errorf("matches as JSON: %w", err)
	}
	return nil
}

// Cursor is where a listing of matches, newest first, continues: after the
// story first seen at Seen with id ID. It is the store's paging key
// (store.MatchQuery's BeforeSeen and BeforeID).
type Cursor struct {
	Seen time.Time
	ID   int64
}

// CursorAfter is the cursor that continues a listing after s.
func CursorAfter(s *store.Story) Cursor { return Cursor{Seen: s.FirstSeenAt, ID: s.ID} }

// String is the cursor as clients pass it back: "<first seen, RFC 3339
// with nanoseconds, UTC>_<id>". Clients treat it as opaque.
func (c Cursor) String() string {
	return c.Seen.UTC().Format(time.RFC3339Nano) + "_" + strconv.FormatInt(c.ID, 10)
}

// ErrCursor is returned for a cursor that String did not make.
var ErrCursor = errors.New("invalid cursor")

// ParseCursor reads a cursor made by String.
func ParseCursor(s string) (Cursor, error) {
	seen, id, ok := strings.Cut(s, "_")
	if !ok {
		return Cursor{}, fmt.Errorf("%w %q", ErrCursor, s)
	}
	t, err := time.Parse(time.RFC3339Nano, seen)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w %q: %v", ErrCursor, s, err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Cursor{}, fmt.Errorf("%w %q: bad id", ErrCursor, s)
	}
	return Cursor{Seen: t.UTC(), ID: n}, nil
}
