package digest

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Period is one scheduled send: the first time the schedule fires on a
// local date. A recipient gets at most one digest per period, and the
// period's date names it in the ledger and in the Message-ID.
type Period struct {
	ID string    // the local date, "2026-11-26"
	At time.Time // when the digest is due; its window ends here
}

// lookBackDays bounds the search for the latest period: a schedule that
// fires on some days only (weekdays, the 1st of the month) still fires
// within a year.
const lookBackDays = 400

// CurrentPeriod is the latest period due at now: the latest local date whose
// first scheduled time is at or before now. A daemon that was down at send
// time and starts later the same day, or days later, finds the period it
// missed (the latest one only: that digest's window covers the days before
// it). False when the schedule has not fired within lookBackDays.
func CurrentPeriod(sched cron.Schedule, loc *time.Location, now time.Time) (Period, bool) {
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for range lookBackDays {
		if at, ok := firstOfDay(sched, day); ok && !at.After(now) {
			return Period{ID: day.Format(time.DateOnly), At: at}, true
		}
		day = time.Date(day.Year(), day.Month(), day.Day()-1, 0, 0, 0, 0, loc)
	}
	return Period{}, false
}

// firstOfDay is the first time the schedule fires on the local date that
// starts at midnight. Next returns times strictly after its argument, at
// whole seconds, hence the second before midnight.
func firstOfDay(sched cron.Schedule, midnight time.Time) (time.Time, bool) {
	at := sched.Next(midnight.Add(-time.Second))
	next := time.Date(midnight.Year(), midnight.Month(), midnight.Day()+1, 0, 0, 0, 0, midnight.Location())
	if !at.IsZero() && at.Before(next) {
		return at, true
	}
	return inGap(sched, midnight, next)
}

// inGap finds a send time that the clock skips: on a spring-forward day a
// schedule at 02:30 in Europe/Amsterdam names a time that does not exist,
// and Next passes over the whole day. The day still gets its digest, at
// the same wall-clock time read past the gap (03:30), so that every local
// day has exactly one period.
func inGap(sched cron.Schedule, midnight, next time.Time) (time.Time, bool) {
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok || next.Sub(midnight) >= 24*time.Hour {
		return time.Time{}, false // only a short day has a gap
	}
	wall := *spec
	wall.Location = time.UTC // UTC has no gaps: it reads the schedule as wall-clock times
	day := time.Date(midnight.Year(), midnight.Month(), midnight.Day(), 0, 0, 0, 0, time.UTC)
	at := wall.Next(day.Add(-time.Second))
	if at.IsZero() || !at.Before(day.AddDate(0, 0, 1)) {
		return time.Time{}, false
	}
	// time.Date moves a wall time inside the gap forward by the gap's length.
	return time.Date(day.Year(), day.Month(), day.Day(), at.Hour(), at.Minute(), at.Second(), 0, midnight.Location()), true
}
