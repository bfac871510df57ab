package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// searchHit is one line of search's output; with --json it is printed as
// is, so its field names are an interface.
type searchHit struct {
	ID        int64     `json:"id"`
	FirstSeen time.Time `json:"first_seen"`
	Published time.Time `json:"published"`
	Backlog   bool      `json:"backlog"` // published long before first seen (display.BacklogAfter)
	Feeds     []string  `json:"feeds"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Topics    []string  `json:"topics"` // stored matches; [] when it matched none
	// Snippet is a passage where the words occur, each occurrence
	// between » and «.
	Snippet string `json:"snippet"`
}

// cmdSearch is the CLI twin of the console's /search.
func cmdSearch(e *env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "show at most this many stories")
	asJSON := fs.Bool("json", false, "print one JSON object per story")
	words, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return err
	}
	query := strings.Join(words, " ")
	if strings.TrimSpace(strings.NewReplacer("%", "", "_", "").Replace(query)) == "" {
		return fmt.Errorf("%w: search needs at least one word", errUsage)
	}
	if *limit <= 0 {
		return fmt.Errorf("%w: --limit must be at least 1", errUsage)
	}
	if err := store.CheckQuery(query); err != nil {
		return fmt.Errorf("%w: %w: search for fewer, shorter words", errUsage, err)
	}
	loc, err := e.displayLocation()
	if err != nil {
		return err
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := st.Search(e.ctx, query, *limit)
	if err != nil {
		return err
	}
	found, err := st.StoriesByID(e.ctx, ids)
	if err != nil {
		return err
	}
	hits := make([]searchHit, 0, len(found))
	for _, m := range found {
		// Listings leave the text out; the passage may be in it.
		full, err := st.Story(e.ctx, m.ID)
		if err != nil {
			return fmt.Errorf("story %d: %w", m.ID, err)
		}
		topics := m.Topics()
		if topics == nil {
			topics = []string{}
		}
		hits = append(hits, searchHit{ID: m.ID, FirstSeen: m.FirstSeenAt, Published: m.PublishedAt,
			Backlog: display.Backlog(m.PublishedAt, m.FirstSeenAt), Feeds: m.Feeds, Title: m.Title, URL: m.URL,
			Topics: topics, Snippet: marked(searchSnippet(full, searchTerms(query)))})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, h := range hits {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
		return nil
	}
	for _, h := range hits {
		topics := "no topic"
		if len(h.Topics) > 0 {
			topics = strings.Join(h.Topics, ", ")
		}
		published := "published " + display.Time(h.Published, loc)
		if h.Backlog {
			published += " · backlog: " + display.Age(h.Published, h.FirstSeen) + " before first seen"
		}
		fmt.Fprintf(e.stdout, "%d  %s  %s  [%s]\n  %s\n  %s\n  %s\n", h.ID, display.Time(h.FirstSeen, loc),
			strings.Join(h.Feeds, ", "), topics, snippet.Clean(h.Title), h.Snippet, published)
	}
	switch {
	case len(hits) == 0:
		fmt.Fprintln(e.stdout, "no stories found")
	case len(hits) == 1:
		fmt.Fprintln(e.stdout, "1 story")
	case len(hits) == *limit:
		fmt.Fprintf(e.stdout, "%d stories, the newest (--limit shows more)\n", len(hits))
	default:
		fmt.Fprintf(e.stdout, "%d stories\n", len(hits))
	}
	return nil
}

// searchTerms splits a query as store.Search does, so the words marked are
// the words searched for.
func searchTerms(query string) []string {
	return strings.Fields(strings.NewReplacer("%", " ", "_", " ").Replace(query))
}

// searchSnippet is a passage around the first occurrence of the words in
// the summary, else in the text, else in the title. Find is at least as
// lenient as the database's LIKE, so one of them has the words; should none,
// the summary's start stands in rather than nothing.
func searchSnippet(s *store.Story, words []string) []snippet.Segment {
	const width = 160
	for _, text := range []string{s.Summary, s.Text, s.Title} {
		if spans := snippet.Find(text, words); len(spans) > 0 {
			return snippet.Around(text, spans, width)
		}
	}
	if s.Summary != "" {
		return snippet.Around(s.Summary, nil, width)
	}
	return snippet.Around(s.Text, nil, width)
}
