package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// sourceDays is how many local days the stories-per-day columns cover.
const sourceDays = 7

type sourceRow struct {
	ID, Name, URL string
	Href          string
	State         string // failing | gone | disabled | new | ok | removed (stored, no longer configured)
	Tags          []string
	Interval      string
	LastAttempt   time.Time
	LastSuccess   time.Time
	LastError     string
	LastErrorAt   time.Time
	Failures      int
	NextDue       time.Time
	Stories       int   // ever carried
	PerDay        []int // stories first seen by this feed per local day, oldest first, today last
	Max           int   // of PerDay, for the bars
	Average       string
}

type sourcesData struct {
	Sources []sourceRow
	Days    []time.Time // the days of PerDay
	Failing int
}

// handleSources shows every feed's health, failing and gone ones first:
// those are what an operator opens this page for.
func (s *Server) handleSources(w http.ResponseWriter, r *http.Request) {
	cfg := s.config()
	loc := location(cfg)
	ctx, cancel := s.ctx(r)
	defer cancel()
	health, err := s.opts.Store.FeedHealth(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	days, perDay, err := s.storiesPerDay(r, loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byID := map[string]store.FeedState{}
	for _, f := range health {
		byID[f.ID] = f
	}
	d := sourcesData{Days: days}
	seen := map[string]bool{}
	for _, f := range cfg.Feeds {
		seen[f.ID] = true
		row := sourceRow{ID: f.ID, Name: f.Name, URL: f.URL, Tags: f.Tags, Interval: f.Interval.String()}
		fillHealth(&row, byID[f.ID], perDay[f.ID])
		_, stored := byID[f.ID]
		switch {
		case !f.Enabled:
			row.State = "disabled"
		case !stored || row.LastAttempt.IsZero():
			row.State = "new"
		}
		d.Sources = append(d.Sources, row)
	}
	for _, f := range health {
		if !seen[f.ID] {
			row := sourceRow{ID: f.ID, Name: f.Name, URL: f.URL}
			fillHealth(&row, f, perDay[f.ID])
			row.State = "removed"
			d.Sources = append(d.Sources, row)
		}
	}
	slices.SortStableFunc(d.Sources, func(a, b sourceRow) int { return stateRank(a.State) - stateRank(b.State) })
	for _, row := range d.Sources {
		if row.State == "failing" || row.State == "gone" {
			d.Failing++
		}
	}
	s.render(w, r, http.StatusOK, "sources", view{Title: "Sources", Nav: "sources", Loc: loc, Data: d})
}

func fillHealth(row *sourceRow, f store.FeedState, perDay []int) {
	row.Href = href(row.URL)
	row.LastAttempt, row.LastSuccess, row.LastError, row.LastErrorAt = f.LastAttempt, f.LastSuccess, f.LastError, f.LastErrorAt
	row.Failures, row.NextDue, row.Stories = f.Failures, f.NextDue, f.Stories
	row.PerDay = perDay
	if row.PerDay == nil {
		row.PerDay = make([]int, sourceDays)
	}
	total := 0
	for _, n := range row.PerDay {
		total += n
		row.Max = max(row.Max, n)
	}
	row.Average = fmt.Sprintf("%.1f", float64(total)/sourceDays)
	switch {
	case f.Gone():
		row.State = "gone"
	case f.Failures > 0:
		row.State = "failing"
	default:
		row.State = "ok"
	}
}

func stateRank(state string) int {
	switch state {
	case "failing", "gone":
		return 0
	case "new", "ok":
		return 1
	}
	return 2
}

// storiesPerDay counts each feed's new stories per local day over the last
// sourceDays days, today included, from one count per day boundary.
func (s *Server) storiesPerDay(r *http.Request, loc *time.Location) ([]time.Time, map[string][]int, error) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	today := startOfDay(s.opts.Now(), loc)
	days := make([]time.Time, sourceDays)
	since := make([]map[string]int, sourceDays+1)
	since[sourceDays] = map[string]int{}
	for i := range sourceDays {
		days[i] = today.AddDate(0, 0, i+1-sourceDays)
		n, err := s.opts.Store.FeedStoryCounts(ctx, days[i])
		if err != nil {
			return nil, nil, err
		}
		since[i] = n
	}
	out := map[string][]int{}
	for feed := range since[0] {
		counts := make([]int, sourceDays)
		for i := range sourceDays {
			counts[i] = since[i][feed] - since[i+1][feed]
		}
		out[feed] = counts
	}
	return days, out, nil
}
