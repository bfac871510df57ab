package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/export"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/suggest"
)

// suggestView is what the lab shows of internal/suggest's proposals for a
// topic, from the labels stored in the console: what `civicwatch rules
// suggest` says of the same labels exported with `labels export`.
type suggestView struct {
	Labelled          int
	Topic             suggest.Topic
	Precision, Recall string
	Add, Not          []suggestRow
}

type suggestRow struct {
	Term                      string
	Change                    string
	Precision, Recall         string // before → after
	Archive                   string // "" without an archive
	Gains, Drops              []string
	GainsWrong, DropsRelevant []string // ids the suggestion gets wrong
	Try                       string   // the lab with the widened rule
}

// labSuggest runs the suggestions for one topic over the stored labels and
// the archive.
func (s *Server) labSuggest(ctx context.Context, cfg *config.Config, topic, since string) (*suggestView, error) {
	stories, labels, err := s.opts.Store.LabelledStories(ctx)
	if err != nil {
		return nil, err
	}
	lines := export.Labelled(stories, labels, cfg.Feeds)
	cases := make([]suggest.Case, len(lines))
	for i, l := range lines {
		cases[i] = suggest.Case{ID: strconv.FormatInt(l.ID, 10), Expect: evaluate.Expect(l.Expect), Topics: l.Topics,
			Story: match.Story{Title: l.Title, Summary: l.Summary, Content: l.Content, Tags: l.Tags}}
	}
	topics := make([]match.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		topics[i] = match.Topic{ID: t.ID, Name: t.Name, Rule: t.Rule}
	}
	res, err := suggest.Suggest(topics, cfg.Lists, cases,
		suggest.Options{Topic: topic, Archive: suggest.FromStore(ctx, s.opts.Store, cfg.Feeds)})
	if err != nil {
		return nil, err
	}
	ts := res[0]
	p, okp := ts.Before.Precision()
	r, okr := ts.Before.Recall()
	v := &suggestView{Labelled: len(lines), Topic: ts, Precision: rate(p, okp), Recall: rate(r, okr)}
	for _, x := range ts.Add {
		v.Add = append(v.Add, row(x, ts.ArchiveTotal, topic, since))
	}
	for _, x := range ts.Not {
		v.Not = append(v.Not, row(x, ts.ArchiveTotal, topic, since))
	}
	return v, nil
}

func row(x suggest.Suggestion, total int, topic, since string) suggestRow {
	r := suggestRow{Term: x.Term, Gains: x.GainedRelevant, GainsWrong: x.GainedNot, Drops: x.LostNot, DropsRelevant: x.LostRelevant,
		Try: "/rules?" + url.Values{"topic": {topic}, "rule": {x.Rule}, "since": {since}}.Encode()}
	if x.Not {
		r.Change = fmt.Sprintf("−%d not relevant, −%d relevant", len(x.LostNot), len(x.LostRelevant))
	} else {
		r.Change = fmt.Sprintf("+%d relevant, +%d not relevant", len(x.GainedRelevant), len(x.GainedNot))
	}
	pb, okpb := x.Before.Precision()
	pa, okpa := x.After.Precision()
	rb, okrb := x.Before.Recall()
	ra, okra := x.After.Recall()
	r.Precision = rate(pb, okpb) + " → " + rate(pa, okpa)
	r.Recall = rate(rb, okrb) + " → " + rate(ra, okra)
	if total >= 0 {
		r.Archive = fmt.Sprintf("%d → %d of %d", x.ArchiveBefore, x.ArchiveAfter, total)
	}
	return r
}

// rate is a rate with two decimals, or "-" when undefined, as eval prints it.
func rate(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
