// Package rematch runs the current rules over stored stories again, after a
// rule change, and replaces their matches. The CLI's rematch command and the
// daemon's reload both use it.
package rematch

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Batch is how many stories are read, matched and stored together: large
// enough to amortise a commit, small enough that a big archive never holds
// one huge transaction (and the poller's writes wait at most one batch).
const Batch = 500

// Result says what a rematch did.
type Result struct {
	Stories int
	Changes store.MatchChanges
}

// Run re-matches the stories first seen at or after since (zero: all of
// them), each with the tags of every configured feed that carried it.
func Run(ctx context.Context, st *store.Store, rules *match.Rules, feeds []config.Feed, since time.Time) (Result, error) {
	res := Result{Changes: make(store.MatchChanges)}
	tags := FeedTags(feeds)
	q := store.StoryQuery{Limit: Batch, Since: since}
	for {
		page, err := st.Stories(ctx, q)
		if err != nil {
			return res, fmt.Errorf("rematch: %w", err)
		}
		if len(page) == 0 {
			return res, nil
		}
		changes, err := st.ReplaceMatches(ctx, rules.Version(), matchStories(rules, page, tags), time.Now())
		if err != nil {
			return res, fmt.Errorf("rematch: after %d stories: %w", res.Stories, err)
		}
		res.Changes.Add(changes)
		res.Stories += len(page)
		q.After = &page[len(page)-1]
	}
}

// matchStories matches a page of stories on all cores: matching is pure CPU
// and each story is independent.
func matchStories(rules *match.Rules, page []store.Story, tags map[string][]string) []store.StoryMatches {
	out := make([]store.StoryMatches, len(page))
	workers := min(runtime.GOMAXPROCS(0), len(page))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(page); i += workers {
				s := &page[i]
				ms := s.MatchStory(StoryTags(s.Feeds, tags))
				out[i] = store.StoryMatches{StoryID: s.ID, Results: rules.Match(&ms)}
			}
		})
	}
	wg.Wait()
	return out
}

// FeedTags maps each configured feed's id to its tags, for StoryTags.
func FeedTags(feeds []config.Feed) map[string][]string {
	m := make(map[string][]string, len(feeds))
	for _, f := range feeds {
		m[f.ID] = f.Tags
	}
	return m
}

// StoryTags is the union of the tags of the feeds that carried a story: what
// tag:X in a rule tests. Feeds no longer in the config contribute none.
func StoryTags(feedIDs []string, tags map[string][]string) []string {
	var out []string
	for _, id := range feedIDs {
		for _, t := range tags[id] {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}
