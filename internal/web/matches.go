package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// pageSize is how many stories a page of matches holds.
var pageSize = 100

// dayChoices are the periods the matches page offers; 0 is everything.
var dayChoices = []int{1, 7, 30, 90, 365, 0}

type dayGroup struct {
	Day    time.Time
	Topics []topicGroup
}

type topicGroup struct {
	ID, Name string
	Stories  []storyRow
}

type matchesData struct {
	Topics     []config.Topic
	Feeds      []config.Feed
	Topic      string
	Feed       string
	Days       int
	DayChoices []int
	Groups     []dayGroup
	Shown      int
	Older      template.URL // the next page; "" when there is none
}

// handleMatches is the front page: what matched, by local day and topic,
// newest first, filtered by topic, feed and period, with paging to older
// stories that keeps the filters.
func (s *Server) handleMatches(w http.ResponseWriter, r *http.Request) {
	cfg := s.config()
	loc := location(cfg)
	q := r.URL.Query()
	d := matchesData{Topics: cfg.Topics, Feeds: cfg.Feeds, Topic: q.Get("topic"), Feed: q.Get("feed"), Days: 7, DayChoices: dayChoices}
	if d.Topic != "" && !hasTopic(cfg, d.Topic) {
		s.notFound(w, r, "no topic "+strconv.Quote(d.Topic)+" in the config")
		return
	}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.badRequest(w, r, "days: want a whole number of days, 0 for all")
			return
		}
		d.Days = n
	}
	mq := store.MatchQuery{Topic: d.Topic, Feed: d.Feed, Limit: pageSize + 1}
	if d.Days > 0 {
		mq.Since = startOfDay(s.opts.Now(), loc).AddDate(0, 0, 1-d.Days)
	}
	if v := q.Get("before"); v != "" {
		seen, err := time.Parse(time.RFC3339Nano, v)
		id, err2 := strconv.ParseInt(q.Get("before_id"), 10, 64)
		if err != nil || err2 != nil {
			s.badRequest(w, r, "before, before_id: not a position in the listing")
			return
		}
		mq.BeforeSeen, mq.BeforeID = seen, id
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	stories, err := s.opts.Store.MatchedStories(ctx, mq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(stories) > pageSize {
		stories = stories[:pageSize]
		last := stories[len(stories)-1]
		next := url.Values{}
		for _, k := range []string{"topic", "feed", "days"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		next.Set("before", last.FirstSeenAt.UTC().Format(time.RFC3339Nano))
		next.Set("before_id", strconv.FormatInt(last.ID, 10))
		d.Older = template.URL("/?" + next.Encode()) // built by Encode: nothing left to escape
	}
	d.Shown = len(stories)
	d.Groups = groupByDay(stories, cfg, d.Topic, loc)
	s.render(w, r, http.StatusOK, "matches", view{Title: "Matches", Nav: "matches", Loc: loc, Data: d})
}

func hasTopic(cfg *config.Config, id string) bool {
	return slices.ContainsFunc(cfg.Topics, func(t config.Topic) bool { return t.ID == id })
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// groupByDay files stories (newest first) under their local day, then
// under each topic they matched, in config order; a story matching two
// topics is listed under both, as an operator reading one topic expects.
// Topics no longer configured keep their stored matches, listed last.
func groupByDay(stories []store.MatchedStory, cfg *config.Config, only string, loc *time.Location) []dayGroup {
	var days []dayGroup
	for i := range stories {
		st := &stories[i]
		day := startOfDay(st.FirstSeenAt, loc)
		if len(days) == 0 || !days[len(days)-1].Day.Equal(day) {
			days = append(days, dayGroup{Day: day})
		}
		g := &days[len(days)-1]
		for _, m := range st.Matches {
			if only != "" && m.Topic != only {
				continue
			}
			g.Topics = addToTopic(g.Topics, cfg, m.Topic, matchedRow(st, m.Topic))
		}
	}
	for i := range days {
		order := topicOrder(cfg)
		slices.SortStableFunc(days[i].Topics, func(a, b topicGroup) int { return order(a.ID) - order(b.ID) })
	}
	return days
}

func addToTopic(groups []topicGroup, cfg *config.Config, id string, row storyRow) []topicGroup {
	for i := range groups {
		if groups[i].ID == id {
			groups[i].Stories = append(groups[i].Stories, row)
			return groups
		}
	}
	return append(groups, topicGroup{ID: id, Name: topicName(cfg, id), Stories: []storyRow{row}})
}

func topicName(cfg *config.Config, id string) string {
	for _, t := range cfg.Topics {
		if t.ID == id {
			return t.Name
		}
	}
	return id
}

// topicOrder ranks topic ids by their place in the config; unknown ones
// come after every configured one.
func topicOrder(cfg *config.Config) func(string) int {
	return func(id string) int {
		for i, t := range cfg.Topics {
			if t.ID == id {
				return i
			}
		}
		return len(cfg.Topics)
	}
}
