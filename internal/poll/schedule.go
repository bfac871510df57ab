package poll

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/civicwatch/civicwatch/internal/fetch"
)

// maxBackoff caps the wait after repeated failures: a feed that has been
// down for days is still tried daily, and so still shows up as failing.
const maxBackoff = 24 * time.Hour

// nextDue schedules a feed's next poll. Success: one interval, with a little
// jitter. Failure: the interval doubled per consecutive failure, capped, with
// jitter, and never sooner than a Retry-After the server asked for.
func (p *Poller) nextDue(now time.Time, interval time.Duration, failures int, err error) time.Time {
	jitter := p.Jitter
	if jitter == nil {
		jitter = rand.Float64
	}
	if err == nil {
		return now.Add(spread(interval, jitter()))
	}
	wait := Backoff(interval, failures+1)
	var se *fetch.StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		wait = max(wait, se.RetryAfter)
	}
	return now.Add(min(spread(wait, jitter()), maxBackoff+maxBackoff/10))
}

// Backoff is the wait after the n-th consecutive failure (n ≥ 1), before
// jitter: interval, 2×, 4×, … capped at maxBackoff.
func Backoff(interval time.Duration, n int) time.Duration {
	wait := interval
	for i := 1; i < n && wait < maxBackoff; i++ {
		wait *= 2
	}
	return min(wait, max(maxBackoff, interval))
}

// spread adds up to 10% to d, so feeds polled together drift apart.
func spread(d time.Duration, f float64) time.Duration {
	return d + time.Duration(float64(d)/10*f)
}
