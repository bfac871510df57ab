// Package sources sums up the configured feeds' stored states into the one
// figure every surface reports: how many of the enabled feeds fail. The
// daemon's /healthz, the console's banner and the CLI read it from here so
// that they never disagree on what "failing" means.
package sources

import (
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Summary is the health of the enabled, configured feeds.
type Summary struct {
	Enabled   int               // enabled feeds in the config
	Failing   []store.FeedState // enabled feeds whose latest fetch failed (gone included), in config order
	Succeeded int               // enabled feeds that have been read successfully at least once
	// LastSuccess is the latest successful read of any enabled feed; zero
	// when none ever was.
	LastSuccess time.Time
	// Interval is the shortest poll interval among the enabled feeds: within
	// it at least one feed is due again, so a watch that works reads
	// something at least that often.
	Interval time.Duration
}

// Assess joins the config's feeds with their stored states. A stored state
// whose URL is not the configured one belongs to an old address and counts
// as never polled; feeds no longer configured are left out, since nobody
// can fix them.
func Assess(feeds []config.Feed, states map[string]store.FeedState) Summary {
	var s Summary
	for _, f := range feeds {
		if !f.Enabled {
			continue
		}
		s.Enabled++
		if d := f.Interval.D(); s.Interval == 0 || d < s.Interval {
			s.Interval = d
		}
		st, ok := states[f.ID]
		if !ok || st.URL != f.URL {
			continue
		}
		if st.Failures > 0 || st.Gone() {
			s.Failing = append(s.Failing, st)
		}
		if !st.LastSuccess.IsZero() {
			s.Succeeded++
			if st.LastSuccess.After(s.LastSuccess) {
				s.LastSuccess = st.LastSuccess
			}
		}
	}
	return s
}

// MostFail reports whether more than half the enabled feeds fail, the point
// at which /healthz calls the watch degraded: the digest would then carry
// less than half of what it should.
func (s Summary) MostFail() bool { return s.Enabled > 0 && 2*len(s.Failing) > s.Enabled }
