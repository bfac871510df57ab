package digest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// What the health footer measures. It states each figure as measured, so
// that a reader can check it and never reads "all is well" into a count
// that left feeds out:
//   - failing: every enabled feed whose latest fetch failed, however
//     recently, with when its run of failures began and the last error;
//   - silent: a feed that brought no new story for longer than max(3 days,
//     5 × the median gap between its recent new stories). A feed posting
//     hourly is flagged after 3 days of silence, a weekly one after five
//     weeks. A feed whose fetches succeed but whose items never change (a
//     site that moved and left a stale feed behind) shows up here.
const (
	minSilence    = 3 * 24 * time.Hour
	silenceFactor = 5
)

// Sources is the digest's footer on the feeds, measured when it was built.
type Sources struct {
	Enabled int           // enabled feeds in the config
	Failing []FeedProblem // enabled feeds whose latest fetch failed, in config order
	Silent  []FeedProblem // enabled feeds with no new story for longer than usual; Reason is "for 9 days (usually daily)"
}

// Summary is the footer's first line: "3 of 24 feeds failing" or "none of
// 24 feeds failing".
func (s Sources) Summary() string {
	if s.Enabled == 0 {
		return "no feed is enabled"
	}
	n := "none"
	if len(s.Failing) > 0 {
		n = fmt.Sprint(len(s.Failing))
	}
	noun := "feeds"
	if s.Enabled == 1 {
		noun = "feed"
	}
	return fmt.Sprintf("%s of %d %s failing", n, s.Enabled, noun)
}

// FeedHealth measures the configured, enabled feeds, in config order.
// Feeds no longer configured are left out: nobody can fix them.
func FeedHealth(feeds []config.Feed, activity []store.FeedActivity, now time.Time, loc *time.Location) Sources {
	byID := make(map[string]store.FeedActivity, len(activity))
	for _, a := range activity {
		byID[a.ID] = a
	}
	var out Sources
	for _, f := range feeds {
		if !f.Enabled {
			continue
		}
		out.Enabled++
		a, ok := byID[f.ID]
		if !ok {
			continue
		}
		if reason := failing(a, loc); reason != "" {
			out.Failing = append(out.Failing, FeedProblem{Feed: f.Name, Reason: reason})
		} else if reason := silent(a, now); reason != "" {
			out.Silent = append(out.Silent, FeedProblem{Feed: f.Name, Reason: reason})
		}
	}
	return out
}

func failing(a store.FeedActivity, loc *time.Location) string {
	if a.Failures == 0 {
		return ""
	}
	since := ""
	if !a.FailingSince.IsZero() {
		since = " since " + a.FailingSince.In(loc).Format("2 Jan 15:04")
	}
	if a.Gone {
		return "gone" + since + " (HTTP 410 Gone): its address needs fixing"
	}
	attempts := "1 attempt"
	if a.Failures > 1 {
		attempts = fmt.Sprintf("%d attempts", a.Failures)
	}
	return "failing" + since + " (" + attempts + "): " + shorten(a.LastError, 100)
}

func silent(a store.FeedActivity, now time.Time) string {
	if len(a.NewStories) == 0 {
		return "" // never brought a story: no pace to compare with
	}
	quiet := now.Sub(a.NewStories[len(a.NewStories)-1])
	usual := medianGap(a.NewStories)
	if quiet <= max(minSilence, silenceFactor*usual) {
		return ""
	}
	reason := "for " + span(quiet)
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
