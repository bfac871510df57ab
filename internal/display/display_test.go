package display

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	pp, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 7, 5, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{Time(at, pp), "2026-11-26 14:05 +07:00"},
		{Time(at, time.UTC), "2026-11-26 07:05 +00:00"},
		{Time(time.Time{}, pp), "—"},
		{Date(at.Add(17*time.Hour), pp), "2026-11-27"},
		{Zone(pp, at), "Asia/Phnom_Penh (UTC+07:00)"},
		{Zone(time.UTC, at), "UTC (UTC+00:00)"},
		{Age(at.Add(-50*time.Hour), at), "50 hours"},
		{Age(at.AddDate(0, 0, -30), at), "30 days"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestBacklog(t *testing.T) {
	seen := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		published time.Time
		want      bool
	}{
		{time.Time{}, false},
		{seen, false},
		{seen.Add(-47 * time.Hour), false},
		{seen.Add(-49 * time.Hour), true},
		{seen.AddDate(0, 0, -30), true},
	} {
		if got := Backlog(c.published, seen); got != c.want {
			t.Errorf("Backlog(%v) = %v, want %v", c.published, got, c.want)
		}
	}
}
