// Package display formats times the one way the CLI, the console and the
// digest show them: in the configured display zone with its UTC offset, a
// story's publication beside the moment civicwatch first saw it, and a
// story from a feed's backlog marked as such.
package display

import (
	"fmt"
	"time"
)

// BacklogAfter is how long before civicwatch first saw a story it must
// have been published to count as backlog: old items a newly added feed
// still carries, which arrive today but are not today's news. Two days
// leave room for feeds that publish late or carry yesterday's date.
const BacklogAfter = 48 * time.Hour

// Time is t in loc with its offset: "2026-11-26 14:05 +07:00"; "—" for the
// zero time.
func Time(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02 15:04 -07:00")
}

// Date is t's local date in loc: "2026-11-26".
func Date(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02")
}

// Zone names loc with its offset at t: "Asia/Phnom_Penh (UTC+07:00)".
func Zone(loc *time.Location, at time.Time) string {
	return fmt.Sprintf("%s (UTC%s)", loc, at.In(loc).Format("-07:00"))
}

// Backlog reports whether a story was published long before it was first
// seen. A story without a date (published equals first seen) is not.
func Backlog(published, firstSeen time.Time) bool {
	return !published.IsZero() && firstSeen.Sub(published) > BacklogAfter
}

// Age says how long before first seen a story was published: "30 days",
// "3 days", "50 hours".
func Age(published, firstSeen time.Time) string {
	d := firstSeen.Sub(published)
	if d < 72*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
