package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/civicwatch/civicwatch/internal/daemon"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Seams for tests: the clock that decides which digest is due, and how
// patiently a temporary SMTP failure is retried.
var (
	digestNow   = time.Now
	digestRetry = digest.DefaultRetry
)

func cmdDigest(e *env, args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "render the digests that are due now; record and send nothing")
	send := fs.Bool("send", false, "build and send every digest that is due now")
	out := fs.String("out", "", "with --dry-run: write each digest as .eml, .html and .txt files in this directory")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *dry == *send:
		return fmt.Errorf("%w: give --dry-run or --send", errUsage)
	case *out != "" && !*dry:
		return fmt.Errorf("%w: --out goes with --dry-run", errUsage)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Digest == nil || len(cfg.Digest.Recipients) == 0 {
		fmt.Fprintf(e.stdout, "no recipients configured: add a digest: section with recipients to %s\n", cfg.Path)
		return nil
	}
	if *send {
		// The daemon sends on its own schedule; two senders of one
		// pending digest could both deliver it, so --send takes the
		// daemon's lock and stands aside while one runs.
		lock, err := daemon.AcquireLock(e.global.db)
		if err != nil {
			if errors.Is(err, daemon.ErrLocked) {
				return fmt.Errorf("digest --send: %w; it sends due digests itself every minute", err)
			}
			return err
		}
		defer lock.Release()
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	log := e.log
	if !e.global.logSet {
		// The report names every recipient that failed; the log would
		// only repeat it.
		log = slog.New(slog.DiscardHandler)
	}
	svc := &digest.Service{Store: st, Config: cfg, Now: digestNow, Retry: digestRetry, Log: log,
		LookupEnv: e.lookupEnv}
	if *dry {
		results, err := svc.DryRun(e.ctx)
		if err != nil {
			return err
		}
		return printPreview(e, results, *out)
	}
	results, err := svc.Send(e.ctx)
	printSent(e, results)
	return err
}

// printSent reports a send run: a row per recipient, then the tally.
func printSent(e *env, results []digest.Result) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPIENT\tPERIOD\tOUTCOME\tSTORIES\tATTEMPTS\tERROR")
	tally := map[digest.Outcome]int{}
	for _, r := range results {
		tally[r.Outcome]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", r.Recipient, orDash(r.Period.ID), outcomeText(r), r.Stories, r.Attempts, errText(r.Err))
	}
	tw.Flush()
	var parts []string
	for _, o := range []digest.Outcome{digest.OutcomeSent, digest.OutcomeAlreadySent, digest.OutcomePending,
		digest.OutcomeFailed, digest.OutcomeSkipped, digest.OutcomeNotDue} {
		if tally[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", tally[o], o))
		}
	}
	fmt.Fprintf(e.stdout, "digests: %s\n", strings.Join(parts, ", "))
	if tally[digest.OutcomePending] > 0 {
		fmt.Fprintln(e.stdout, "pending digests are sent, unchanged, by the next run")
	}
}

func outcomeText(r digest.Result) string {
	switch {
	case r.Outcome == digest.OutcomeSent && r.Resent:
		return "sent (stored by an earlier run)"
	case r.Outcome == digest.OutcomeFailed && r.Attempts == 0:
		return "failed (earlier)"
	case r.Outcome == digest.OutcomeSkipped:
		return "skipped (nothing matched)"
	}
	return string(r.Outcome)
}

// printPreview shows a dry run: each digest's text on stdout, or the files
// written under dir.
func printPreview(e *env, results []digest.Result, dir string) error {
	for _, r := range results {
		line := fmt.Sprintf("%s · %s · %s", r.Recipient, orDash(r.Period.ID), outcomeText(r))
		if r.Message == nil {
			fmt.Fprintln(e.stdout, line)
			continue
		}
		line += fmt.Sprintf(" · %d stories · Subject: %s", r.Stories, r.Message.Subject)
		if dir != "" {
			paths, err := digest.WritePreview(dir, r)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s\n  %s\n", line, strings.Join(paths, "\n  "))
			continue
		}
		fmt.Fprintf(e.stdout, "== %s\n\n%s\n", line, r.Message.Text)
	}
	return nil
}

func cmdDigests(e *env, args []string) error {
	fs := flag.NewFlagSet("digests", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "show this many of the latest digests")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("%w: --limit must be positive", errUsage)
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
	list, err := st.RecentDigests(e.ctx, *limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no digests yet")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PERIOD\tRECIPIENT\tSTATUS\tATTEMPTS\tWINDOW (FIRST SEEN)\tSTORIES\tSENT AT\tSUBJECT\tLAST ERROR")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", d.Period, d.Recipient, d.Status, d.Attempts, window(d, loc),
			len(d.StoryIDs), sentAt(d, loc), oneLine(d.Subject, 60), orDash(oneLine(d.LastError, 100)))
	}
	return tw.Flush()
}

// window is the digest's window: the stories first seen from its start up
// to its end, the moment it was built; in the display zone, the offset once.
func window(d store.DigestRecord, loc *time.Location) string {
	return d.WindowStart.In(loc).Format("2006-01-02 15:04") + " – " + display.Time(d.WindowEnd, loc)
}

func sentAt(d store.DigestRecord, loc *time.Location) string {
	if d.SentAt.IsZero() {
		return "-"
	}
	return display.Time(d.SentAt, loc)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return oneLine(err.Error(), 120)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
