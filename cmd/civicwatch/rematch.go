package main

import (
	"cmp"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// rematchBatch is how many stories are read, matched and stored together:
// large enough to amortise a commit, small enough that a big archive never
// holds one huge transaction (and the poller's writes wait at most one batch).
const rematchBatch = 500

// cmdRematch matches stored stories again with the config's current rules,
// replaces their matches and records the rules version on each. Each story is
// matched with the tags of every configured feed that carried it.
func cmdRematch(e *env, args []string) error {
	fs := flag.NewFlagSet("rematch", flag.ContinueOnError)
	since := sinceFlag{d: 90 * 24 * time.Hour}
	fs.Var(&since, "since", "re-match stories first seen within this long: 90d, 720h, 1d12h")
	all := fs.Bool("all", false, "re-match every stored story")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *all && since.set {
		return fmt.Errorf("%w: --all and --since exclude each other", errUsage)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.Topics) == 0 {
		// Without topics a rematch would delete every match: surely a
		// config mistake rather than the intent.
		return &configError{fmt.Errorf("%s has no topics to match with", cfg.Path)}
	}
	rules := cfg.Rules
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	q := store.StoryQuery{Limit: rematchBatch}
	if !*all {
		q.Since = start.Add(-since.d)
	}
	tags := feedTags(cfg.Feeds)
	total := make(store.MatchChanges)
	stories := 0
	for {
		page, err := st.Stories(e.ctx, q)
		if err != nil {
			return fmt.Errorf("rematch: %w", err)
		}
		if len(page) == 0 {
			break
		}
		changes, err := st.ReplaceMatches(e.ctx, rules.Version(), matchStories(rules, page, tags), time.Now())
		if err != nil {
			return fmt.Errorf("rematch: after %d stories: %w", stories, err)
		}
		total.Add(changes)
		stories += len(page)
		q.After = &page[len(page)-1]
		e.log.Debug("rematch batch", "stories", stories)
	}

	scope := "every stored story"
	if !*all {
		scope = "stories first seen since " + q.Since.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	fmt.Fprintf(e.stdout, "re-matched %d stories (%s) with rules %s in %s\n", stories, scope, rules.Version(),
		time.Since(start).Round(10*time.Millisecond))
	printChanges(e, rules.TopicIDs(), total)
	return nil
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
				ms := s.MatchStory(storyTags(s.Feeds, tags))
				out[i] = store.StoryMatches{StoryID: s.ID, Results: rules.Match(&ms)}
			}
		})
	}
	wg.Wait()
	return out
}

func feedTags(feeds []config.Feed) map[string][]string {
	m := make(map[string][]string, len(feeds))
	for _, f := range feeds {
		m[f.ID] = f.Tags
	}
	return m
}

// storyTags is the union of the tags of the feeds that carried a story.
// Feeds no longer in the config contribute none.
func storyTags(feedIDs []string, tags map[string][]string) []string {
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

// printChanges prints per topic how many of the re-matched stories match it
// now and how many matches were added and removed: configured topics in
// config order, then topics no longer configured whose matches went.
func printChanges(e *env, topics []string, changes store.MatchChanges) {
	var gone []string
	for t := range changes {
		if !slices.Contains(topics, t) {
			gone = append(gone, t)
		}
	}
	slices.SortFunc(gone, cmp.Compare)
	width := len("TOPIC")
	for _, t := range append(slices.Clone(topics), gone...) {
		width = max(width, len(t)+1)
	}
	fmt.Fprintf(e.stdout, "%-*s  %7s  %5s  %7s\n", width, "TOPIC", "MATCHED", "ADDED", "REMOVED")
	row := func(name string, c store.TopicChanges) {
		fmt.Fprintf(e.stdout, "%-*s  %7d  %5d  %7d\n", width, name, c.Added+c.Kept, c.Added, c.Removed)
	}
	for _, t := range topics {
		row(t, changes[t])
	}
	for _, t := range gone {
		row(t+"*", changes[t])
	}
	if len(gone) > 0 {
		fmt.Fprintln(e.stdout, "* no longer a topic of the config: its matches were removed")
	}
}

// sinceFlag is a look-back period: whole days ("90d", "1d12h") or any Go
// duration ("720h").
type sinceFlag struct {
	d   time.Duration
	set bool
}

func (f *sinceFlag) String() string {
	if f.d%(24*time.Hour) == 0 && f.d > 0 {
		return strconv.FormatInt(int64(f.d/(24*time.Hour)), 10) + "d"
	}
	return f.d.String()
}

func (f *sinceFlag) Set(s string) error {
	d, err := parseSince(s)
	if err != nil {
		return err
	}
	f.d, f.set = d, true
	return nil
}

func parseSince(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q: use days or hours, e.g. 90d, 720h, 1d12h", s)
	var d time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, bad
		}
		d, rest = time.Duration(n)*24*time.Hour, after
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil || more < 0 {
			return 0, bad
		}
		d += more
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}
