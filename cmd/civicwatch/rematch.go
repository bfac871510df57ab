package main

import (
	"cmp"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// cmdRematch matches stored stories again with the config's current rules,
// replaces their matches and records the rules version on each. Each story is
// matched with the tags of every configured feed that carried it.
func cmdRematch(e *env, args []string) error {
	fs := flag.NewFlagSet("rematch", flag.ContinueOnError)
	lookback := sinceFlag{d: 90 * 24 * time.Hour}
	fs.Var(&lookback, "since", "re-match stories first seen within this long: 90d, 720h, 1d12h")
	all := fs.Bool("all", false, "re-match every stored story")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *all && lookback.set {
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
	var since time.Time
	if !*all {
		since = start.Add(-lookback.d)
	}
	res, err := rematch.Run(e.ctx, st, rules, cfg.Feeds, since)
	if err != nil {
		return err
	}
	stories, total := res.Stories, res.Changes

	scope := "every stored story"
	if !*all {
		scope = "stories first seen since " + since.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	fmt.Fprintf(e.stdout, "re-matched %d stories (%s) with rules %s in %s\n", stories, scope, rules.Version(),
		time.Since(start).Round(10*time.Millisecond))
	printChanges(e, rules.TopicIDs(), total)
	return nil
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
	d, err := config.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid duration %q: use days or hours, e.g. 90d, 720h, 1d12h", s)
	}
	return d, nil
}
