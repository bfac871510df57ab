package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
)

// The labelled corpus of real stories (testdata/corpus/README.md): its
// source files, and the fixed split of their rows into a part the rules are
// tuned on and a part they are only reported on.
const corpusDir = "../../testdata/corpus"

var (
	corpusSources = []string{"en.jsonl", "khmer.jsonl", "km-more.jsonl", "km-2.jsonl", "en-2.jsonl", "km-3.jsonl", "en-3.jsonl", "en-4.jsonl", "km-4.jsonl", "en-5.jsonl", "km-5.jsonl", "en-6.jsonl", "km-6.jsonl", "en-7.jsonl", "km-7.jsonl", "en-8.jsonl", "km-8.jsonl", "en-9.jsonl", "km-9.jsonl", "en-10.jsonl", "km-10.jsonl", "en-11.jsonl", "km-11a.jsonl", "km-11b.jsonl", "en-12.jsonl", "km-12a.jsonl", "km-12b.jsonl", "en-13.jsonl", "km-13.jsonl", "en-14.jsonl", "km-14.jsonl", "en-15.jsonl", "km-15.jsonl"}
	updateCorpus  = flag.Bool("update-corpus", false, "rewrite testdata/corpus/tune.jsonl and heldout.jsonl from the source files")
)

// corpusCounts counts corpus rows the way issue 13 states its minimums.
type corpusCounts struct{ stories, khmer, relevant, not int }

func (c *corpusCounts) add(r corpusRow) {
	c.stories++
	if r.Lang == "km" {
		c.khmer++
	}
	switch evaluate.Expect(r.Expect) {
	case evaluate.Relevant:
		c.relevant++
	case evaluate.Not:
		c.not++
	}
}

// heldOut is the split rule: a row is held out when a hash of its address
// falls in the top 40 of 100 buckets. It depends on the address alone, so a
// row added later never moves another row from one side to the other (a
// rank within each stratum would, and could carry a tuned-on story into the
// held-out part). The salt was picked, before any rule was scored on either
// part, as the one of 40 that came closest to 60/40 in every (lang, expect)
// stratum of ten rows or more.
func heldOut(address string) bool {
	sum := sha256.Sum256([]byte("split-39:" + address))
	return binary.BigEndian.Uint32(sum[:4])%100 >= 60
}

// corpusRow is a line of the corpus; unknown keys are refused so a typo in
// a field name cannot pass for an empty field.
type corpusRow struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Content   string   `json:"content"`
	URL       string   `json:"url"`
	Source    string   `json:"source"`
	Published string   `json:"published"`
	Lang      string   `json:"lang"`
	Tags      []string `json:"tags"`
	Expect    string   `json:"expect"`
	Topics    []string `json:"topics"`
	Reason    string   `json:"reason"`
}

var publishedForm = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)

// readCorpusLines reads a corpus file's lines, as written.
func readCorpusLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, slices.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return lines
}

// checkRow lists what is wrong with one row; topics are the shipped ones.
func checkRow(r corpusRow, topics []string) []string {
	var bad []string
	for field, v := range map[string]string{"id": r.ID, "title": r.Title, "url": r.URL, "source": r.Source, "reason": r.Reason} {
		if v == "" {
			bad = append(bad, field+" is empty")
		}
	}
	if r.Summary == "" && r.Content == "" {
		bad = append(bad, "no summary or content: the rules would see a headline only")
	}
	if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad = append(bad, fmt.Sprintf("url %q is not an http(s) address", r.URL))
	}
	if r.Published != "" && !publishedForm.MatchString(r.Published) {
		bad = append(bad, fmt.Sprintf("published %q is not YYYY, YYYY-MM or YYYY-MM-DD", r.Published))
	}
	if r.Lang != "en" && r.Lang != "km" {
		bad = append(bad, fmt.Sprintf("lang %q is neither en nor km", r.Lang))
	}
	if r.Tags == nil || len(r.Tags) > 1 || len(r.Tags) == 1 && r.Tags[0] != "cambodia" {
		bad = append(bad, fmt.Sprintf("tags %q: want [] (global outlet) or [\"cambodia\"]", r.Tags))
	}
	if _, err := evaluate.ParseExpect(r.Expect); err != nil {
		bad = append(bad, err.Error())
	}
	if r.Topics == nil {
		bad = append(bad, "topics is missing")
	}
	for _, tp := range r.Topics {
		if !slices.Contains(topics, tp) {
			bad = append(bad, fmt.Sprintf("topic %q is not a shipped topic", tp))
		}
	}
	if r.Expect == string(evaluate.Not) && len(r.Topics) > 0 {
		bad = append(bad, "a story expected in no digest lists topics")
	}
	return bad
}

// TestCorpus keeps the corpus well formed, large enough to mean something,
// and split by the rule above.
func TestCorpus(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topics := cfg.Rules.TopicIDs()
	var (
		all          [][]byte
		ids          = map[string]string{}
		urls         = map[string]string{}
		titles       = map[string]string{} // the same story under two addresses
		every, dated corpusCounts
	)
	for _, name := range corpusSources {
		for i, line := range readCorpusLines(t, name) {
			where := fmt.Sprintf("%s:%d", name, i+1)
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			var r corpusRow
			if err := dec.Decode(&r); err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			for _, p := range checkRow(r, topics) {
				t.Errorf("%s (%s): %s", where, r.ID, p)
			}
			if prev, dup := ids[r.ID]; dup {
				t.Errorf("%s: id %q already used at %s", where, r.ID, prev)
			}
			if prev, dup := urls[r.URL]; dup {
				t.Errorf("%s: url %s already used at %s", where, r.URL, prev)
			}
			title := strings.ToLower(strings.Join(strings.Fields(r.Title), " "))
			if prev, dup := titles[title]; dup {
				t.Errorf("%s: title %q already used at %s", where, r.Title, prev)
			}
			ids[r.ID], urls[r.URL], titles[title] = where, where, where
			all = append(all, line)
			every.add(r)
			if r.Published != "" {
				dated.add(r)
			}
		}
	}
	undated := every.stories - dated.stories
	t.Logf("%d stories: %d in Khmer, %d relevant, %d not, %d undated", every.stories, every.khmer, every.relevant, every.not, undated)
	// The issue asks for every story to be dated. Some stored pages show no
	// date anywhere and are kept, undated, for their text; the dated stories
	// alone must still make the corpus the issue asks for.
	for _, c := range []struct {
		which string
		n     corpusCounts
	}{{"", every}, {"dated ", dated}} {
		for _, k := range []struct {
			what      string
			got, want int
		}{{"stories", c.n.stories, 300}, {"Khmer stories", c.n.khmer, 60}, {"relevant stories", c.n.relevant, 120}, {"traps (expect not)", c.n.not, 100}} {
			if k.got < k.want {
				t.Errorf("%d %s%s, want at least %d", k.got, c.which, k.what, k.want)
			}
		}
	}
	if undated*4 > every.stories {
		t.Errorf("%d of %d stories have no publication date, want at most a quarter", undated, every.stories)
	}

	var tune, held bytes.Buffer
	for _, line := range all {
		var r corpusRow
		json.Unmarshal(line, &r)
		out := &tune
		if heldOut(r.URL) {
			out = &held
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	for name, want := range map[string][]byte{"tune.jsonl": tune.Bytes(), "heldout.jsonl": held.Bytes()} {
		path := filepath.Join(corpusDir, name)
		if *updateCorpus {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not the split of the source files; go test ./cmd/civicwatch -run TestCorpus -update-corpus rewrites it", name)
		}
	}
}

// TestShippedRulesOnHeldOut scores the shipped rules on the held-out part
// of the corpus, which no rule was tuned on, the way `civicwatch eval
// testdata/corpus/heldout.jsonl` does, with the same functions.
//
// Issue 13's targets are story precision and recall 0.95, topic recall
// 0.90 and Khmer recall 0.90. On the held-out part as it now stands (940
// stories) none is met: precision 0.888, recall 0.913, topic recall 0.888,
// Khmer recall 0.841 (testdata/corpus/README.md, look 35). The floors hold
// what was reached, so that no rule change slips below it unnoticed: raise
// them to the targets as the rules improve, by tuning on tune.jsonl only.
// On failure only the summary is printed: the misses would be read, and
// the part would stop being held out.
func TestShippedRulesOnHeldOut(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scoreCorpus(t, cfg.Rules, "heldout.jsonl", 0).atLeast(t, "held out",
		0.88, // story precision; target 0.95: not met yet
		0.91, // story recall; target 0.95: not met yet
		0.88, // topic recall; target 0.90: not met yet
		0.83) // Khmer story recall; target 0.90: not met yet
}

// scoredPart is a corpus file matched with the shipped rules and scored
// as `civicwatch eval` scores it, with the same functions.
type scoredPart struct {
	rules *match.Rules
	rows  []labelled
	cases []evaluate.Case
	all   *evaluate.Report
	khmer *evaluate.Report
	file  string // for messages
}

// scoreCorpus reads a corpus file, each story cut to a teaser of that many
// characters when teaser > 0, and scores the rules on it.
func scoreCorpus(t *testing.T, rules *match.Rules, file string, teaser int) *scoredPart {
	t.Helper()
	sp := &scoredPart{file: file, rules: rules}
	for i, line := range readCorpusLines(t, file) {
		s, err := parseStory(line)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, i+1, err)
		}
		if teaser > 0 {
			s.toTeaser(teaser)
		}
		r := labelled{story: s, exps: rules.Explain(s.story())}
		sp.rows = append(sp.rows, r)
		sp.cases = append(sp.cases, evaluate.Case{Expect: evaluate.Expect(s.Expect), Want: s.Topics, Got: match.MatchedTopics(r.exps)})
	}
	sp.all = evaluate.Score(rules.TopicIDs(), sp.cases)
	if sp.khmer = khmerReport(rules.TopicIDs(), sp.rows, sp.cases); sp.khmer == nil {
		t.Fatalf("no Khmer rows in %s", file)
	}
	return sp
}

// atLeast fails the test for each figure below its floor, and then prints
// only the summary tables: the misses would be read, and a held-out part
// would stop being held out.
func (sp *scoredPart) atLeast(t *testing.T, what string, precision, recall, topics, khmer float64) {
	t.Helper()
	failed := false
	for _, c := range []struct {
		what string
		got  func() (float64, bool)
		min  float64
	}{
		{"story precision", sp.all.Stories.Precision, precision},
		{"story recall", sp.all.Stories.Recall, recall},
		{"topic recall", sp.all.TopicRecall, topics},
		{"Khmer story recall", sp.khmer.Stories.Recall, khmer},
	} {
		if v, ok := c.got(); !ok || v < c.min {
			t.Errorf("%s (%s): %s %.3f (defined %v), want at least %.2f", sp.file, what, c.what, v, ok, c.min)
			failed = true
		}
	}
	if failed {
		var out bytes.Buffer
		printEval(&out, sp.rules, sp.all, sp.khmer, sp.rows, sp.cases)
		summary, _, _ := strings.Cut(out.String(), "\nfalse positives")
		t.Log("\n" + summary)
	}
}

// TestShippedRulesOnTeasers scores the shipped rules on both corpus parts
// cut down to what a teaser-only feed carries (`civicwatch eval --teaser
// 200`): the headline and the summary's first 200 characters, no content,
// no article. Google News results and most Khmer outlets' feeds give no
// more, and the stories the rules will be judged on outside this
// repository are of that length. The floors are the figures of
// 2026-12-03 (testdata/corpus/README.md, look 35, rounds 14 and 15 in): on
// the held-out part precision 0.921, recall 0.808, topic recall 0.755,
// Khmer recall 0.718; on the tuning part, which the teaser vocabulary was
// chosen from, 0.970, 0.894, 0.851 and 0.863. Only the summary is printed
// on failure.
func TestShippedRulesOnTeasers(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A teaser is the summary's opening, read as the poller reads it.
	for i, line := range readCorpusLines(t, "tune.jsonl") {
		s, err := parseStory(line)
		if err != nil {
			t.Fatalf("tune.jsonl:%d: %v", i+1, err)
		}
		whole := s.story()
		s.toTeaser(200)
		if short := s.story(); short.Content != "" || len([]rune(short.Summary)) > 200 || !strings.HasPrefix(whole.Summary, short.Summary) {
			t.Fatalf("tune.jsonl:%d: teaser %q is not the summary's opening", i+1, short.Summary)
		}
	}
	scoreCorpus(t, cfg.Rules, "tune.jsonl", 200).atLeast(t, "teasers", 0.96, 0.89, 0.84, 0.86)
	scoreCorpus(t, cfg.Rules, "heldout.jsonl", 200).atLeast(t, "teasers", 0.91, 0.80, 0.75, 0.71)
}

// TestShippedRulesLeaveOneOut holds the leave-one-out estimate on the
// tuning part (`civicwatch eval --leave-one-out testdata/corpus/tune.jsonl`):
// each relevant story matched again without the terms no other relevant
// story has. A rule change that catches a story only by adding its own
// words leaves these figures where they were; one that makes the rules
// lean on a single story's words lowers them. Before issue 13's fourth
// pass they were 0.88, 0.87 and 0.87. The pass raised them to 0.90, 0.89
// and 0.89 with wider vocabulary, then gave back a story or two to keep
// written traps out (a bare association, a bare radio or television, an
// office closed). The fourth and fifth rounds' stories then joined the
// part (0.91, 0.89 and 0.86 on 304 relevant stories), then the sixth to
// tenth rounds' (0.91, 0.90 and 0.87 on 482). The seventh pass's Khmer
// vocabulary by concept raised them to 0.92, 0.91 and 0.87: the floors are
// what stands.
func TestShippedRulesLeaveOneOut(t *testing.T) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tune := scoreCorpus(t, cfg.Rules, "tune.jsonl", 0)
	stories := rowStories(tune.rows)
	f := leaveOneOut(cfg.Rules, stories)
	// The traps' side: precision with the traps kept out only by their own
	// vetoes counted as false alarms (0.944, 587 of 622, on 2026-12-03).
	esc, est := trapsLeftOut(cfg.Rules, stories, tune.all.Stories)
	if p, _ := est.Precision(); p < 0.93 {
		t.Errorf("leave-one-out precision %.3f (%d of %d: %d traps kept out only by their own vetoes), want at least 0.93", p, est.TP, est.TP+est.FP, len(esc))
	}
	if f.stories < 200 || f.khmer < 90 {
		t.Fatalf("%d relevant stories, %d in Khmer: the tuning part has lost rows", f.stories, f.khmer)
	}
	for _, c := range []struct {
		what     string
		num, den int
		min      float64
	}{
		{"recall", f.kept, f.stories, 0.92},
		{"topic recall", f.topicsKept, f.topics, 0.90},
		{"Khmer recall", f.khmerKept, f.khmer, 0.86},
	} {
		if v := float64(c.num) / float64(c.den); v < c.min {
			t.Errorf("leave-one-out %s %.3f (%d of %d), want at least %.2f", c.what, v, c.num, c.den, c.min)
		}
	}
}

// BenchmarkShippedRulesOnCorpus matches every story of the corpus (both
// parts) with the shipped feeds.yaml, as `civicwatch eval` and a poll do:
// the cost of the real rules on real stories, beside BenchmarkMatch's
// synthetic thousand terms.
func BenchmarkShippedRulesOnCorpus(b *testing.B) {
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var stories []*match.Story
	var bytes int64
	for _, part := range []string{"tune.jsonl", "heldout.jsonl"} {
		for _, line := range readCorpusLines(b, part) {
			s, err := parseStory(line)
			if err != nil {
				b.Fatal(err)
			}
			stories = append(stories, s.story())
			bytes += int64(len(s.Title) + len(s.Summary) + len(s.Content))
		}
	}
	b.SetBytes(bytes / int64(len(stories)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg.Rules.Match(stories[i%len(stories)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stories/s")
}

// TestSecondLabeller scores a second, independent labelling of the held-out
// part (heldout-second.jsonl: two helper sessions that saw neither the
// labels nor the rules) against the labels, as if it were the rules. It is
// the ceiling the acceptance figures are read against: where two careful
// readers disagree, no rule can please both. Rows either labeller called
// borderline are not scored, as eval does not score the label's. A row
// added to the held-out part needs a second label too (three helpers gave
// them: two for the 658 rows of rounds 1–10, one for rounds 11–12, one
// for round 13).
func TestSecondLabeller(t *testing.T) {
	type second struct {
		ID     string   `json:"id"`
		Expect string   `json:"expect"`
		Topics []string `json:"topics"`
		Reason string   `json:"reason"`
	}
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topics := cfg.Rules.TopicIDs()
	seconds := map[string]second{}
	for i, line := range readCorpusLines(t, "heldout-second.jsonl") {
		var s second
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("heldout-second.jsonl:%d: %v", i+1, err)
		}
		if _, err := evaluate.ParseExpect(s.Expect); err != nil || s.Reason == "" {
			t.Fatalf("heldout-second.jsonl:%d: expect %q, reason %q", i+1, s.Expect, s.Reason)
		}
		for _, tp := range s.Topics {
			if !slices.Contains(topics, tp) || s.Expect != string(evaluate.Relevant) {
				t.Fatalf("heldout-second.jsonl:%d: topic %q on a %s row", i+1, tp, s.Expect)
			}
		}
		if _, dup := seconds[s.ID]; dup {
			t.Fatalf("heldout-second.jsonl:%d: %s labelled twice", i+1, s.ID)
		}
		seconds[s.ID] = s
	}
	var all, km []evaluate.Case
	for _, line := range readCorpusLines(t, "heldout.jsonl") {
		var r corpusRow
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		s, ok := seconds[r.ID]
		if !ok {
			t.Fatalf("%s has no second label: heldout-second.jsonl must cover the held-out part", r.ID)
		}
		delete(seconds, r.ID)
		if s.Expect == string(evaluate.Borderline) {
			continue
		}
		c := evaluate.Case{Expect: evaluate.Expect(r.Expect), Want: r.Topics, Got: s.Topics}
		all = append(all, c)
		if r.Lang == "km" {
			km = append(km, c)
		}
	}
	if len(seconds) > 0 {
		t.Fatalf("%d second labels for rows the held-out part lacks", len(seconds))
	}
	a, k := evaluate.Score(topics, all), evaluate.Score(topics, km)
	// The figures testdata/corpus/README.md quotes ("How far two readers
	// agree"); a relabelling that moved them must move the README too.
	for _, c := range []struct {
		what       string
		counts     evaluate.Counts
		tp, fp, fn int
	}{
		{"all", a.Stories, 376, 0, 10},
		{"Khmer", k.Stories, 162, 0, 7},
	} {
		if c.counts.TP != c.tp || c.counts.FP != c.fp || c.counts.FN != c.fn {
			t.Errorf("%s: second labeller TP %d FP %d FN %d against the labels, README says %d, %d, %d",
				c.what, c.counts.TP, c.counts.FP, c.counts.FN, c.tp, c.fp, c.fn)
		}
	}
	if a.TopicsMatched != 421 || a.TopicsListed != 452 {
		t.Errorf("second labeller's topic recall %d of %d, README says 421 of 452", a.TopicsMatched, a.TopicsListed)
	}
}

// TestKhmerTypingOrderChangesNothing matches every Khmer corpus story again
// with its syllables typed in the orders writers use and renderers draw
// alike: the vowel before the subscript (សិទិ្ធ for សិទ្ធិ) and NIKAHIT
// before the vowel (ទំាង for ទាំង), and wants the same topics.
func TestKhmerTypingOrderChangesNothing(t *testing.T) {
	subscriptThenVowel := regexp.MustCompile("(\u17D2[\u1780-\u17B3])([\u17B6-\u17C5])")
	vowelThenNikahit := regexp.MustCompile("([\u17B6\u17BB])\u17C6")
	sameTopicsRetyped(t, "typed in another order", func(s string) string {
		s = subscriptThenVowel.ReplaceAllString(s, "$2$1")
		return vowelThenNikahit.ReplaceAllString(s, "\u17C6$1")
	})
}

// TestKhmerOlderSpellingsChangeNothing matches every Khmer corpus story
// again with each ម្រ and ម្ល after a consonant spelt the older way, ំរ and
// ំល (សម្រាប់ as សំរាប់, គម្រាម as គំរាម), and each older spelling the newer
// way, and wants the same topics: outlets use both, and a list holds one.
func TestKhmerOlderSpellingsChangeNothing(t *testing.T) {
	newer := regexp.MustCompile("([\u1780-\u17A2])\u1798\u17D2([\u179A\u179B])")
	older := regexp.MustCompile("([\u1780-\u17A2])\u17C6([\u179A\u179B])")
	sameTopicsRetyped(t, "in the other spelling", func(s string) string {
		if newer.MatchString(s) {
			return newer.ReplaceAllString(s, "${1}\u17C6${2}")
		}
		return older.ReplaceAllString(s, "${1}\u1798\u17D2${2}")
	})
}

// TestZeroWidthSpacesChangeNothing matches every corpus story again with a
// zero-width space before each Khmer syllable, as some outlets' feeds
// (RFA's, VOA's) space their Khmer, and wants the same topics. The corpus
// was stored without them, so a matcher that counted them as words for
// NEAR would be tuned on one spacing and meet another in the feeds.
func TestZeroWidthSpacesChangeNothing(t *testing.T) {
	// A Khmer consonant or independent vowel that no COENG precedes starts
	// a syllable.
	sameTopicsRetyped(t, "with zero-width spaces", func(s string) string {
		var b strings.Builder
		prev := rune(0)
		for _, r := range s {
			if r >= 0x1780 && r <= 0x17B3 && prev != 0x17D2 && prev >= 0x1780 && prev <= 0x17FF {
				b.WriteRune('\u200B')
			}
			b.WriteRune(r)
			prev = r
		}
		return b.String()
	})
}

// sameTopicsRetyped matches every Khmer story of both corpus parts with the
// shipped rules, as stored and with retype applied to its title, summary
// and content, and reports each whose topics differ. It fails when fewer
// than 500 stories were changed by retype: the test would prove nothing.
func sameTopicsRetyped(t *testing.T, how string, retype func(string) string) {
	t.Helper()
	sameTopicsAltered(t, how, func(s *match.Story) {
		s.Title, s.Summary, s.Content = retype(s.Title), retype(s.Summary), retype(s.Content)
	})
}

// sameTopicsAltered matches every Khmer story of both corpus parts with the
// shipped rules, as stored and as alter changes a copy of it, and reports
// each whose topics differ. It fails when alter changed fewer than 500
// stories: the test would prove nothing.
func sameTopicsAltered(t *testing.T, how string, alter func(*match.Story)) {
	t.Helper()
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, name := range []string{"tune.jsonl", "heldout.jsonl"} {
		for i, line := range readCorpusLines(t, name) {
			s, err := parseStory(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			if s.Lang != "km" {
				continue
			}
			plain := s.story()
			altered := *plain
			altered.Tags = slices.Clone(plain.Tags)
			alter(&altered)
			if altered.Title == plain.Title && altered.Summary == plain.Summary && altered.Content == plain.Content && slices.Equal(altered.Tags, plain.Tags) {
				continue
			}
			changed++
			want := match.MatchedTopics(cfg.Rules.Explain(plain))
			if got := match.MatchedTopics(cfg.Rules.Explain(&altered)); !slices.Equal(got, want) {
				t.Errorf("%s:%d (%s): topics %v %s, %v as stored", name, i+1, s.idText(), got, how, want)
			}
		}
	}
	if changed < 500 {
		t.Fatalf("only %d Khmer stories changed %s", changed, how)
	}
}

// TestKhmerStoriesNeedNoCambodiaTag matches every Khmer corpus story again
// as if an aggregator had carried it (a Google News search in Khmer, which
// is not tag:cambodia) and wants the same topics: Khmer writers seldom name
// their own country, and a story written in Khmer is Cambodian news unless
// its headline names another country. Before @khmer_text, Khmer recall on
// the tuning part fell from 0.93 to 0.81 without the tag.
func TestKhmerStoriesNeedNoCambodiaTag(t *testing.T) {
	sameTopicsAltered(t, "from an untagged feed", func(s *match.Story) {
		s.Tags = slices.DeleteFunc(s.Tags, func(tag string) bool { return tag == "cambodia" })
	})
}
