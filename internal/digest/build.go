package digest

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/explain"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
)

// snippetLen bounds a snippet, in characters: two or three lines on a phone.
const snippetLen = 240

// Build selects, clusters and orders the recipient's stories. It is pure:
// the same input gives the same digest.
func Build(in Input) *Digest {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	period := in.Period
	if period.IsZero() {
		period = in.End
	}
	shown := cmp.Or(in.Display, loc)
	d := &Digest{Recipient: in.Recipient, Start: in.Start, End: in.End, Health: in.Health, HeldBack: in.HeldBack, Location: loc,
		Display: shown, Date: period.In(loc), MaxAge: in.MaxAge}
	wanted := wantedTopics(in.Topics, in.Recipient.Topics)
	d.Topics = wanted
	var picked []Story
	for _, s := range in.Stories {
		if !s.FirstSeenAt.Before(in.End) {
			continue
		}
		if s.FirstSeenAt.Before(in.Start) && !late(s, wanted, in.Reported) {
			continue
		}
		if firstTopic(s, wanted) < 0 {
			continue
		}
		d.Matched++
		// A feed added today brings its backlog: old news, first seen now.
		if in.MaxAge > 0 && s.PublishedAt.Before(s.FirstSeenAt.Add(-in.MaxAge)) {
			d.Backlog++
			continue
		}
		picked = append(picked, s)
	}
	slices.SortStableFunc(picked, func(a, b Story) int {
		return cmp.Or(a.FirstSeenAt.Compare(b.FirstSeenAt), cmp.Compare(a.ID, b.ID))
	})
	bySection := make([][]Entry, len(wanted))
	for _, cl := range cluster(picked) {
		e, topic := entry(cl, in.Topics, wanted, shown)
		bySection[topic] = append(bySection[topic], e)
	}
	for i, entries := range bySection {
		if len(entries) == 0 {
			continue
		}
		slices.SortStableFunc(entries, byWeight)
		d.Sections = append(d.Sections, Section{Topic: wanted[i], Entries: entries})
		d.Counts = append(d.Counts, Count{Topic: wanted[i], N: len(entries)})
		d.Total += len(entries)
	}
	d.Changes = changes(in, wanted, shown)
	return d
}

// late reports whether a story first seen before the window belongs in it:
// its captured article brought one of the reader's topics within the
// window, and the reader has not had it in an earlier digest (under a topic
// the feed's own text matched). It comes once, since the window that holds
// the article's match comes once.
func late(s Story, wanted []Topic, reported map[int64]bool) bool {
	if reported[s.ID] {
		return false
	}
	return slices.ContainsFunc(wanted, func(t Topic) bool { return slices.Contains(s.LateTopics, t.ID) })
}

// byWeight orders a topic's entries: a story filed under more topics, then
// one carried by more outlets, is more likely to be the morning's news, so
// it comes first; among equals the newest leads, as the reader starts with
// the latest.
func byWeight(a, b Entry) int {
	return cmp.Or(cmp.Compare(b.NumTopics, a.NumTopics), cmp.Compare(len(b.Outlets), len(a.Outlets)), b.Time.Compare(a.Time))
}

// wantedTopics is the recipient's topics in config order; none listed means all.
func wantedTopics(all []Topic, ids []string) []Topic {
	if len(ids) == 0 {
		return all
	}
	var out []Topic
	for _, t := range all {
		if slices.Contains(ids, t.ID) {
			out = append(out, t)
		}
	}
	return out
}

// firstTopic is the index in wanted of the story's first matching topic, or -1.
func firstTopic(s Story, wanted []Topic) int {
	for i, t := range wanted {
		if _, ok := s.Matches[t.ID]; ok {
			return i
		}
	}
	return -1
}

// cluster groups stories that are the same news: one canonical URL is already
// one story, so here it is the same headline carried under different URLs
// (wire copy, syndication), compared on normalised words.
func cluster(stories []Story) [][]Story {
	type group struct {
		words   map[string]bool
		stories []Story
	}
	var groups []*group
	for _, s := range stories {
		words := titleWords(s.Title)
		var home *group
		for _, g := range groups {
			if sameHeadline(words, g.words) {
				home = g
				break
			}
		}
		if home == nil {
			home = &group{words: words}
			groups = append(groups, home)
		}
		home.stories = append(home.stories, s)
	}
	out := make([][]Story, len(groups))
	for i, g := range groups {
		out[i] = g.stories
	}
	return out
}

func titleWords(title string) map[string]bool {
	words := map[string]bool{}
	for _, w := range strings.Fields(match.Normalize(title)) {
		words[w] = true
	}
	return words
}

// sameHeadline: identical normalised words, or, for headlines of five words
// or more, at least 80% of words shared (Jaccard). Short headlines must match
// exactly: "Union leader arrested" is not "Union leader released".
func sameHeadline(a, b map[string]bool) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	union := len(a) + len(b) - shared
	if shared == union {
		return true
	}
	return min(len(a), len(b)) >= 5 && shared*5 >= union*4
}

// entry renders a cluster; the earliest story speaks for it.
func entry(cl []Story, all, wanted []Topic, loc *time.Location) (Entry, int) {
	lead := cl[0]
	topic := len(wanted)
	for _, s := range cl {
		topic = min(topic, firstTopic(s, wanted))
	}
	e := Entry{Title: snippet.Clean(lead.Title), Time: lead.FirstSeenAt.In(loc), Lang: lead.Lang,
		Published: lead.PublishedAt.In(loc), Backlog: display.Backlog(lead.PublishedAt, lead.FirstSeenAt)}
	e.URL, e.Host = safeLink(lead.URL)
	for _, s := range cl {
		e.StoryIDs = append(e.StoryIDs, s.ID)
		e.Late = e.Late || len(s.LateTopics) > 0
		for _, o := range s.Outlets {
			if !slices.Contains(e.Outlets, o) {
				e.Outlets = append(e.Outlets, o)
			}
		}
	}
	for _, t := range all {
		if slices.ContainsFunc(cl, func(s Story) bool { _, ok := s.Matches[t.ID]; return ok }) {
			e.NumTopics++
		}
	}
	for i, t := range wanted {
		if i == topic {
			continue
		}
		if slices.ContainsFunc(cl, func(s Story) bool { _, ok := s.Matches[t.ID]; return ok }) {
			e.Badges = append(e.Badges, t)
		}
	}
	var hits []match.Hit
	for _, t := range wanted {
		hits = append(hits, lead.Matches[t.ID]...)
	}
	e.Terms = explain.Why(hits)
	e.Snippet = pickSnippet(lead, hits)
	return e, topic
}

// safeLink keeps http and https links only; anything else (javascript:,
// data:) is dropped and the headline shown without a link.
func safeLink(raw string) (link, host string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", ""
	}
	return u.String(), strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// pickSnippet picks the passage to show: around the first hit in the summary,
// else in the text, else the start of the summary; matched terms marked.
func pickSnippet(s Story, hits []match.Hit) []snippet.Segment {
	for _, f := range []struct {
		field match.Field
		text  string
	}{{match.FieldSummary, s.Summary}, {match.FieldContent, s.Text}} {
		var in []snippet.Span
		for _, sp := range snippet.Hits(hits, f.field) {
			if sp.End <= len(f.text) {
				in = append(in, sp)
			}
		}
		if len(in) > 0 {
			return snippet.Around(f.text, in, snippetLen)
		}
	}
	text := s.Summary
	if text == "" {
		text = s.Text
	}
	return snippet.Around(text, nil, snippetLen)
}
