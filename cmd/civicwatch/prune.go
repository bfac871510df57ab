package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/retention"
	"github.com/civicwatch/civicwatch/internal/store"
)

// cmdPrune applies retention.stories now: it deletes the unmatched,
// unlabelled stories first seen longer ago than that, or with --dry-run says
// what it would delete. The daemon does the same once a day.
func cmdPrune(e *env, args []string) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "show what would be deleted, delete nothing")
	var older sinceFlag
	fs.Var(&older, "older-than", "override retention.stories for this run: 365d, 8760h")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	ret := cfg.Retention
	if older.set {
		ret.Stories = config.Duration(older.d)
	}
	now := time.Now()
	before, ok := retention.Cutoff(ret, now)
	if !ok {
		fmt.Fprintf(e.stdout, "retention.stories is 0 in %s: every story is kept, nothing to prune\n", cfg.Path)
		return nil
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	if *dry {
		rep, err := retention.Plan(e.ctx, st, before)
		if err != nil {
			return err
		}
		printPrune(e, rep, "would delete")
		return nil
	}
	rep, err := retention.Apply(e.ctx, st, before, nil)
	if err != nil {
		return err
	}
	printPrune(e, rep, "deleted")
	return nil
}

func printPrune(e *env, r store.PruneReport, verb string) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	fmt.Fprintf(e.stdout, "%s %d unmatched stories first seen before %s UTC", verb, r.Stories, r.Before.UTC().Format("2006-01-02 15:04"))
	if r.Stories > 0 {
		fmt.Fprintf(e.stdout, " (%s to %s, %.1f MB of text)", day(r.Oldest), day(r.Newest), float64(r.Bytes)/1e6)
	}
	fmt.Fprintf(e.stdout, "\nkept %d stories as old: matched to a topic or labelled\n", r.Kept)
}
