package web

import (
	"net/url"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// snippetWidth is about how many characters of summary a listing shows, as
// in the digest, so a story reads the same in both.
const snippetWidth = 240

// storyRow is a story as listings show it: the headline with the terms that
// fired marked, where it came from, and a snippet.
type storyRow struct {
	ID        int64
	Title     []snippet.Segment
	Href      string // "" unless the story's link is http(s)
	Host      string
	Lang      string
	Feeds     []string
	FirstSeen time.Time
	Published time.Time
	Topics    []string // every topic it matched
	Terms     []string // the distinct terms that fired, for the topic shown
	Snippet   []snippet.Segment
}

// matchedRow builds a listing row from a matched story, marking the hits
// of topic ("" for all its topics). Listings read no full text, so only
// title and summary hits can be marked.
func matchedRow(ms *store.MatchedStory, topic string) storyRow {
	var hits []match.Hit
	for _, m := range ms.Matches {
		if topic == "" || m.Topic == topic {
			hits = append(hits, m.Hits...)
		}
	}
	row := baseRow(&ms.Story)
	row.Topics = ms.Topics()
	row.Title = snippet.Mark(ms.Title, snippet.Hits(hits, match.FieldTitle))
	row.Snippet = snippet.Around(ms.Summary, snippet.Hits(hits, match.FieldSummary), snippetWidth)
	row.Terms = match.Terms(hits)
	return row
}

func baseRow(st *store.Story) storyRow {
	row := storyRow{ID: st.ID, Href: href(st.URL), Lang: lang(st.Lang, st.Title+st.Summary), Feeds: st.Feeds,
		FirstSeen: st.FirstSeenAt, Published: st.PublishedAt}
	if row.Href != "" {
		if u, err := url.Parse(row.Href); err == nil {
			row.Host = u.Hostname()
		}
	}
	return row
}
