package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/suggest"
)

// labelled is one scored row of eval's input with what the rules made of it.
type labelled struct {
	story *inputStory
	exps  []match.Explanation
}

// cmdEval scores the config's rules on a labelled JSON-lines file (see
// internal/evaluate for how rows count). It is a report: it exits 0 however
// the rules score, and 2 when the file cannot be read, since a score over
// part of a file would mislead.
func cmdEval(e *env, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	loo := fs.Bool("leave-one-out", false, "also estimate recall on unseen stories: match each relevant story again without the terms no other relevant story has")
	teaser := teaserFlag(fs, "score")
	files, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: eval takes one labelled file, got %d", errUsage, len(files))
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.Topics) == 0 {
		return &configError{fmt.Errorf("%s has no topics to evaluate", cfg.Path)}
	}
	rules := cfg.Rules
	if err := checkTeaser(*teaser); err != nil {
		return err
	}
	rows, err := readLabelled(e, files[0], rules, *teaser)
	if err != nil {
		return err
	}
	cases := make([]evaluate.Case, len(rows))
	for i, r := range rows {
		cases[i] = evaluate.Case{Expect: evaluate.Expect(r.story.Expect), Want: r.story.Topics, Got: match.MatchedTopics(r.exps)}
	}
	rep := evaluate.Score(rules.TopicIDs(), cases)
	printEval(e.stdout, rules, rep, khmerReport(rules.TopicIDs(), rows, cases), rows, cases)
	if *loo {
		printLeaveOneOut(e.stdout, rules, rows)
		printTrapsLeftOut(e.stdout, rules, rows, rep.Stories)
	}
	return nil
}

// looFigures are suggest.LeaveOneOut's verdicts counted as eval prints
// them, each beside its figure as scored. Topic figures count the listed
// topics of the relevant stories that list some.
type looFigures struct {
	stories, matched, kept            int
	topics, topicsMatched, topicsKept int
	khmer, khmerMatched, khmerKept    int
	lost                              []suggest.Held // matched as scored, not without their own terms
}

// leaveOneOut runs suggest.LeaveOneOut over labelled stories and counts
// what it found.
func leaveOneOut(rules *match.Rules, stories []*inputStory) looFigures {
	var f looFigures
	for _, h := range suggest.LeaveOneOut(rules, suggestCases(stories)) {
		s := stories[h.Case]
		km := s.Lang == "km"
		f.stories++
		if km {
			f.khmer++
		}
		if len(s.Topics) > 0 {
			f.topics += len(s.Topics)
			f.topicsMatched += len(h.Topics)
			f.topicsKept += len(h.KeptTopics)
		}
		if h.Matched {
			f.matched++
			if km {
				f.khmerMatched++
			}
		}
		switch {
		case h.Kept:
			f.kept++
			if km {
				f.khmerKept++
			}
		case h.Matched:
			f.lost = append(f.lost, h)
		}
	}
	return f
}

// printLeaveOneOut prints leaveOneOut's figures, then the stories caught
// only by their own terms, with the terms.
func printLeaveOneOut(w io.Writer, rules *match.Rules, rows []labelled) {
	stories := rowStories(rows)
	f := leaveOneOut(rules, stories)
	frac := func(n, d int) string { return rate(float64(n)/float64(max(d, 1)), d > 0) }
	fmt.Fprintf(w, "\nleave-one-out: each relevant story matched again without the terms that fire on no other relevant story\n")
	fmt.Fprintf(w, "  recall %s (%d of %d; %d as scored)  topic recall %s (%d of %d; %d as scored)  khmer recall %s (%d of %d; %d as scored)\n",
		frac(f.kept, f.stories), f.kept, f.stories, f.matched,
		frac(f.topicsKept, f.topics), f.topicsKept, f.topics, f.topicsMatched,
		frac(f.khmerKept, f.khmer), f.khmerKept, f.khmer, f.khmerMatched)
	fmt.Fprintf(w, "\ncaught only by their own terms (%d)\n", len(f.lost))
	for _, h := range f.lost {
		s := stories[h.Case]
		fmt.Fprintf(w, "  %s  %s\n      %s\n", s.idText(), oneLine(s.Title, 100), strings.Join(h.Own, ", "))
	}
}

// trapsLeftOut runs suggest.TrapsLeftOut over labelled stories and gives
// the story counts as scored with the traps it returns counted as false
// alarms, the estimate's precision.
func trapsLeftOut(rules *match.Rules, stories []*inputStory, scored evaluate.Counts) ([]suggest.Escaped, evaluate.Counts) {
	esc := suggest.TrapsLeftOut(rules, suggestCases(stories))
	return esc, evaluate.Counts{TP: scored.TP, FP: scored.FP + len(esc), FN: scored.FN}
}

// rowStories and suggestCases give the leave-one-out estimates eval's rows
// as the suggest package takes them.
func rowStories(rows []labelled) []*inputStory {
	stories := make([]*inputStory, len(rows))
	for i, r := range rows {
		stories[i] = r.story
	}
	return stories
}

func suggestCases(stories []*inputStory) []suggest.Case {
	cases := make([]suggest.Case, len(stories))
	for i, s := range stories {
		cases[i] = s.suggestCase()
	}
	return cases
}

// teaserFlag adds --teaser to fs, for a command that does what to each
// story ("score"); checkTeaser checks its value.
func teaserFlag(fs *flag.FlagSet, what string) *int {
	return fs.Int("teaser", 0, what+" each story as a headline and the first `CHARS` characters of its summary, without content or article, as teaser-only feeds deliver it (0: the whole story)")
}

func checkTeaser(chars int) error {
	if chars < 0 {
		return fmt.Errorf("%w: --teaser %d: want a number of characters, or 0 for the whole story", errUsage, chars)
	}
	return nil
}

// printTrapsLeftOut prints suggest.TrapsLeftOut's estimate: the traps the
// rules keep out only by vetoes no other trap has, and the precision with
// them counted as false alarms, then each with its vetoes.
func printTrapsLeftOut(w io.Writer, rules *match.Rules, rows []labelled, scored evaluate.Counts) {
	stories := rowStories(rows)
	esc, est := trapsLeftOut(rules, stories, scored)
	p, ok := scored.Precision()
	pe, oke := est.Precision()
	fmt.Fprintf(w, "\nleave-one-out, traps: each not-relevant story kept out matched again without the veto terms that fire on no other not-relevant story\n")
	fmt.Fprintf(w, "  precision %s (%d of %d; %s as scored)\n", rate(pe, oke), est.TP, est.TP+est.FP, rate(p, ok))
	fmt.Fprintf(w, "\nkept out only by their own vetoes (%d)\n", len(esc))
	for _, x := range esc {
		s := stories[x.Case]
		fmt.Fprintf(w, "  %s  %s\n      %s → %s\n", s.idText(), oneLine(s.Title, 100), strings.Join(x.Own, ", "), strings.Join(x.Topics, ", "))
	}
}

// khmerReport scores the Khmer-language rows alone, or is nil when there
// are none: Khmer reporting is where the rules have the fewest words to go
// on, so its recall is worth a line of its own rather than hiding in the
// total.
func khmerReport(topics []string, rows []labelled, cases []evaluate.Case) *evaluate.Report {
	var km []evaluate.Case
	for i, r := range rows {
		if r.story.Lang == "km" {
			km = append(km, cases[i])
		}
	}
	if len(km) == 0 {
		return nil
	}
	return evaluate.Score(topics, km)
}

// readLabelled reads and matches every row, reporting every broken line on
// stderr before giving up, as check does for the config.
func readLabelled(e *env, path string, rules *match.Rules, teaser int) ([]labelled, error) {
	var rows []labelled
	err := eachLabelled(e, path, teaser, func(s *inputStory) {
		rows = append(rows, labelled{story: s, exps: rules.Explain(s.story())})
	})
	return rows, err
}

// eachLabelled calls fn with every labelled story of the file (- is stdin),
// cut to a teaser of that many characters when teaser > 0 (toTeaser).
// Every line that cannot be read is reported on stderr; then, or when the
// file has no story, it fails as an inputError (exit 2).
func eachLabelled(e *env, path string, teaser int, fn func(*inputStory)) error {
	var r io.Reader = e.stdin
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return &inputError{err}
		}
		defer f.Close()
		r, name = f, path
	}
	var rows, failed int
	err := eachLine(r, maxLine, func(n int, line []byte, lineErr error) error {
		var s *inputStory
		if lineErr == nil {
			s, lineErr = parseStory(line)
		}
		if lineErr == nil {
			_, lineErr = evaluate.ParseExpect(s.Expect)
		}
		if lineErr != nil {
			failed++
			fmt.Fprintf(e.stderr, "%s:%d: %v\n", name, n, lineErr)
			return nil
		}
		rows++
		if teaser > 0 {
			s.toTeaser(teaser)
		}
		fn(s)
		return nil
	})
	switch {
	case err != nil:
		return &inputError{fmt.Errorf("%s: %w", name, err)}
	case failed > 0:
		return &inputError{fmt.Errorf("%s: %d line(s) could not be read", name, failed)}
	case rows == 0:
		return &inputError{fmt.Errorf("%s: no labelled stories", name)}
	}
	return nil
}

func printEval(w io.Writer, rules *match.Rules, rep, km *evaluate.Report, rows []labelled, cases []evaluate.Case) {
	// Names left-aligned, numbers right-aligned: tabwriter aligns every
	// column one way, so the widths are worked out here.
	width := len("TOPIC")
	for _, t := range rep.Topics {
		width = max(width, len(t.Topic)+1)
	}
	fmt.Fprintf(w, "%-*s  %4s  %4s  %4s  %9s  %6s  %4s\n", width, "TOPIC", "TP", "FP", "FN", "PRECISION", "RECALL", "F1")
	unconfigured := false
	for _, t := range rep.Topics {
		name := t.Topic
		if !t.Configured {
			name += "*"
			unconfigured = true
		}
		fmt.Fprintf(w, "%-*s  %4d  %4d  %4d  %9s  %6s  %4s\n", width, name, t.TP, t.FP, t.FN,
			rate(t.Precision()), rate(t.Recall()), rate(t.F1()))
	}
	if unconfigured {
		fmt.Fprintln(w, "* labelled in the file but not a topic of the config")
	}
	fmt.Fprintln(w)
	s := rep.Stories
	fmt.Fprintf(w, "stories: TP %d  FP %d  FN %d  precision %s  recall %s  F1 %s  (%d relevant, %d not; %d borderline not scored)\n",
		s.TP, s.FP, s.FN, rate(s.Precision()), rate(s.Recall()), rate(s.F1()), rep.Relevant, rep.Not, rep.Borderline)
	fmt.Fprintf(w, "topic recall: %s (%d of %d listed topics matched)\n", rate(rep.TopicRecall()), rep.TopicsMatched, rep.TopicsListed)
	if km != nil {
		k := km.Stories
		fmt.Fprintf(w, "khmer stories (lang km): TP %d  FP %d  FN %d  precision %s  recall %s  (%d relevant, %d not)\n",
			k.TP, k.FP, k.FN, rate(k.Precision()), rate(k.Recall()), km.Relevant, km.Not)
	}

	section := func(title string, idx []int, detail func(r labelled, c evaluate.Case) []string) {
		fmt.Fprintf(w, "\n%s (%d)\n", title, len(idx))
		for _, i := range idx {
			r := rows[i]
			fmt.Fprintf(w, "  %s  %s\n", r.story.idText(), oneLine(r.story.Title, 100))
			for _, d := range detail(r, cases[i]) {
				fmt.Fprintf(w, "      %s\n", d)
			}
		}
	}
	section("false positives: not relevant, matched", rep.FalsePositives, func(r labelled, c evaluate.Case) []string {
		return firedLines(r.exps, c.Got)
	})
	section("false negatives: relevant, matched nothing", rep.FalseNegatives, func(r labelled, c evaluate.Case) []string {
		lines := firedLines(r.exps, nil)
		if len(lines) == 0 {
			lines = []string{"no terms fired"}
		}
		return append(lines, lackLines(rules, r.story, c)...)
	})
	section("wrong topics: relevant, matched other topics than listed", rep.WrongTopics, func(r labelled, c evaluate.Case) []string {
		lines := []string{fmt.Sprintf("listed %s; matched %s", strings.Join(c.Want, ", "), strings.Join(c.Got, ", "))}
		lines = append(lines, firedLines(r.exps, nil)...)
		return append(lines, lackLines(rules, r.story, c)...)
	})
}

// lackLines says, for each listed topic a relevant story did not match
// and no NOT clause turned away, what the rule lacked (match.Account's one line): the part an operator
// would have to widen to catch it.
func lackLines(rules *match.Rules, s *inputStory, c evaluate.Case) []string {
	var out []string
	var accounts []match.Account
	for _, t := range c.Want {
		if slices.Contains(c.Got, t) {
			continue
		}
		if accounts == nil {
			accounts = rules.Account(s.story())
		}
		for _, a := range accounts {
			// A veto is already on the topic's line of fired terms.
			if a.Topic == t && a.Missing != "" && a.Veto == "" {
				out = append(out, t+" lacks: "+a.Missing)
			}
		}
	}
	return out
}

// firedLines says, per topic (only those named, or all when nil), which
// terms fired and which NOT clause vetoed it.
func firedLines(exps []match.Explanation, topics []string) []string {
	var out []string
	for _, x := range exps {
		if topics != nil && !slices.Contains(topics, x.Topic) || len(x.Hits) == 0 && x.Veto == "" {
			continue
		}
		line := x.Topic + ": " + hitTerms(x.Hits)
		if x.Veto != "" {
			line += "; vetoed by " + x.Veto
		}
		out = append(out, line)
	}
	return out
}

// hitTerms lists each term once per field, in order of first appearance:
// `strike (title), union* (summary, content)`.
func hitTerms(hits []match.Hit) string {
	var terms []string
	fields := map[string][]string{}
	for _, h := range hits {
		if _, ok := fields[h.Term]; !ok {
			terms = append(terms, h.Term)
		}
		if !slices.Contains(fields[h.Term], string(h.Field)) {
			fields[h.Term] = append(fields[h.Term], string(h.Field))
		}
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = fmt.Sprintf("%s (%s)", t, strings.Join(fields[t], ", "))
	}
	if len(parts) == 0 {
		return "no terms fired"
	}
	return strings.Join(parts, ", ")
}

// rate prints a rate with two decimals, or "-" when it is undefined (no
// predictions for precision, nothing to find for recall).
func rate(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
