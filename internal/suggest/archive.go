package suggest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Stories is an Archive over stories held in memory.
func Stories(stories []match.Story) Archive {
	return func(topics []match.Topic, lists match.Lists) ([]int, int, error) {
		c, err := newCounter(topics, lists)
		if err != nil {
			return nil, 0, err
		}
		for i := range stories {
			c.add(&stories[i])
		}
		return c.n, len(stories), nil
	}
}

// FromStore is an Archive over every stored story, each matched with the
// tags of the configured feeds that carried it, as the poller matches it.
func FromStore(ctx context.Context, st *store.Store, feeds []config.Feed) Archive {
	tags := rematch.FeedTags(feeds)
	return func(topics []match.Topic, lists match.Lists) ([]int, int, error) {
		c, err := newCounter(topics, lists)
		if err != nil {
			return nil, 0, err
		}
		total := 0
		err = st.ScanStories(ctx, time.Time{}, func(batch []store.ScanStory) error {
			for i := range batch {
				ms := batch[i].MatchStory(rematch.StoryTags(batch[i].Feeds, tags))
				c.add(&ms)
			}
			total += len(batch)
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("archive: %w", err)
		}
		return c.n, total, nil
	}
}

// counter counts the stories each topic matches.
type counter struct {
	rules *match.Rules
	n     []int
}

func newCounter(topics []match.Topic, lists match.Lists) (*counter, error) {
	// The topics' ids may repeat (two configs' "current"); number them.
	numbered := make([]match.Topic, len(topics))
	for i, t := range topics {
		numbered[i] = match.Topic{ID: strconv.Itoa(i), Rule: t.Rule}
	}
	r, err := match.Compile(numbered, lists)
	if err != nil {
		return nil, err
	}
	return &counter{rules: r, n: make([]int, len(topics))}, nil
}

func (c *counter) add(s *match.Story) {
	for _, r := range c.rules.Match(s) {
		if i, err := strconv.Atoi(r.Topic); err == nil {
			c.n[i]++
		}
	}
}
