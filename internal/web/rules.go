package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/lab"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// labPeriods are the periods the lab offers; "" is the whole archive.
var labPeriods = []struct{ Value, Label string }{
	{"7d", "last 7 days"}, {"30d", "last 30 days"}, {"90d", "last 90 days"}, {"365d", "last year"}, {"", "whole archive"},
}

// labDefaultPeriod is long enough to show a rule's effect, short enough
// to answer at once on a large archive.
const labDefaultPeriod = "90d"

type rulesData struct {
	Topics  []config.Topic
	Periods []struct{ Value, Label string }
	Topic   string
	Rule    string
	Since   string
	Tested  bool
	Result  *lab.Result
	Gained  []labRow
	Lost    []labRow
	Err     *lab.RuleError
	ErrLine ruleLine // the rule's faulty line, split at the column
	Other   string   // any other failure, for the operator
	Changed bool     // the candidate differs from the topic's rule: saving means something
	Saved   string   // backup path after a save
	// Suggest holds the terms the stored labels call for, when asked
	// (suggest=1) for a topic.
	Suggest *suggestView
}

type labRow struct {
	Row  storyRow
	Veto string
}

type ruleLine struct {
	Before, At, After string
}

// handleRules is the rules lab: run a candidate rule over the archive
// beside the topic's current one and list what it would gain and lose.
// It is a GET, so a result can be bookmarked and shared, and it writes
// nothing; saving is a separate POST.
func (s *Server) handleRules(w http.ResponseWriter, r *http.Request) {
	cfg := s.config()
	q := r.URL.Query()
	d := rulesData{Topics: cfg.Topics, Periods: labPeriods, Topic: q.Get("topic"), Rule: q.Get("rule"),
		Since: labDefaultPeriod, Saved: q.Get("saved")}
	if q.Has("since") {
		d.Since = q.Get("since")
	}
	if d.Topic != "" && !hasTopic(cfg, d.Topic) {
		s.notFound(w, r, "no topic "+d.Topic+" in the config")
		return
	}
	current := ""
	if d.Topic != "" {
		current = topicRule(cfg, d.Topic)
		if strings.TrimSpace(d.Rule) == "" {
			d.Rule = current
		}
	}
	d.Changed = d.Topic != "" && strings.TrimSpace(d.Rule) != strings.TrimSpace(current)
	status := http.StatusOK
	var err error
	if strings.TrimSpace(d.Rule) != "" {
		since, err := parseSince(d.Since, s.opts.Now(), location(cfg))
		if err != nil {
			s.badRequest(w, r, err.Error())
			return
		}
		status = s.runLab(r.Context(), cfg, since, &d)
	}
	if d.Topic != "" && q.Get("suggest") != "" && status == http.StatusOK {
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		if d.Suggest, err = s.labSuggest(ctx, cfg, d.Topic, d.Since); err != nil {
			s.log.Error("rules lab: suggest", "topic", d.Topic, "err", err)
			d.Other, status = err.Error(), http.StatusInternalServerError
		}
	}
	s.render(w, r, status, "rules", view{Title: "Rules lab", Nav: "rules", Data: d})
}

// runLab fills the result, or the rule's error, and says which status the
// page answers with.
func (s *Server) runLab(ctx context.Context, cfg *config.Config, since time.Time, d *rulesData) int {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := s.lab.TestRule(ctx, s.opts.Store, cfg, lab.Request{Topic: d.Topic, Rule: d.Rule, Since: since})
	var ruleErr *lab.RuleError
	switch {
	case errors.As(err, &ruleErr):
		d.Err, d.ErrLine = ruleErr, splitAt(d.Rule, ruleErr)
		return http.StatusUnprocessableEntity
	case err != nil:
		s.log.Error("rules lab", "topic", d.Topic, "err", err)
		d.Other = err.Error()
		return http.StatusInternalServerError
	}
	d.Tested, d.Result = true, res
	d.Gained, d.Lost = labRows(res.Gained), labRows(res.Lost)
	s.log.Info("rules lab", "topic", d.Topic, "scanned", res.Scanned, "gained", res.NumGained, "lost", res.NumLost,
		"elapsed", res.Elapsed.Round(time.Millisecond))
	return http.StatusOK
}

func labRows(entries []lab.Entry) []labRow {
	out := make([]labRow, len(entries))
	for i, e := range entries {
		st := store.Story{ID: e.StoryID, URL: e.URL, Title: e.Title, FirstSeenAt: e.FirstSeen, Feeds: e.Feeds}
		row := baseRow(&st)
		row.Title = snippet.Mark(e.Title, snippet.Hits(e.Hits, "title"))
		row.Terms = match.Terms(e.Hits)
		out[i] = labRow{Row: row, Veto: e.Veto}
	}
	return out
}

func topicRule(cfg *config.Config, id string) string {
	for _, t := range cfg.Topics {
		if t.ID == id {
			return t.Rule
		}
	}
	return ""
}

// splitAt cuts the faulty line of a rule at the error, so the page can
// point at the very character.
func splitAt(rule string, e *lab.RuleError) ruleLine {
	lines := strings.Split(rule, "\n")
	if e.Line < 1 || e.Line > len(lines) {
		return ruleLine{Before: rule}
	}
	line := lines[e.Line-1]
	at := 0
	for i := 1; i < e.Column && at < len(line); i++ {
		_, size := utf8.DecodeRuneInString(line[at:])
		at += size
	}
	if at >= len(line) {
		return ruleLine{Before: line, At: " "}
	}
	_, size := utf8.DecodeRuneInString(line[at:])
	return ruleLine{Before: line[:at], At: line[at : at+size], After: line[at+size:]}
}

// handleRuleSave writes a topic's rule back to feeds.yaml. The config
// package validates the whole file with the new rule before replacing it
// and keeps a backup; nothing is written if the result would not load.
func (s *Server) handleRuleSave(w http.ResponseWriter, r *http.Request) {
	cfg := s.config()
	topic, rule, since := r.PostFormValue("topic"), r.PostFormValue("rule"), r.PostFormValue("since")
	if !hasTopic(cfg, topic) {
		s.notFound(w, r, "no topic "+topic+" in the config")
		return
	}
	if strings.TrimSpace(rule) == "" {
		s.badRequest(w, r, "rule: empty; a topic needs a rule")
		return
	}
	backup, err := config.SetTopicRule(cfg.Path, topic, rule, s.opts.LookupEnv)
	if err != nil {
		s.log.Warn("rule not saved", "topic", topic, "err", err)
		s.render(w, r, http.StatusUnprocessableEntity, "rules", view{Title: "Rules lab", Nav: "rules", Data: rulesData{
			Topics: cfg.Topics, Periods: labPeriods, Topic: topic, Rule: rule, Since: since, Changed: true,
			Other: "Not saved: " + err.Error()}})
		return
	}
	s.log.Info("rule saved to config", "topic", topic, "config", cfg.Path, "backup", backup)
	q := url.Values{"topic": {topic}, "rule": {rule}, "since": {since}, "saved": {backup}}
	http.Redirect(w, r, "/rules?"+q.Encode(), http.StatusSeeOther)
}
