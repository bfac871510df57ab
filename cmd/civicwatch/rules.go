package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/lab"
)

const rulesUsage = `usage: civicwatch rules test --rule RULE [--topic ID] [--since 90d | --all]
       civicwatch rules test --config OTHER.yaml [--topic ID] [--since 90d | --all]
       civicwatch rules suggest FILE.jsonl [--topic ID] [--max 5] [--teaser CHARS]`

// cmdRules is the rules lab on the command line: what a changed rule, or a
// whole other config, would gain and lose across the archive (test), and
// which terms labelled stories call for (suggest). Nothing is written.
func cmdRules(e *env, args []string) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return rulesTest(e, args)
	}
	switch {
	case len(args) > 0 && args[0] == "test":
		return rulesTest(e, args[1:])
	case len(args) > 0 && args[0] == "suggest":
		return rulesSuggest(e, args[1:])
	}
	return fmt.Errorf("%w: rules needs a subcommand: test or suggest\n%s", errUsage, rulesUsage)
}

// rulesFlags are the flags of rules test.
type rulesFlags struct {
	rule, topic, other string
	ruleSet, otherSet  bool
	lookback           sinceFlag
	all                bool
}

// parse reads the flags. In rules test --config names the config to compare
// with, as the issue spells the command; the current config is the global
// --config given before the command name (or $CIVICWATCH_CONFIG). So the
// global flags are all taken here but that one.
func (f *rulesFlags) parse(e *env, args []string) error {
	f.lookback = sinceFlag{d: 90 * 24 * time.Hour}
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints the error; help goes to stdout
	fs.StringVar(&f.rule, "rule", "", "the candidate rule, tested against the topic's current one (or alone)")
	fs.StringVar(&f.topic, "topic", "", "the topic whose rule --rule replaces; with --config, show only this topic")
	fs.StringVar(&f.other, "config", "", "another config file to compare with the current one, topic by topic")
	fs.Var(&f.lookback, "since", "test on the stories first seen within this long: 90d, 720h")
	fs.BoolVar(&f.all, "all", false, "test on every stored story")
	globals := flag.NewFlagSet("", flag.ContinueOnError)
	e.global.register(globals)
	globals.VisitAll(func(g *flag.Flag) {
		if fs.Lookup(g.Name) == nil {
			fs.Var(g.Value, g.Name, g.Usage)
		}
	})
	fs.Usage = func() {} // flag calls it on errors too; help is printed on request only
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(e.stdout, "rules", fs)
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	e.setLog()
	fs.Visit(func(fl *flag.Flag) {
		f.ruleSet = f.ruleSet || fl.Name == "rule"
		f.otherSet = f.otherSet || fl.Name == "config"
	})
	switch {
	case f.ruleSet == f.otherSet:
		return fmt.Errorf("%w: give either --rule or --config, not both or neither\n%s", errUsage, rulesUsage)
	case f.all && f.lookback.set:
		return fmt.Errorf("%w: --all and --since exclude each other", errUsage)
	}
	return nil
}

func (f *rulesFlags) since(now time.Time) time.Time {
	if f.all {
		return time.Time{}
	}
	return now.Add(-f.lookback.d)
}

func rulesTest(e *env, args []string) error {
	var f rulesFlags
	if err := f.parse(e, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	var other *config.Config
	if f.otherSet {
		if other, err = config.Load(f.other); err != nil {
			return &configError{err}
		}
		if f.topic != "" && !hasTopicID(cfg, f.topic) && !hasTopicID(other, f.topic) {
			return fmt.Errorf("%w: --topic %s: neither %s nor %s has it", errUsage, f.topic, cfg.Path, other.Path)
		}
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	since := f.since(time.Now())
	if other == nil {
		res, err := lab.TestRule(e.ctx, st, cfg, lab.Request{Topic: f.topic, Rule: f.rule, Since: since})
		var ruleErr *lab.RuleError
		switch {
		case errors.As(err, &ruleErr):
			return fmt.Errorf("%w: --rule: %v", errUsage, err)
		case errors.Is(err, lab.ErrUnknownTopic):
			return fmt.Errorf("%w: --topic: %v", errUsage, err)
		case err != nil:
			return err
		}
		printDiff(e.stdout, res.Diff, res.Scanned, since, "", cfg.Display.Location)
		return nil
	}
	cmp, err := lab.CompareConfigs(e.ctx, st, cfg, other, since)
	if err != nil {
		return err
	}
	first := true
	for _, d := range cmp.Topics {
		if f.topic != "" && d.Topic != f.topic {
			continue
		}
		if !first {
			fmt.Fprintln(e.stdout)
		}
		first = false
		note := ""
		switch {
		case !d.InCurrent:
			note = " (not in " + cfg.Path + ")"
		case !d.InCandidate:
			note = " (not in " + other.Path + ")"
		}
		printDiff(e.stdout, d, cmp.Scanned, since, note, cfg.Display.Location)
	}
	return nil
}

func hasTopicID(cfg *config.Config, id string) bool {
	for _, t := range cfg.Topics {
		if t.ID == id {
			return true
		}
	}
	return false
}

// printDiff prints a topic's count line, then its gained and lost stories
// with the terms that fired.
func printDiff(w io.Writer, d lab.Diff, scanned int, since time.Time, note string, loc *time.Location) {
	name := d.Topic
	if name == "" {
		name = "rule"
	}
	period := "since " + display.Date(since, loc)
	if since.IsZero() {
		period = "in the whole archive"
	}
	fmt.Fprintf(w, "%s%s: %s → %s stories (+%s gained, −%s lost) over %s stories %s\n", name, note,
		thousands(d.Current), thousands(d.Candidate), thousands(d.NumGained), thousands(d.NumLost), thousands(scanned), period)
	printEntries(w, "gained", d.Gained, d.NumGained, loc)
	printEntries(w, "lost", d.Lost, d.NumLost, loc)
}

func printEntries(w io.Writer, what string, entries []lab.Entry, total int, loc *time.Location) {
	if total == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s (%s):\n", what, thousands(total))
	for _, en := range entries {
		fmt.Fprintf(w, "  %d  %s  %s  [%s]\n", en.StoryID, display.Date(en.FirstSeen, loc),
			oneLine(en.Title, 100), strings.Join(en.Feeds, ", "))
		fired := hitTerms(en.Hits)
		if en.Veto != "" {
			fired += "; vetoed by " + oneLine(en.Veto, 100)
		}
		fmt.Fprintf(w, "      %s\n", fired)
	}
	if more := total - len(entries); more > 0 {
		fmt.Fprintf(w, "  … and %s older (the newest %d are listed)\n", thousands(more), len(entries))
	}
}

// thousands writes n with thousands separators: 4,210.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
