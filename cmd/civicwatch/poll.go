package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/store"
)

// configError marks a config that failed to load or validate (exit 2).
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func (e *env) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(e.global.config)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

// readOnly are the commands that only read the database. They never create
// one: a missing file means the user pointed at the wrong place, and an
// empty new database would answer "nothing found" and hide it.
var readOnly = map[string]bool{"search": true, "explain": true, "feeds": true, "digests": true, "labels": true, "rules": true, "alerts": true}

// errNoDatabase is a read-only command's database that does not exist.
var errNoDatabase = errors.New("no database")

func (e *env) openStore() (*store.Store, error) {
	if readOnly[e.cmd] {
		return e.openExistingStore()
	}
	return store.Open(e.ctx, e.global.db)
}

// openExistingStore opens the database only if it exists: for commands
// (and subcommands, such as evidence list) that only read, a missing file
// means a wrong --db, not a database to create.
func (e *env) openExistingStore() (*store.Store, error) {
	if _, err := os.Stat(e.global.db); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: point --db (or CIVICWATCH_DB) at the database civicwatch run or poll fills; this command creates none",
			errNoDatabase, e.global.db)
	}
	return store.Open(e.ctx, e.global.db)
}

// open loads the config and opens the database, what most commands start
// with; the caller closes the store.
func (e *env) open() (*config.Config, *store.Store, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := e.openStore()
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// displayLocation is the zone the command shows times in: the config's
// display.timezone (by default the digest's zone), UTC when there is no
// config file, so that a command needing only the database still works.
func (e *env) displayLocation() (*time.Location, error) {
	if _, err := os.Stat(e.global.config); errors.Is(err, fs.ErrNotExist) {
		return time.UTC, nil
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	return cfg.Display.Location, nil
}

func userAgent() string {
	return "civicwatch/" + versionString() + " (+https://github.com/civicwatch/civicwatch)"
}

func cmdPoll(e *env, args []string) error {
	fs := flag.NewFlagSet("poll", flag.ContinueOnError)
	all := fs.Bool("all", false, "poll every enabled feed, due or not")
	var ids []string
	fs.Func("feed", "poll only this feed, due or not (repeatable)", func(s string) error {
		ids = append(ids, s)
		return nil
	})
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()

	log := e.log
	if !e.global.logSet {
		// The report below names every failing feed; repeating it in the
		// log would only add noise.
		log = slog.New(slog.DiscardHandler)
	}
	p := poll.New(st, cfg.Fetch, userAgent(), log)
	// A damaged file is refused before the round writes into it; the check
	// reads the whole file, so it runs while the feeds are fetched.
	var checkTook time.Duration
	p.Check = func(ctx context.Context) error {
		t0 := time.Now()
		err := st.QuickCheck(ctx)
		checkTook = time.Since(t0) // read after Poll, which waits for the check
		return err
	}
	if len(cfg.Topics) > 0 {
		// Without topics stories are stored unmatched (no rules version),
		// rather than marked as looked at by rules that say nothing.
		p.Rules = cfg.Rules
	}
	rep, err := p.Poll(e.ctx, cfg.Feeds, poll.Selection{All: *all, IDs: ids})
	if errors.Is(err, poll.ErrUnknownFeed) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if rep != nil {
		printReport(e, rep)
		if checkTook >= 2*time.Second {
			// A round that took long for few feeds is explained here.
			fmt.Fprintf(e.stdout, "the database check took %s, while the feeds were fetched; nothing was written before it passed\n",
				checkTook.Round(100*time.Millisecond))
		}
	}
	return err
}

func printReport(e *env, rep *poll.Report) {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tOUTCOME\tSTATUS\tITEMS\tNEW\tUPDATED\tMATCHED\tTIME\tERROR")
	for _, r := range rep.Results {
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		errText := ""
		if r.Err != nil {
			errText = oneLine(r.Err.Error(), 120)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.FeedID, r.Outcome, status,
			r.Counts.Items, r.Counts.New, r.Counts.Updated, r.Counts.Matched, r.Duration.Round(10*time.Millisecond), errText)
	}
	tw.Flush()
	t, failed := rep.Totals()
	fmt.Fprintf(e.stdout, "total: %d feeds polled, %d failed; %d items, %d new, %d updated, %d already stored from other feeds; %d matched a topic; %s\n",
		len(rep.Results), failed, t.Items, t.New, t.Updated, t.Merged, t.Matched, rep.Duration.Round(10*time.Millisecond))
}

// oneLine keeps an error message on one table row.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
