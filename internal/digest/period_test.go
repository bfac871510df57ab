package digest

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestCurrentPeriodInSpringForwardGap: a send time the clock skips (02:30
// on 29 March 2026 in Amsterdam) still makes that day a period, due once
// the clock is past the gap; days that have the time are unchanged.
func TestCurrentPeriodInSpringForwardGap(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := cron.ParseStandard("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now time.Time
		id  string
		at  time.Time
	}{
		{time.Date(2026, 3, 29, 1, 59, 0, 0, ams), "2026-03-28", time.Date(2026, 3, 28, 2, 30, 0, 0, ams)},
		{time.Date(2026, 3, 29, 3, 29, 0, 0, ams), "2026-03-28", time.Date(2026, 3, 28, 2, 30, 0, 0, ams)},
		{time.Date(2026, 3, 29, 3, 30, 0, 0, ams), "2026-03-29", time.Date(2026, 3, 29, 3, 30, 0, 0, ams)},
		{time.Date(2026, 3, 30, 2, 30, 0, 0, ams), "2026-03-30", time.Date(2026, 3, 30, 2, 30, 0, 0, ams)},
		// Fall back: the first of the two 02:30s.
		{time.Date(2026, 10, 25, 12, 0, 0, 0, ams), "2026-10-25", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		p, ok := CurrentPeriod(sched, ams, tt.now)
		if !ok || p.ID != tt.id || !p.At.Equal(tt.at) {
			t.Errorf("CurrentPeriod(%s) = %s at %s, %v; want %s at %s", tt.now, p.ID, p.At, ok, tt.id, tt.at)
		}
	}
}
