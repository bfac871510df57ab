package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

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
	Evidence  *storyEvidence
}

type storedMatch struct {
	Topic, Name  string
	Hits         []match.Hit // the first maxHitsShown
	MoreHits     int         // how many more there are
	RulesVersion string
	MatchedAt    time.Time
}

// explainView is one topic's verdict on the story under the rules in
// force, as internal/explain built it, with the fields marked and the
// operator's label.
type explainView struct {
	explain.Topic
	Why       []string      // the terms that counted
	Reasons   []explain.Hit // the hits that counted, the first maxHitsShown
	MoreHits  int           // how many more there are
	Apart     []explain.Hit // the hits that are no reason (vetoed, traps, unmet), the first maxHitsShown
	MoreApart int
	Fields    []fieldView // the fields with counted hits, only those marked
	Label     *store.Label
}

type fieldView struct {
	Name match.Field
	Segs []snippet.Segment
	Lang string
	Long bool // shown folded
	Rest int  // bytes past markedWindow, not shown marked
}

// A story page shows each field whole once, under "Stored fields"; what it
// repeats per topic is bounded, so that a story with many topics, or a
// text that repeats a term thousands of times, still makes a page of a
// size proportional to the stored (bounded) text. Past these limits the
// page says how much more there is.
const (
	maxHitsShown = 50      // hits listed per topic
	markedWindow = 8 << 10 // bytes of a field shown marked per topic
)

// firstHits keeps the first maxHitsShown hits and counts the rest.
func firstHits[H any](hits []H) ([]H, int) {
	if len(hits) <= maxHitsShown {
		return hits, 0
	}
	return hits[:maxHitsShown], len(hits) - maxHitsShown
}

// markedField marks the spans in the first markedWindow bytes of text.
func markedField(name match.Field, text string, spans []snippet.Span) fieldView {
	shown := text
	if len(text) > markedWindow {
		end := markedWindow
		for end > 0 && !utf8.RuneStart(text[end]) {
			end--
		}
		shown = text[:end]
		spans = slices.DeleteFunc(spans, func(sp snippet.Span) bool { return sp.End > end })
	}
	return fieldView{Name: name, Segs: snippet.Mark(shown, spans), Lang: lang("", text), Long: len(text) > longField, Rest: len(text) - len(shown)}
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
		hits, more := firstHits(m.Hits)
		d.Stored = append(d.Stored, storedMatch{Topic: m.Topic, Name: topicName(cfg, m.Topic), Hits: hits, MoreHits: more,
			RulesVersion: m.RulesVersion, MatchedAt: m.MatchedAt})
	}
	d.Explains = explainViews(x, labels)
	if d.Evidence, err = s.loadStoryEvidence(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "story", view{Title: st.Title, Nav: "matches", Data: d})
}

// explainViews lays out the explanation: per topic the reasons, the hits
// apart, and the fields with only the counted hits marked.
func explainViews(x *explain.Report, labels []store.Label) []explainView {
	ms := x.MatchStory()
	var out []explainView
	for _, t := range x.Topics {
		v := explainView{Topic: t, Why: t.Why()}
		var reasons []explain.Hit
		for _, h := range t.Hits {
			if h.Counted() {
				reasons = append(reasons, h)
			}
		}
		v.Reasons, v.MoreHits = firstHits(reasons)
		v.Apart, v.MoreApart = firstHits(t.Apart())
		for j := range labels {
			if labels[j].Topic == t.ID {
				v.Label = &labels[j]
			}
		}
		for _, f := range []match.Field{match.FieldTitle, match.FieldSummary, match.FieldContent, match.FieldArticle} {
			text := explain.FieldOf(&ms, f)
			if len(t.Spans(f)) == 0 {
				continue
			}
			v.Fields = append(v.Fields, markedField(f, text, t.Spans(f)))
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
