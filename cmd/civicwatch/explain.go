package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// explained is explain's report; with --json it is printed as is, so its
// field names are an interface.
type explained struct {
	Story        explainedStory    `json:"story"`
	Sightings    []explainSighting `json:"sightings"`
	RulesVersion string            `json:"rules_version"` // of the config's rules, which Topics are from
	Topics       []explainTopic    `json:"topics"`        // every configured topic, config order
	// Stale lists what the stored matches say that the current rules do not:
	// empty when they agree.
	Stale []string `json:"stale"`
}

type explainedStory struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	Title        string     `json:"title"`
	Summary      string     `json:"summary"`
	Text         string     `json:"text"`
	Author       string     `json:"author"`
	Lang         string     `json:"lang"`
	Published    *time.Time `json:"published"`
	FirstSeen    time.Time  `json:"first_seen"`
	Updated      time.Time  `json:"updated"`
	RulesVersion string     `json:"rules_version"` // of the rules that last matched it; "" never matched
	Tags         []string   `json:"tags"`          // what tag:X tests: the tags of the configured feeds that carried it
	Stored       []string   `json:"stored_topics"` // topics the stored matches name
}

type explainSighting struct {
	Feed      string    `json:"feed"`
	Name      string    `json:"name"`
	ItemKey   string    `json:"item_key"`
	FirstSeen time.Time `json:"first_seen"`
}

type explainTopic struct {
	Topic   string       `json:"topic"`
	Name    string       `json:"name"`
	Matched bool         `json:"matched"`
	Veto    string       `json:"veto,omitempty"` // the NOT clause that kept an otherwise matching story out
	Hits    []explainHit `json:"hits"`           // every term that fired, NOT clauses included
	Stored  bool         `json:"stored"`         // whether the stored matches have the story under this topic
}

type explainHit struct {
	match.Hit
	Text string `json:"text"` // the matched text, as written in the field
}

// cmdExplain shows a stored story and why each topic does or does not
// match it under the current config, beside what was stored when it was
// last matched.
func cmdExplain(e *env, args []string) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: civicwatch explain [flags] STORY_ID|URL")
		fs.PrintDefaults()
	}
	rest, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: explain takes one story id or URL, got %d arguments", errUsage, len(rest))
	}
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := lookUpStory(e, st, rest[0])
	if err != nil {
		return err
	}
	rep, err := explain(e, st, cfg, s)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printExplained(e.stdout, rep)
	return nil
}

// lookUpStory finds a story by id, or by URL in the canonical form the
// poller stored it under.
func lookUpStory(e *env, st *store.Store, arg string) (*store.Story, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		s, err := st.Story(e.ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no story with id %d in %s", id, e.global.db)
		}
		return s, err
	}
	canon, err := feed.CanonicalURL(arg, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is neither a story id nor an http(s) URL", errUsage, arg)
	}
	s, err := st.StoryByURL(e.ctx, canon)
	if errors.Is(err, store.ErrNotFound) {
		if canon != arg {
			return nil, fmt.Errorf("no story stored under %s (the canonical form of %s) in %s", canon, arg, e.global.db)
		}
		return nil, fmt.Errorf("no story stored under %s in %s", canon, e.global.db)
	}
	return s, err
}

func explain(e *env, st *store.Store, cfg *config.Config, s *store.Story) (*explained, error) {
	sightings, err := st.Sightings(e.ctx, s.ID)
	if err != nil {
		return nil, err
	}
	withMatches, err := st.StoriesByID(e.ctx, []int64{s.ID})
	if err != nil {
		return nil, err
	}
	var stored []store.Match
	if len(withMatches) == 1 {
		stored = withMatches[0].Matches
	}
	tags := rematch.StoryTags(s.Feeds, rematch.FeedTags(cfg.Feeds))
	ms := s.MatchStory(tags)
	rep := &explained{
		Story: explainedStory{ID: s.ID, URL: s.URL, Title: s.Title, Summary: s.Summary, Text: s.Text, Author: s.Author,
			Lang: s.Lang, FirstSeen: s.FirstSeenAt, Updated: s.UpdatedAt, RulesVersion: s.RulesVersion, Tags: tags,
			Stored: []string{}},
		Sightings:    []explainSighting{},
		RulesVersion: cfg.Rules.Version(),
		Topics:       []explainTopic{},
		Stale:        []string{},
	}
	if rep.Story.Tags == nil {
		rep.Story.Tags = []string{}
	}
	if !s.PublishedAt.IsZero() {
		rep.Story.Published = &s.PublishedAt
	}
	for _, si := range sightings {
		rep.Sightings = append(rep.Sightings, explainSighting{Feed: si.FeedID, Name: si.FeedName, ItemKey: si.ItemKey, FirstSeen: si.FirstSeenAt})
	}
	storedBy := make(map[string]store.Match, len(stored))
	for _, m := range stored {
		storedBy[m.Topic] = m
		rep.Story.Stored = append(rep.Story.Stored, m.Topic)
	}
	names := make(map[string]string, len(cfg.Topics))
	for _, t := range cfg.Topics {
		names[t.ID] = t.Name
	}
	for _, x := range cfg.Rules.Explain(&ms) {
		t := explainTopic{Topic: x.Topic, Name: names[x.Topic], Matched: x.Matched, Veto: x.Veto, Hits: []explainHit{}}
		for _, h := range x.Hits {
			t.Hits = append(t.Hits, explainHit{Hit: h, Text: fieldText(&ms, h.Field, h.Start, h.End)})
		}
		m, ok := storedBy[x.Topic]
		t.Stored = ok
		switch {
		case ok && !x.Matched:
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: stored as a match, no longer matches", x.Topic))
		case !ok && x.Matched:
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: matches now, not stored as a match", x.Topic))
		case ok && !sameHits(m.Hits, x.Hits, x.Matched):
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: matches with other terms than stored", x.Topic))
		}
		rep.Topics = append(rep.Topics, t)
	}
	for _, m := range stored {
		if !slices.ContainsFunc(cfg.Topics, func(t config.Topic) bool { return t.ID == m.Topic }) {
			rep.Stale = append(rep.Stale, fmt.Sprintf("%s: stored as a match, no longer a topic of the config", m.Topic))
		}
	}
	return rep, nil
}

// sameHits compares stored hits with a live explanation's. A stored match
// keeps only the hits that made the topic match, while Explain lists every
// term that fired, NOT clauses included, so the stored ones need only be
// among the live ones.
func sameHits(stored []match.Hit, live []match.Hit, matched bool) bool {
	if !matched {
		return len(stored) == 0
	}
	for _, h := range stored {
		if !slices.Contains(live, h) {
			return false
		}
	}
	return true
}

// fieldText is the text a hit covers, or "" when its offsets do not fit.
func fieldText(ms *match.Story, f match.Field, start, end int) string {
	text := fieldOf(ms, f)
	if start < 0 || end > len(text) || start > end {
		return ""
	}
	return text[start:end]
}

func fieldOf(ms *match.Story, f match.Field) string {
	switch f {
	case match.FieldTitle:
		return ms.Title
	case match.FieldSummary:
		return ms.Summary
	case match.FieldContent:
		return ms.Content
	}
	return ""
}

func printExplained(w io.Writer, rep *explained) {
	s := rep.Story
	fmt.Fprintf(w, "story %d\n", s.ID)
	row := func(k, v string) { fmt.Fprintf(w, "  %-12s %s\n", k+":", v) }
	row("title", snippet.Clean(s.Title))
	row("url", orDash(s.URL))
	if s.Published != nil {
		row("published", stamp(*s.Published))
	} else {
		row("published", "- (the feed gave no date)")
	}
	row("first seen", stamp(s.FirstSeen))
	if s.Updated.After(s.FirstSeen) {
		row("updated", stamp(s.Updated))
	}
	row("lang", orDash(s.Lang))
	if s.Author != "" {
		row("author", snippet.Clean(s.Author))
	}
	row("tags", orDash(strings.Join(s.Tags, ", ")))
	row("matched by", orDash(s.RulesVersion)+" (rules version of its stored matches)")
	row("stored", orDash(strings.Join(s.Stored, ", ")))
	fmt.Fprintf(w, "  feeds:\n")
	for _, si := range rep.Sightings {
		name := si.Feed
		if si.Name != "" && si.Name != si.Feed {
			name += " (" + snippet.Clean(si.Name) + ")"
		}
		fmt.Fprintf(w, "    %s  first seen %s  item %s\n", name, stamp(si.FirstSeen), snippet.Clean(si.ItemKey))
	}
	fmt.Fprintf(w, "  summary:\n    %s\n", orDash(snippet.Clean(s.Summary)))
	if s.Text != s.Summary {
		fmt.Fprintf(w, "  text: %d characters\n", len([]rune(s.Text)))
	}

	fmt.Fprintf(w, "\ntopics under the current rules (%s):\n", rep.RulesVersion)
	for _, t := range rep.Topics {
		verdict := "not matched"
		if t.Matched {
			verdict = "MATCHED"
		}
		name := t.Topic
		if t.Name != "" && t.Name != t.Topic {
			name += " (" + t.Name + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", name, verdict)
		if t.Veto != "" {
			fmt.Fprintf(w, "    vetoed by %s\n", t.Veto)
		}
		if len(t.Hits) == 0 {
			fmt.Fprintf(w, "    no terms fired\n")
		}
		for _, h := range t.Hits {
			fmt.Fprintf(w, "    %-20s %-8s %5d-%-5d %s\n", h.Term, h.Field, h.Start, h.End, excerpt(rep, h))
		}
	}
	if len(rep.Stale) > 0 {
		fmt.Fprintf(w, "\nthe stored matches differ from the current rules (stored with %s, now %s):\n",
			orDash(s.RulesVersion), rep.RulesVersion)
		for _, d := range rep.Stale {
			fmt.Fprintf(w, "  %s\n", d)
		}
		fmt.Fprintf(w, "the rules changed since the story was matched: run `civicwatch rematch` to store what they match now\n")
	}
}

// excerpt is a hit in a little of its context, the hit between » and «.
func excerpt(rep *explained, h explainHit) string {
	ms := match.Story{Title: rep.Story.Title, Summary: rep.Story.Summary, Content: rep.Story.Text}
	if ms.Content == ms.Summary {
		ms.Content = ""
	}
	return marked(snippet.Around(fieldOf(&ms, h.Field), []snippet.Span{{Start: h.Start, End: h.End}}, 60))
}

// marked renders segments on one terminal line, marks as »…«.
func marked(segs []snippet.Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Mark {
			b.WriteString("»" + s.Text + "«")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
