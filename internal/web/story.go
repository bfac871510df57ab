package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/civicwatch/civicwatch/internal/explain"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

type storyData struct {
	Story     *store.Story
	Row       storyRow
	Tags      []string // what tag:X in a rule sees: the tags of the feeds that carried it
	Sightings []store.Sighting
	Stored    []storedMatch
	Explains  []explainView
	Version   string // the rules version of the live explain
}

type storedMatch struct {
	Topic, Name  string
	Hits         []match.Hit
	RulesVersion string
	MatchedAt    time.Time
}

// explainView is one topic's verdict on the story under the rules in
// force, as internal/explain built it, with the fields marked and the
// operator's label.
type explainView struct {
	explain.Topic
	Why    []string      // the terms that counted
	Apart  []explain.Hit // the hits that are no reason: vetoed, traps, unmet
	Fields []fieldView   // the fields with counted hits, those marked
	Label  *store.Label
}

type fieldView struct {
	Name match.Field
	Segs []snippet.Segment
	Lang string
	Long bool // shown folded
}

// longField is the length past which a marked field is folded away.
const longField = 600

// handleStory shows everything stored about a story and, per topic, why
// the rules in force do or do not match it, with its labels.
func (s *Server) handleStory(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r, "no story "+strconv.Quote(r.PathValue("id")))
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	st, err := s.opts.Store.Story(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, fmt.Sprintf("no story %d", id))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	x, err := explain.Load(ctx, s.opts.Store, s.config(), st)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	labels, err := s.opts.Store.Labels(ctx, []int64{id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg := s.config()
	d := storyData{Story: st, Row: baseRow(st), Sightings: x.Sightings, Version: x.RulesVersion, Tags: x.Tags}
	d.Row.Title = []snippet.Segment{{Text: snippet.Clean(st.Title)}}
	for _, m := range x.Stored {
		d.Stored = append(d.Stored, storedMatch{Topic: m.Topic, Name: topicName(cfg, m.Topic), Hits: m.Hits,
			RulesVersion: m.RulesVersion, MatchedAt: m.MatchedAt})
	}
	d.Explains = explainViews(x, labels)
	s.render(w, r, http.StatusOK, "story", view{Title: st.Title, Nav: "matches", Data: d})
}

// explainViews lays out the explanation: per topic the reasons, the hits
// apart, and the fields with only the counted hits marked.
func explainViews(x *explain.Report, labels []store.Label) []explainView {
	ms := x.MatchStory()
	var out []explainView
	for _, t := range x.Topics {
		v := explainView{Topic: t, Why: t.Why(), Apart: t.Apart()}
		for j := range labels {
			if labels[j].Topic == t.ID {
				v.Label = &labels[j]
			}
		}
		for _, f := range []match.Field{match.FieldTitle, match.FieldSummary, match.FieldContent} {
			text := explain.FieldOf(&ms, f)
			if len(snippet.Hits(t.Counted(), f)) == 0 {
				continue
			}
			v.Fields = append(v.Fields, fieldView{Name: f, Segs: t.Marked(f, text), Lang: lang("", text), Long: len(text) > longField})
		}
		out = append(out, v)
	}
	return out
}

// handleLabel records an operator's verdict on a story for a topic: the
// labels `civicwatch eval` scores the rules against.
func (s *Server) handleLabel(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r, "no story "+strconv.Quote(r.PathValue("id")))
		return
	}
	topic := r.PostFormValue("topic")
	if !hasTopic(s.config(), topic) {
		s.notFound(w, r, "no topic "+strconv.Quote(topic)+" in the config")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	switch v := r.PostFormValue("verdict"); v {
	case "relevant", "not":
		err = s.opts.Store.SetLabel(ctx, store.Label{StoryID: id, Topic: topic, Relevant: v == "relevant",
			Note: r.PostFormValue("note"), LabelledAt: s.opts.Now()})
	case "clear":
		err = s.opts.Store.ClearLabel(ctx, id, topic)
	default:
		s.badRequest(w, r, "verdict: want relevant, not or clear")
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, fmt.Sprintf("no story %d", id))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("story labelled", "story", id, "topic", topic, "verdict", r.PostFormValue("verdict"))
	// See other: a reload of the page that follows does not post again.
	http.Redirect(w, r, fmt.Sprintf("/stories/%d#topic-%s", id, topic), http.StatusSeeOther)
}
