package digest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// When a feed makes the health footer. Kept simple on purpose, so that a
// reader can predict it:
//   - failing: its fetches have failed without a break for more than a day
//     (a feed that fails once in a while recovers by itself and is noise);
//   - silent: it brought no new story for longer than max(3 days, 5 × the
//     median gap between its recent new stories). A feed posting hourly is
//     flagged after 3 days of silence, a weekly one after five weeks. A feed
//     whose fetches succeed but whose items never change (a site that moved
//     and left a stale feed behind) shows up here, not as failing.
const (
	failingFor    = 24 * time.Hour
	minSilence    = 3 * 24 * time.Hour
	silenceFactor = 5
)

// FeedHealth lists the configured, enabled feeds that need attention, in
// config order. Feeds no longer configured are left out: nobody can fix them.
func FeedHealth(feeds []config.Feed, activity []store.FeedActivity, now time.Time, loc *time.Location) []FeedProblem {
	byID := make(map[string]store.FeedActivity, len(activity))
	for _, a := range activity {
		byID[a.ID] = a
	}
	var out []FeedProblem
	for _, f := range feeds {
		a, ok := byID[f.ID]
		if !f.Enabled || !ok {
			continue
		}
		if reason := feedReason(a, now, loc); reason != "" {
			out = append(out, FeedProblem{Feed: f.Name, Reason: reason})
		}
	}
	return out
}

func feedReason(a store.FeedActivity, now time.Time, loc *time.Location) string {
	if a.Failures > 0 {
		if a.FailingSince.IsZero() || now.Sub(a.FailingSince) <= failingFor {
			return "" // failing, but not for long: it may well recover
		}
		since := a.FailingSince.In(loc).Format("2 Jan")
		if a.Gone {
			return "gone since " + since + " (HTTP 410 Gone): its address needs fixing"
		}
		return "failing since " + since + ": " + shorten(a.LastError, 100)
	}
	if len(a.NewStories) == 0 {
		return "" // never brought a story: no pace to compare with
	}
	silent := now.Sub(a.NewStories[len(a.NewStories)-1])
	usual := medianGap(a.NewStories)
	if silent <= max(minSilence, silenceFactor*usual) {
		return ""
	}
	reason := "no new stories for " + span(silent)
	if usual > 0 {
		reason += " (usually " + pace(usual) + ")"
	}
	return reason
}

// medianGap is the median time between consecutive new-story times; zero
// with fewer than two.
func medianGap(times []time.Time) time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	mid := len(gaps) / 2
	if len(gaps)%2 == 0 {
		return (gaps[mid-1] + gaps[mid]) / 2
	}
	return gaps[mid]
}

// span says how long, roughly: "30 hours", "9 days".
func span(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// pace says how often: "every 40 minutes", "every 6 hours", "daily", "every 3 days".
func pace(d time.Duration) string {
	switch {
	case d < 2*time.Hour:
		return fmt.Sprintf("every %d minutes", max(1, int(d.Minutes())))
	case d < 20*time.Hour:
		return fmt.Sprintf("every %d hours", int(d.Hours()))
	case d < 36*time.Hour:
		return "daily"
	}
	return fmt.Sprintf("every %d days", int((d+12*time.Hour).Hours()/24))
}

// shorten keeps an error message to one line of at most n characters.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
