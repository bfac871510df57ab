// Package explain says why each topic matches a stored story or not under
// the rules in force, beside what the store recorded when the story was
// last matched. The explanation is built here once: `civicwatch explain`,
// the console's story page and the digest's "Why" line only render it, so
// that all three tell an operator the same thing.
//
// The truth it keeps: a hit is a reason only when it counted. A hit cut
// out by EXCEPT or turned away by NOT is vetoed, naming the clause; the
// hit of a trap is the trap; a hit whose clause was not met (a NEAR
// partner too far) is shown apart. None of these is marked as a reason.
package explain

import (
	"context"
	"fmt"
	"slices"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Report is what the rules in force make of one stored story.
type Report struct {
	Story        *store.Story
	Tags         []string // what tag:X tests: the tags of the configured feeds that carried it
	Sightings    []store.Sighting
	Stored       []store.Match // the matches stored when it was last matched
	RulesVersion string        // of the config's rules, which Topics are from
	Topics       []Topic       // every configured topic, config order
	// Stale says what the stored matches say that the current rules do
	// not, one line each; empty when they agree.
	Stale []string
}

// Topic is one topic's verdict on the story.
type Topic struct {
	ID, Name, Rule string
	Matched        bool
	Stored         bool   // a match is stored (it may predate the rules in force)
	Veto           string // the NOT clause that turned an otherwise matching story away
	// Missing is, for a topic not matched, what it lacked in one line: the
	// veto that fired or the required part that was absent.
	Missing string
	Hits    []Hit // every hit of the rule's terms, by field and position
}

// Hit is a hit with what it did for its topic and the text it covers.
type Hit struct {
	match.StatedHit
	Text string // the matched text as written in the field; "" if the offsets do not fit
}

// Counted reports whether the hit is a reason the topic matched.
func (h Hit) Counted() bool { return h.State == match.Counted }

// Note says in a few words why a hit that did not count is not a reason;
// "" for one that counted.
func (h Hit) Note() string {
	switch h.State {
	case match.Vetoed:
		return "vetoed by " + h.Clause
	case match.Trap:
		return "trap, of " + h.Clause
	case match.Unmet:
		return "not counted: " + h.Clause + " not met"
	case match.Context:
		return "a condition, not a reason: " + h.Clause
	}
	return ""
}

// Counted returns the hits that made the topic match.
func (t *Topic) Counted() []match.Hit {
	var out []match.Hit
	for _, h := range t.Hits {
		if h.Counted() {
			out = append(out, h.Hit)
		}
	}
	return out
}

// Apart returns the hits that are no reason: vetoed, traps and unmet,
// then those that met a given: condition. A Khmer story meets the shipped
// test of place on every "and" and "was" it has; listed first, they would
// push the vetoes an operator looks for past the page's limit.
func (t *Topic) Apart() []Hit {
	var out, context []Hit
	for _, h := range t.Hits {
		switch {
		case h.Counted():
		case h.State == match.Context:
			context = append(context, h)
		default:
			out = append(out, h)
		}
	}
	return append(out, context...)
}

// Why lists the terms that counted, in reading order.
func (t *Topic) Why() []string { return Why(t.Counted()) }

// Spans are the places in field f of the hits that counted: the only ones
// to mark, as a vetoed or unmet hit highlighted would read as a reason.
func (t *Topic) Spans(f match.Field) []snippet.Span { return snippet.Hits(t.Counted(), f) }

// Marked is a field's text with the hits that counted marked.
func (t *Topic) Marked(f match.Field, text string) []snippet.Segment {
	return snippet.Mark(text, t.Spans(f))
}

// Why is the "why it matched" line of a stored match: the distinct terms of
// the hits that counted, title first, in the order a reader meets them.
// Stored matches keep only the hits that counted (match.Rules.Match reports
// those, and Account's counted hits are the same), so the digest renders
// this from the store without the rules.
func Why(counted []match.Hit) []string { return match.Terms(counted) }

// Source is what Load reads from the store.
type Source interface {
	Sightings(ctx context.Context, storyID int64) ([]store.Sighting, error)
	MatchesForStory(ctx context.Context, storyID int64) ([]store.Match, error)
}

// Load reads what is stored about a story and explains it under cfg.
func Load(ctx context.Context, src Source, cfg *config.Config, s *store.Story) (*Report, error) {
	sightings, err := src.Sightings(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("explain story %d: %w", s.ID, err)
	}
	stored, err := src.MatchesForStory(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("explain story %d: %w", s.ID, err)
	}
	return New(cfg, s, sightings, stored), nil
}

// New explains a story under cfg's rules, as the poller would match it
// now, with the tags of the configured feeds that carried it.
func New(cfg *config.Config, s *store.Story, sightings []store.Sighting, stored []store.Match) *Report {
	tags := rematch.StoryTags(s.Feeds, rematch.FeedTags(cfg.Feeds))
	ms := s.MatchStory(tags)
	rep := &Report{Story: s, Tags: tags, Sightings: sightings, Stored: stored, RulesVersion: cfg.Rules.Version()}
	storedBy := make(map[string]store.Match, len(stored))
	for _, m := range stored {
		storedBy[m.Topic] = m
	}
	for i, a := range cfg.Rules.Account(&ms) {
		ct := cfg.Topics[i]
		t := Topic{ID: a.Topic, Name: ct.Name, Rule: ct.Rule, Matched: a.Matched, Veto: a.Veto, Missing: a.Missing}
		for _, h := range a.Hits {
			t.Hits = append(t.Hits, Hit{StatedHit: h, Text: fieldText(&ms, h.Field, h.Start, h.End)})
		}
		m, ok := storedBy[a.Topic]
		t.Stored = ok
		switch {
		case ok && !a.Matched:
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: stored as a match, no longer matches", a.Topic))
		case !ok && a.Matched:
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: matches now, not stored as a match", a.Topic))
		case ok && !sameHits(m.Hits, t.Counted()):
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: matches with other terms than stored", a.Topic))
		}
		rep.Topics = append(rep.Topics, t)
	}
	for _, m := range stored {
		if !slices.ContainsFunc(cfg.Topics, func(t config.Topic) bool { return t.ID == m.Topic }) {
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: stored as a match, no longer a topic of the config", m.Topic))
		}
	}
	return rep
}

// sameHits compares the hits stored with a match with those that count
// now, in any order.
func sameHits(stored, counted []match.Hit) bool {
	if len(stored) != len(counted) {
		return false
	}
	for _, h := range stored {
		if !slices.Contains(counted, h) {
			return false
		}
	}
	return true
}

// fieldText is the text a hit covers, or "" when its offsets do not fit.
func fieldText(ms *match.Story, f match.Field, start, end int) string {
	text := FieldOf(ms, f)
	if start < 0 || end > len(text) || start > end {
		return ""
	}
	return text[start:end]
}

// FieldOf is the text of a field of a story as the rules see it.
func FieldOf(ms *match.Story, f match.Field) string {
	switch f {
	case match.FieldTitle:
		return ms.Title
	case match.FieldSummary:
		return ms.Summary
	case match.FieldContent:
		return ms.Content
	case match.FieldArticle:
		return ms.Article
	}
	return ""
}

// MatchStory is the story as the rules saw it, for rendering hits.
func (r *Report) MatchStory() match.Story { return r.Story.MatchStory(r.Tags) }
