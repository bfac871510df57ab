// Package lab is the rules lab: it runs a candidate rule (or a whole
// candidate config) over the stored archive beside the current one and says
// which stories the change would gain and lose. Nothing is written: the
// archive is only read and the matches stay as they are.
//
// Each story is read once and matched by both sides on all cores; only the
// counts and the newest stories of each list are kept, so an archive of any
// size costs the same memory.
package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// MaxEntries caps each list of stories in a Diff. Every story is counted;
// only the newest this many are listed.
const MaxEntries = 500

// Archive is what the lab reads; *store.Store is one.
type Archive interface {
	ScanStories(ctx context.Context, since time.Time, fn func(batch []store.ScanStory) error) error
	ScanStoriesByID(ctx context.Context, ids []int64) ([]store.ScanStory, error)
	ChangedStoryIDs(ctx context.Context, since, changed time.Time) ([]int64, error)
	// DeletedStoryIDs gives the stories deleted (by retention) since then;
	// ok is false when it no longer knows that far back.
	DeletedStoryIDs(ctx context.Context, since time.Time) (ids []int64, ok bool, err error)
	CountStories(ctx context.Context, since time.Time) (int, error)
}

// Request asks what a rule would match.
type Request struct {
	Topic string    // id of a configured topic whose rule is the current one; "" for a rule of no topic yet
	Rule  string    // the candidate rule; "" means the topic's current rule
	Since time.Time // stories first seen at or after; zero: every story
}

// Entry is one story in a list of gained, lost or kept stories.
type Entry struct {
	StoryID   int64
	Title     string
	URL       string // "" when the story has no link
	FirstSeen time.Time
	Feeds     []string // the feeds that carried it, in id order
	// Hits are the terms that made the rule match: the candidate's for
	// gained and kept stories, the current rule's for lost ones.
	Hits []match.Hit
	// Veto is, for a lost story, the candidate's NOT clause that turned it
	// away, when one did.
	Veto string
}

// Diff is how the stories a topic matches change from the current rule to
// the candidate. Lists are newest first (by first seen, then id) and hold at
// most MaxEntries; the counts are exact.
type Diff struct {
	Topic       string // topic id; "" for a rule of no topic yet
	InCurrent   bool   // the topic exists on the current side
	InCandidate bool   // and on the candidate side

	Current   int // stories the current rule matches
	Candidate int // stories the candidate rule matches
	NumGained int // candidate, not current
	NumLost   int // current, not candidate
	NumKept   int // both

	Gained []Entry
	Lost   []Entry
	Kept   []Entry
}

// Result is the answer to a Request.
type Result struct {
	Since       time.Time     // as requested
	Scanned     int           // stories first seen since then
	Elapsed     time.Duration // compiling and scanning
	CurrentRule string        // the topic's rule as configured; "" for a rule of no topic yet
	Rule        string        // the candidate rule as tested
	Diff
}

// Comparison is what a candidate config changes, topic by topic.
type Comparison struct {
	Since   time.Time
	Scanned int
	Elapsed time.Duration
	// Topics are the candidate config's in its order, then those only the
	// current config has.
	Topics []Diff
}

// ErrUnknownTopic is returned (wrapped) for a Request naming a topic the
// config does not have.
var ErrUnknownTopic = errors.New("no such topic")

// RuleError is a mistake in the candidate rule, placed so that an editor can
// point at it.
type RuleError struct {
	Line, Column int    // 1-based, in the rule text; Column counts characters
	Offset       int    // byte offset into the rule
	Token        string // the offending token; "" at the end of the rule
	Msg          string
	err          *match.Error
}

func (e *RuleError) Error() string {
	msg := e.Msg
	if e.Token != "" && !strings.Contains(msg, e.Token) && !strings.Contains(msg, strings.Trim(e.Token, `"`)) {
		msg = fmt.Sprintf("%s (at %q)", msg, e.Token)
	}
	if e.Line > 1 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, msg)
	}
	return fmt.Sprintf("column %d: %s", e.Column, msg)
}

// Unwrap gives the compiler's own *match.Error.
func (e *RuleError) Unwrap() error { return e.err }

// Topic ids inside the lab's own compiled rules.
const (
	currentID   = "current"
	candidateID = "candidate"
)

// TestRule runs the candidate rule of req beside the topic's current rule
// over the stories first seen since req.Since. A candidate that does not
// compile comes back as a *RuleError; an unknown topic as ErrUnknownTopic.
// It reads the whole period; an Index kept between answers reads only what
// changed (Index.TestRule).
func TestRule(ctx context.Context, a Archive, cfg *config.Config, req Request) (*Result, error) {
	return oneShot().testRule(ctx, a, cfg, req, 0)
}

// TestRule is the package's TestRule, answered from the Index.
func (x *Index) TestRule(ctx context.Context, a Archive, cfg *config.Config, req Request) (*Result, error) {
	return x.testRule(ctx, a, cfg, req, 0)
}

// testRule is TestRule on a given number of workers (0: one per core).
func (x *Index) testRule(ctx context.Context, a Archive, cfg *config.Config, req Request, workers int) (*Result, error) {
	start := time.Now()
	res := &Result{Since: req.Since}
	if req.Topic != "" {
		t, ok := findTopic(cfg.Topics, req.Topic)
		if !ok {
			return nil, fmt.Errorf("%w %q in %s", ErrUnknownTopic, req.Topic, cfg.Path)
		}
		res.CurrentRule = t.Rule
	}
	res.Rule = req.Rule
	if strings.TrimSpace(res.Rule) == "" && req.Topic != "" {
		res.Rule = res.CurrentRule
	}
	rules, err := compilePair(res.CurrentRule, res.Rule, req.Topic != "", cfg.Lists)
	if err != nil {
		return nil, err
	}
	m := &pairMatcher{side: side{rules: rules, tags: rematch.FeedTags(cfg.Feeds)}, hasCurrent: req.Topic != ""}
	// A kept Index learns the config's patterns with the first answer, so
	// that trying another topic next needs no scan.
	var others []string
	if !x.oneShot {
		others = cfg.Rules.Patterns()
	}
	tallies, scanned, err := x.run(ctx, a, req.Since, m, others, 1, workers)
	if err != nil {
		return nil, err
	}
	res.Diff = tallies[0].diff()
	res.Topic, res.InCurrent, res.InCandidate = req.Topic, req.Topic != "", true
	res.Scanned, res.Elapsed = scanned, time.Since(start)
	return res, nil
}

// CompareConfigs runs a candidate config beside the current one over the
// stories first seen since then, each story matched by both, each side with
// its own feeds' tags.
func CompareConfigs(ctx context.Context, a Archive, current, candidate *config.Config, since time.Time) (*Comparison, error) {
	return oneShot().CompareConfigs(ctx, a, current, candidate, since)
}

// CompareConfigs is the package's CompareConfigs, answered from the Index.
func (x *Index) CompareConfigs(ctx context.Context, a Archive, current, candidate *config.Config, since time.Time) (*Comparison, error) {
	start := time.Now()
	m := newConfigMatcher(current, candidate)
	tallies, scanned, err := x.run(ctx, a, since, m, nil, len(m.topics), 0)
	if err != nil {
		return nil, err
	}
	cmp := &Comparison{Since: since, Scanned: scanned, Topics: make([]Diff, len(m.topics))}
	for i, t := range m.topics {
		d := tallies[i].diff()
		d.Topic, d.InCurrent, d.InCandidate = t.id, t.inCurrent, t.inCandidate
		cmp.Topics[i] = d
	}
	cmp.Elapsed = time.Since(start)
	return cmp, nil
}

func findTopic(topics []config.Topic, id string) (config.Topic, bool) {
	for _, t := range topics {
		if t.ID == id {
			return t, true
		}
	}
	return config.Topic{}, false
}

// compilePair compiles the current rule (when there is one) and the
// candidate into one set of rules, so that each story is scanned once for
// both. Only the lists the two rules name go in: the automaton then holds
// their terms alone, and a smaller table is a faster scan.
func compilePair(current, candidate string, hasCurrent bool, lists match.Lists) (*match.Rules, error) {
	var topics []match.Topic
	if hasCurrent {
		topics = append(topics, match.Topic{ID: currentID, Rule: current})
	}
	topics = append(topics, match.Topic{ID: candidateID, Rule: candidate})
	rules, err := match.Compile(topics, listsNamed(lists, current, candidate))
	if err == nil {
		return rules, nil
	}
	var errs match.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			if e.Topic == len(topics)-1 {
				return nil, ruleError(candidate, e)
			}
		}
	}
	return nil, fmt.Errorf("compile rules: %w", err)
}

// listsNamed keeps the lists whose @name occurs in any of the rules. A name
// that is only the start of a longer one (@union in @union_words) keeps a
// list the rules do not need, which costs a little speed and nothing else.
func listsNamed(lists match.Lists, rules ...string) match.Lists {
	out := make(match.Lists)
	for name, terms := range lists {
		for _, r := range rules {
			if strings.Contains(r, "@"+name) {
				out[name] = terms
				break
			}
		}
	}
	return out
}

// ruleError places a compiler error in the rule's text.
func ruleError(rule string, e *match.Error) *RuleError {
	off := min(max(e.Offset, 0), len(rule))
	before := rule[:off]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return &RuleError{Line: line, Column: col, Offset: off, Token: e.Token, Msg: e.Msg, err: e}
}
