package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EvidenceChange is a re-check that changed what a reader was told of a
// story: its page was edited, removed, has become unreachable, or answers
// again with the article after it was removed or unreachable (restored).
type EvidenceChange struct {
	StoryID     int64
	Title       string
	URL         string
	Lang        string
	FirstSeenAt time.Time
	Feeds       []FeedRef // that carried it, first sighting first
	Topics      []string  // the topics it matches now
	State       string    // edited | removed | unreachable | restored
	At          time.Time // when the re-check noticed it
	Status      int       // HTTP status of the re-check; 0 when none came
	Error       string    // why removed or unreachable, as recorded
}

// EvidenceRestored is what EvidenceChanges calls a page back from removed
// or unreachable; it is not a state of the queue, where such a page is
// unchanged (or captured, when it could not be compared).
const EvidenceRestored = "restored"

// EvidenceChanges returns the changes noticed in [start, end) into the
// states edited, removed and unreachable, and the restorations, oldest first. A change is noticed
// once (evidence_checks.changed), so windows that do not overlap tell each
// change once.
func (s *Store) EvidenceChanges(ctx context.Context, start, end time.Time) ([]EvidenceChange, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT c.story_id, c.state, c.checked_at, c.status, c.error, st.title, COALESCE(st.url, ''), st.lang, st.first_seen_at,
		       COALESCE((SELECT group_concat(topic, ' ') FROM (SELECT topic FROM matches WHERE story_id = st.id ORDER BY topic)), ''),
		       COALESCE((SELECT json_group_array(json_array(f.id, f.name)) FROM
		           (SELECT feed_id FROM sightings WHERE story_id = st.id ORDER BY first_seen_at, feed_id) si
		           JOIN feeds f ON f.id = si.feed_id), '[]')
		FROM evidence_checks c JOIN stories st ON st.id = c.story_id
		WHERE c.changed AND c.checked_at >= ?4 AND c.checked_at < ?5
		  AND (c.state IN (?1, ?2, ?3)
		       OR (SELECT p.state FROM evidence_checks p WHERE p.story_id = c.story_id
		               AND (p.checked_at < c.checked_at OR p.checked_at = c.checked_at AND p.id < c.id)
		               ORDER BY p.checked_at DESC, p.id DESC LIMIT 1) IN (?2, ?3))
		ORDER BY c.checked_at, c.id`,
		EvidenceEdited, EvidenceRemoved, EvidenceUnreachable, fmtTime(start), fmtTime(end))
	if err != nil {
		return nil, fmt.Errorf("evidence changes: %w", err)
	}
	defer rows.Close()
	var out []EvidenceChange
	for rows.Next() {
		var c EvidenceChange
		var at, seen sql.NullString
		var topics, feeds string
		if err := rows.Scan(&c.StoryID, &c.State, &at, &c.Status, &c.Error, &c.Title, &c.URL, &c.Lang, &seen, &topics, &feeds); err != nil {
			return nil, fmt.Errorf("evidence changes: %w", err)
		}
		c.At, c.FirstSeenAt = parseTime(at), parseTime(seen)
		if c.State != EvidenceEdited && c.State != EvidenceRemoved && c.State != EvidenceUnreachable {
			// Back from removed or unreachable: readers told it was gone
			// are told it is back.
			c.State = EvidenceRestored
		}
		c.Topics = strings.Fields(topics)
		var pairs [][2]string
		if err := json.Unmarshal([]byte(feeds), &pairs); err != nil {
			return nil, fmt.Errorf("evidence changes: feeds of story %d: %w", c.StoryID, err)
		}
		for _, p := range pairs {
			c.Feeds = append(c.Feeds, FeedRef{ID: p[0], Name: p[1]})
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReportedStories says which of ids were in a digest sent to the recipient.
func (s *Store) ReportedStories(ctx context.Context, recipient string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT DISTINCT j.value FROM digests d, json_each(d.story_ids) j
		WHERE d.recipient = ? AND d.status = ? AND j.value IN (SELECT value FROM json_each(?))`,
		strings.ToLower(recipient), DigestSent, string(list))
	if err != nil {
		return nil, fmt.Errorf("stories reported to %s: %w", recipient, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("stories reported to %s: %w", recipient, err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// StoryEvidence is what the exports say of a story's evidence.
type StoryEvidence struct {
	State        string    // queued, captured, failed, unchanged, edited, removed or unreachable
	Captures     int       // versions of the page kept
	FirstCapture time.Time // zero when none yet
	LastCheck    time.Time // the latest re-check; zero when none yet
	LastOutcome  string    // its outcome: unchanged, edited, removed or failed
	// LastChange is the latest re-check that moved the story into another
	// state or found a new edit; zero when none has. A feed entry is
	// updated then, not at every re-check that found nothing new.
	LastChange time.Time
}

// AttachEvidence sets the Evidence of each story that has an evidence
// record, in one query; the others keep nil.
func (s *Store) AttachEvidence(ctx context.Context, stories []MatchedStory) error {
	if len(stories) == 0 {
		return nil
	}
	ids := make([]int64, len(stories))
	byID := make(map[int64]*MatchedStory, len(stories))
	for i := range stories {
		ids[i] = stories[i].ID
		byID[stories[i].ID] = &stories[i]
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT q.story_id, q.state,
		       (SELECT COUNT(*) FROM captures c WHERE c.story_id = q.story_id),
		       (SELECT MIN(captured_at) FROM captures c WHERE c.story_id = q.story_id),
		       k.checked_at, COALESCE(k.outcome, ''),
		       (SELECT MAX(checked_at) FROM evidence_checks WHERE story_id = q.story_id AND changed)
		FROM evidence_queue q
		LEFT JOIN evidence_checks k ON k.id = (SELECT id FROM evidence_checks WHERE story_id = q.story_id
		                                       ORDER BY checked_at DESC, id DESC LIMIT 1)
		WHERE q.story_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return fmt.Errorf("evidence of stories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var e StoryEvidence
		var first, last, change sql.NullString
		if err := rows.Scan(&id, &e.State, &e.Captures, &first, &last, &e.LastOutcome, &change); err != nil {
			return fmt.Errorf("evidence of stories: %w", err)
		}
		e.FirstCapture, e.LastCheck, e.LastChange = parseTime(first), parseTime(last), parseTime(change)
		if m := byID[id]; m != nil {
			m.Evidence = &e
		}
	}
	return rows.Err()
}
