package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/suggest"
)

const suggestUsage = `usage: civicwatch rules suggest FILE.jsonl [--topic ID] [--max 5] [--teaser CHARS]`

// rulesSuggest proposes terms for the topics from a labelled file: terms to
// add from the relevant stories a topic misses, NOT terms from those it
// wrongly catches, each tried in the rule over the file (and the archive,
// when the database exists). Nothing is written.
func rulesSuggest(e *env, args []string) error {
	fset := flag.NewFlagSet("rules suggest", flag.ContinueOnError)
	topic := fset.String("topic", "", "suggest for this topic only")
	max := fset.Int("max", 5, "suggestions of each kind per topic")
	teaser := teaserFlag(fset, "read")
	fset.Usage = func() {
		fmt.Fprintln(e.stderr, suggestUsage)
		fset.PrintDefaults()
	}
	files, err := e.parseFlagsArgs(fset, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: rules suggest takes one labelled file, got %d\n%s", errUsage, len(files), suggestUsage)
	}
	if *max < 1 {
		return fmt.Errorf("%w: --max must be at least 1", errUsage)
	}
	if err := checkTeaser(*teaser); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if *topic != "" && !hasTopicID(cfg, *topic) {
		return fmt.Errorf("%w: --topic: no topic %q in %s", errUsage, *topic, cfg.Path)
	}
	cases, err := readCases(e, files[0], *teaser)
	if err != nil {
		return err
	}
	opt := suggest.Options{Topic: *topic, Max: *max}
	// The archive tells how many stored stories a term would bring in;
	// without a database the labelled file alone speaks.
	if _, err := os.Stat(e.global.db); err == nil {
		st, err := e.openStore()
		if err != nil {
			return err
		}
		defer st.Close()
		opt.Archive = suggest.FromStore(e.ctx, st, cfg.Feeds)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	res, err := suggest.Suggest(matchTopics(cfg), cfg.Lists, cases, opt)
	if err != nil {
		return err
	}
	for i, ts := range res {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printSuggestions(e.stdout, ts)
	}
	if opt.Archive == nil {
		fmt.Fprintf(e.stdout, "\n(no archive at %s: effects are on the labelled file only)\n", e.global.db)
	}
	return nil
}

func matchTopics(cfg *config.Config) []match.Topic {
	out := make([]match.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		out[i] = match.Topic{ID: t.ID, Name: t.Name, Rule: t.Rule}
	}
	return out
}

// suggestCase is the story as rules suggest and the leave-one-out
// estimate take it.
func (s *inputStory) suggestCase() suggest.Case {
	return suggest.Case{ID: s.idText(), Story: *s.story(), Expect: evaluate.Expect(s.Expect), Topics: s.Topics}
}

// readCases reads a labelled file as eval does, every broken line
// reported, each story cut to a teaser of that many characters when
// teaser > 0.
func readCases(e *env, path string, teaser int) ([]suggest.Case, error) {
	var cases []suggest.Case
	err := eachLabelled(e, path, teaser, func(s *inputStory) {
		cases = append(cases, s.suggestCase())
	})
	return cases, err
}

// printSuggestions prints a topic's counts, then its suggestions, each
// with its effect and the labelled stories it changes.
func printSuggestions(w io.Writer, ts suggest.Topic) {
	b := ts.Before
	p, _ := b.Precision()
	r, _ := b.Recall()
	fmt.Fprintf(w, "%s: %d relevant, %d not relevant labelled; TP %d  FP %d  FN %d  precision %s  recall %s\n",
		ts.Topic, ts.Positives, ts.Negatives, b.TP, b.FP, b.FN, rate(p, b.TP+b.FP > 0), rate(r, b.TP+b.FN > 0))
	if len(ts.Missed) > 0 {
		fmt.Fprintf(w, "  missed: %s\n", idList(ts.Missed))
	}
	if len(ts.Caught) > 0 {
		fmt.Fprintf(w, "  wrongly caught: %s\n", idList(ts.Caught))
	}
	section := func(title string, list []suggest.Suggestion, none string) {
		fmt.Fprintf(w, "\n  %s:\n", title)
		if len(list) == 0 {
			fmt.Fprintf(w, "    none: %s\n", none)
		}
		for i, s := range list {
			fmt.Fprintf(w, "    %d. %-24s %s  %s\n", i+1, s.Term, change(s), effect(s, ts.ArchiveTotal))
			if len(s.GainedRelevant)+len(s.GainedNot) > 0 {
				fmt.Fprintf(w, "         gains: %s\n", idList(append(append([]string{}, s.GainedRelevant...), mark(s.GainedNot)...)))
			}
			if len(s.LostRelevant)+len(s.LostNot) > 0 {
				fmt.Fprintf(w, "         drops: %s\n", idList(append(mark(s.LostRelevant), s.LostNot...)))
			}
		}
		if len(list) > 0 {
			fmt.Fprintf(w, "    as in: %s\n", oneLine(list[0].Rule, 160))
		}
	}
	noneAdd := "no relevant story is missed"
	if len(ts.Missed) > 0 {
		noneAdd = "no word of the missed stories brings one in without more harm"
	}
	section("terms to add", ts.Add, noneAdd)
	noneNot := "no story is wrongly caught"
	if len(ts.Caught) > 0 {
		noneNot = "no word of the wrongly caught stories keeps them out without losing relevant ones"
	}
	section("NOT terms", ts.Not, noneNot)
}

// change is the count of labelled stories a suggestion changes.
func change(s suggest.Suggestion) string {
	if s.Not {
		return fmt.Sprintf("−%d not relevant, −%d relevant", len(s.LostNot), len(s.LostRelevant))
	}
	return fmt.Sprintf("+%d relevant, +%d not relevant", len(s.GainedRelevant), len(s.GainedNot))
}

// effect is precision and recall before and after, and the archive.
func effect(s suggest.Suggestion, total int) string {
	pb, okpb := s.Before.Precision()
	pa, okpa := s.After.Precision()
	rb, okrb := s.Before.Recall()
	ra, okra := s.After.Recall()
	out := fmt.Sprintf("precision %s → %s  recall %s → %s", rate(pb, okpb), rate(pa, okpa), rate(rb, okrb), rate(ra, okra))
	if total >= 0 {
		out += fmt.Sprintf("  archive %s → %s of %s", thousands(s.ArchiveBefore), thousands(s.ArchiveAfter), thousands(total))
	}
	return out
}

// mark flags the ids of stories a suggestion gets wrong.
func mark(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id + "(!)"
	}
	return out
}

// idList is at most ten ids, then how many more.
func idList(ids []string) string {
	if len(ids) <= 10 {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:10], ", ") + fmt.Sprintf(", … (%d more)", len(ids)-10)
}
