package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/explain"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
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
	Credited     string     `json:"credited,omitempty"` // the outlet an aggregator credits
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
	Topic   string `json:"topic"`
	Name    string `json:"name"`
	Matched bool   `json:"matched"`
	Veto    string `json:"veto,omitempty"`    // the NOT clause that kept an otherwise matching story out
	Missing string `json:"missing,omitempty"` // for a topic not matched, what it lacked, in one line
	// Hits is every term that fired, NOT clauses included, each with its
	// state: counted, vetoed, trap or unmet (see internal/explain).
	Hits   []explainHit `json:"hits"`
	Why    []string     `json:"why"`    // the terms that counted
	Stored bool         `json:"stored"` // whether the stored matches have the story under this topic
}

type explainHit struct {
	match.StatedHit
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
	rep, x, err := explainStory(e, st, cfg, s)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printExplained(e.stdout, rep, x, cfg.Display.Location)
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

// explainStory is explain's report on a story: the explanation is built
// by internal/explain; here it is only laid out for --json.
func explainStory(e *env, st *store.Store, cfg *config.Config, s *store.Story) (*explained, *explain.Report, error) {
	x, err := explain.Load(e.ctx, st, cfg, s)
	if err != nil {
		return nil, nil, err
	}
	rep := &explained{
		Story: explainedStory{ID: s.ID, URL: s.URL, Title: s.Title, Summary: s.Summary, Text: s.Text, Author: s.Author,
			Credited: s.Credited, Lang: s.Lang, FirstSeen: s.FirstSeenAt, Updated: s.UpdatedAt, RulesVersion: s.RulesVersion, Tags: x.Tags,
			Stored: []string{}},
		Sightings:    []explainSighting{},
		RulesVersion: x.RulesVersion,
		Topics:       []explainTopic{},
		Stale:        x.Stale,
	}
	if rep.Story.Tags == nil {
		rep.Story.Tags = []string{}
	}
	if rep.Stale == nil {
		rep.Stale = []string{}
	}
	if !s.PublishedAt.IsZero() {
		rep.Story.Published = &s.PublishedAt
	}
	for _, si := range x.Sightings {
		rep.Sightings = append(rep.Sightings, explainSighting{Feed: si.FeedID, Name: si.FeedName, ItemKey: si.ItemKey, FirstSeen: si.FirstSeenAt})
	}
	for _, m := range x.Stored {
		rep.Story.Stored = append(rep.Story.Stored, m.Topic)
	}
	for _, t := range x.Topics {
		jt := explainTopic{Topic: t.ID, Name: t.Name, Matched: t.Matched, Veto: t.Veto, Missing: t.Missing,
			Hits: []explainHit{}, Why: t.Why(), Stored: t.Stored}
		for _, h := range t.Hits {
			jt.Hits = append(jt.Hits, explainHit{StatedHit: h.StatedHit, Text: h.Text})
		}
		rep.Topics = append(rep.Topics, jt)
	}
	return rep, x, nil
}

// printExplained writes the report for a reader, times in loc, the display
// zone the console and the digest use too.
func printExplained(w io.Writer, rep *explained, x *explain.Report, loc *time.Location) {
	stamp := func(t time.Time) string { return display.Time(t, loc) }
	s := rep.Story
	fmt.Fprintf(w, "story %d\n", s.ID)
	row := func(k, v string) { fmt.Fprintf(w, "  %-12s %s\n", k+":", v) }
	row("title", snippet.Clean(s.Title))
	row("url", orDash(s.URL))
	if s.Published != nil {
		pub := stamp(*s.Published)
		if display.Backlog(*s.Published, s.FirstSeen) {
			pub += " (backlog: published " + display.Age(*s.Published, s.FirstSeen) + " before first seen)"
		}
		row("published", pub)
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
	if s.Credited != "" {
		row("credited", snippet.Clean(s.Credited)+" (the outlet the aggregator names)")
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
	if a := x.Story.Article; a != "" {
		fmt.Fprintf(w, "  article: %d characters, from the captured page (matched as the field article)\n", len([]rune(a)))
	}

	fmt.Fprintf(w, "\ntopics under the current rules (%s):\n", rep.RulesVersion)
	ms := x.MatchStory()
	for _, t := range x.Topics {
		verdict := "not matched"
		if t.Matched {
			verdict = "MATCHED"
		}
		name := t.ID
		if t.Name != "" && t.Name != t.ID {
			name += " (" + t.Name + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", name, verdict)
		if t.Missing != "" {
			fmt.Fprintf(w, "    %s\n", t.Missing)
		}
		if len(t.Hits) == 0 {
			fmt.Fprintf(w, "    no terms fired\n")
			continue
		}
		if why := t.Why(); len(why) > 0 {
			fmt.Fprintf(w, "    why: %s\n", strings.Join(why, ", "))
		}
		for _, h := range t.Hits {
			if h.Counted() {
				fmt.Fprintf(w, "    %-20s %-8s %5d-%-5d %s\n", h.Term, h.Field, h.Start, h.End, excerpt(&ms, h.Hit))
			}
		}
		if apart := t.Apart(); len(apart) > 0 {
			fmt.Fprintf(w, "    not reasons:\n")
			for _, h := range apart {
				fmt.Fprintf(w, "    %-20s %-8s %5d-%-5d %s\n      %s\n", h.Term, h.Field, h.Start, h.End, excerpt(&ms, h.Hit), h.Note())
			}
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
func excerpt(ms *match.Story, h match.Hit) string {
	return marked(snippet.Around(explain.FieldOf(ms, h.Field), []snippet.Span{{Start: h.Start, End: h.End}}, 60))
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
