package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/savepagenow"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/worddiff"
)

// cmdEvidence dispatches the evidence subcommands. They share one help page,
// "evidence", whose flags are the union of theirs.
func cmdEvidence(e *env, args []string) error {
	if len(args) == 0 || isHelpArg(args[0]) {
		fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
		evidenceFlags(fs)
		if err := e.parseFlags(fs, args); err != nil {
			return err
		}
		return fmt.Errorf("%w: evidence needs a subcommand: run, list, show or export", errUsage)
	}
	switch args[0] {
	case "run":
		return evidenceRun(e, args[1:])
	case "list":
		return evidenceList(e, args[1:])
	case "show":
		return evidenceShow(e, args[1:])
	case "export":
		return evidenceExport(e, args[1:])
	}
	return fmt.Errorf("%w: unknown evidence subcommand %q (run, list, show or export)", errUsage, args[0])
}

// evidenceFlags defines every subcommand's flags, for the help page.
func evidenceFlags(fs *flag.FlagSet) {
	fs.String("state", "", "list: only stories in this state ("+stateNames+")")
	fs.Bool("json", false, "list: print one JSON object per story")
	fs.String("out", "", "export: the new or empty directory to write the bundle into")
	fs.Bool("recheck-all", false, "run: re-check every capture now, whatever its schedule (within the daily budget)")
}

func evidenceRun(e *env, args []string) error {
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	recheckAll := fs.Bool("recheck-all", false, "re-check every capture now, whatever its schedule (within the daily budget)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	dir := evidence.Dir(cfg.Evidence, e.global.db)
	a, err := evidence.NewWARCDir(dir, 0)
	if err != nil {
		return err
	}
	var rechecks []time.Duration
	for _, d := range cfg.Evidence.Rechecks {
		rechecks = append(rechecks, d.D())
	}
	spn, err := savepagenow.FromConfig(cfg.Evidence.SavePageNow, userAgent(), e.lookupEnv)
	if err != nil {
		return fmt.Errorf("evidence.save_page_now is enabled but %w", err)
	}
	o := evidence.Options{Capture: cfg.Evidence.Capture, DailyBudget: cfg.Evidence.DailyBudget, Rechecks: rechecks,
		RecheckAll: *recheckAll, Log: e.log, Rules: cfg.Rules, FeedTags: rematch.FeedTags(cfg.Feeds)}
	if spn != nil {
		o.SavePageNow, o.SubmitBatch = spn, cfg.Evidence.SavePageNow.PerMinute
	}
	r := evidence.NewRunner(st, evidence.NewFetcher(cfg.Fetch, userAgent()), a, o)
	rep, err := r.Run(e.ctx)
	for _, msg := range rep.Errors {
		fmt.Fprintf(e.stdout, "failed: %s\n", msg)
	}
	for _, msg := range rep.SubmitErrors {
		fmt.Fprintf(e.stdout, "save page now failed: %s\n", msg)
	}
	fmt.Fprintf(e.stdout, "evidence (capture: %s, %s): %d queued, %d captured, %d failed\n",
		cfg.Evidence.Capture, dir, rep.Queued, rep.Captured, rep.Failed)
	if rep.Checked > 0 || *recheckAll {
		fmt.Fprintf(e.stdout, "re-checked %d: %s\n", rep.Checked, stateCounts(rep.States))
	}
	if spn != nil {
		fmt.Fprintf(e.stdout, "save page now: %d submitted, %d failed", rep.Submitted, len(rep.SubmitErrors))
		if rep.RateLimited {
			fmt.Fprint(e.stdout, " (rate limited: the rest wait)")
		}
		fmt.Fprintln(e.stdout)
	}
	if rep.OutOfBudget {
		fmt.Fprintf(e.stdout, "the daily budget of %d fetches is spent; the rest waits for tomorrow (UTC)\n", cfg.Evidence.DailyBudget)
	}
	return err
}

// evidenceLine is one line of evidence list --json; its names are an interface.
type evidenceLine struct {
	ID          int64      `json:"id"`
	State       string     `json:"state"`
	Captures    int        `json:"captures"`
	Attempts    int        `json:"attempts"`
	LastCapture *time.Time `json:"last_capture"`
	LastChecked time.Time  `json:"last_checked"`
	URL         string     `json:"url"`
	Title       string     `json:"title"`
	LastError   string     `json:"last_error,omitempty"`
}

var evidenceStates = map[string]bool{"": true, store.EvidenceQueued: true, store.EvidenceCaptured: true, store.EvidenceFailed: true,
	store.EvidenceUnchanged: true, store.EvidenceEdited: true, store.EvidenceRemoved: true, store.EvidenceUnreachable: true}

const stateNames = "queued, captured, failed, unchanged, edited, removed or unreachable"

func evidenceList(e *env, args []string) error {
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	state := fs.String("state", "", "only stories in this state ("+stateNames+")")
	asJSON := fs.Bool("json", false, "print one JSON object per story")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if !evidenceStates[*state] {
		return fmt.Errorf("%w: --state must be %s, not %q", errUsage, stateNames, *state)
	}
	st, err := e.openExistingStore()
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.EvidenceList(e.ctx, *state, 0)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, en := range entries {
			l := evidenceLine{ID: en.StoryID, State: en.State, Captures: en.Captures, Attempts: en.Attempts,
				LastChecked: en.UpdatedAt, URL: en.URL, Title: en.Title, LastError: en.LastError}
			if !en.LastCapture.IsZero() {
				l.LastCapture = &en.LastCapture
			}
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCAPTURES\tLAST CHECK\tURL\tTITLE")
	for _, en := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", en.StoryID, en.State, en.Captures,
			en.UpdatedAt.UTC().Format("2006-01-02 15:04Z"), en.URL, en.Title)
	}
	tw.Flush()
	if len(entries) == 1 {
		fmt.Fprintln(e.stdout, "1 story")
	} else {
		fmt.Fprintf(e.stdout, "%d stories\n", len(entries))
	}
	return evidenceSummary(e, st)
}

// evidenceSummary prints the line that tells an operator what the whole
// archive holds and takes on disk, whatever --state listed.
func evidenceSummary(e *env, st *store.Store) error {
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	sum, err := st.EvidenceSummary(e.ctx)
	if err != nil {
		return err
	}
	dir := evidence.Dir(cfg.Evidence, e.global.db)
	u, err := evidence.DiskUsage(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "evidence: %s, %s, %s, %d bytes (%.1f MiB) on disk in %s; by state: %s\n",
		plural(sum.Stories, "story", "stories"), plural(sum.Captures, "capture", "captures"),
		plural(u.WARCFiles, "WARC file", "WARC files"), u.Bytes, float64(u.Bytes)/(1<<20), dir, stateCounts(sum.ByState))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// stateCounts reads "2 unchanged, 1 edited", in the order of the states'
// life, or "none".
func stateCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{store.EvidenceQueued, store.EvidenceCaptured, store.EvidenceFailed, store.EvidenceUnchanged,
		store.EvidenceEdited, store.EvidenceRemoved, store.EvidenceUnreachable} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func evidenceShow(e *env, args []string) error {
	id, err := evidenceStoryArg(e, flag.NewFlagSet("evidence", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	st, err := e.openExistingStore()
	if err != nil {
		return err
	}
	defer st.Close()
	en, caps, err := storyEvidence(e, st, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "story %d: %s\n%s\nstate: %s (%d attempts)\n", en.StoryID, en.Title, en.URL, en.State, en.Attempts)
	if en.LastError != "" {
		fmt.Fprintf(e.stdout, "last error: %s\n", en.LastError)
	}
	checks, err := st.CheckHistory(e.ctx, id)
	if err != nil {
		return err
	}
	subs, err := st.Submissions(e.ctx, id)
	if err != nil {
		return err
	}
	for i, c := range caps {
		fmt.Fprintf(e.stdout, "\ncapture %d: %s\n  final URL: %s\n  HTTP %d, %d bytes\n  body SHA-256: %s\n  WARC: %s @ %d (%s)\n",
			i+1, c.CapturedAt.UTC().Format(time.RFC3339), c.FinalURL, c.Status, c.BodyBytes, c.BodySHA256,
			c.WARCFile, c.WARCOffset, c.WARCRecordID)
		if c.ExtractError != "" {
			fmt.Fprintf(e.stdout, "  text: not extracted: %s\n", c.ExtractError)
		} else {
			fmt.Fprintf(e.stdout, "  text SHA-256: %s (%d characters)\n", c.TextSHA256, utf8.RuneCountInString(c.Text))
		}
		if s, ok := subs[c.ID]; ok {
			fmt.Fprintf(e.stdout, "  Save Page Now: %s", s.State)
			if s.JobID != "" {
				fmt.Fprintf(e.stdout, ", job %s, %s", s.JobID, s.SubmittedAt.UTC().Format(time.RFC3339))
			}
			if s.ArchivedURL != "" {
				fmt.Fprintf(e.stdout, ", archived at %s", s.ArchivedURL)
			}
			if s.LastError != "" && s.State != store.SPNSubmitted && s.State != store.SPNArchived {
				fmt.Fprintf(e.stdout, " (%d attempts; %s)", s.Attempts, s.LastError)
			}
			fmt.Fprintln(e.stdout)
		}
	}
	texts := make([]string, len(caps))
	for i, c := range caps {
		texts[i] = c.Text
	}
	for _, ed := range worddiff.Edits(texts) {
		// About ten words (20 tokens, spaces counted) either side of each
		// change, as on the console: enough to find it in the article,
		// short enough to read the edit at a glance.
		rem, ins := ed.Diff.Words()
		fmt.Fprintf(e.stdout, "\nedit from capture %d to capture %d: %d removed, %d inserted ([-removed-] {+inserted+})\n  %s\n",
			ed.From+1, ed.To+1, len(rem), len(ins), strings.ReplaceAll(ed.Diff.Context(20).Plain(), "\n", "\n  "))
	}
	if len(checks) > 0 {
		fmt.Fprintln(e.stdout, "\nre-checks:")
	}
	for _, c := range checks {
		fmt.Fprintf(e.stdout, "  %s  %s", c.At.UTC().Format(time.RFC3339), c.Outcome)
		if c.Status != 0 {
			fmt.Fprintf(e.stdout, "  HTTP %d", c.Status)
		}
		if c.Error != "" {
			fmt.Fprintf(e.stdout, "  %s", c.Error)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

func evidenceExport(e *env, args []string) error {
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	out := fs.String("out", "", "the new or empty directory to write the bundle into")
	id, err := evidenceStoryArg(e, fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: export needs --out DIR", errUsage)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	st, err := e.openExistingStore()
	if err != nil {
		return err
	}
	defer st.Close()
	en, caps, err := storyEvidence(e, st, id)
	if err != nil {
		return err
	}
	m, err := evidence.Export(en, caps, evidence.Dir(cfg.Evidence, e.global.db), *out, "civicwatch "+versionString(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d files and SHA256SUMS to %s (check with: cd %s && sha256sum -c SHA256SUMS)\n", len(m.Files), *out, *out)
	return nil
}

// storyEvidence is a story's evidence entry and its captures, oldest first.
func storyEvidence(e *env, st *store.Store, id int64) (store.EvidenceEntry, []store.Capture, error) {
	en, err := st.EvidenceOf(e.ctx, id)
	if err != nil {
		return en, nil, err
	}
	caps, err := st.Captures(e.ctx, id)
	return en, caps, err
}

// evidenceStoryArg parses flags and the one STORY_ID argument.
func evidenceStoryArg(e *env, fs *flag.FlagSet, args []string) (int64, error) {
	rest, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) != 1 {
		return 0, fmt.Errorf("%w: give one STORY_ID", errUsage)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: STORY_ID must be a story number, not %q", errUsage, rest[0])
	}
	return id, nil
}
