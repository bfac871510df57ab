package daemon

import (
	"context"
	"time"
)

// wake asks a loop run by runWoken to work now; a wake-up already waiting
// is enough.
func wake(kick chan<- struct{}) {
	select {
	case kick <- struct{}{}:
	default:
	}
}

// runWoken runs work at once, then whenever kick or trigger (a test's
// hand, nil in production) wakes it, or when the wait work returned has
// passed; a negative wait sleeps until woken. It returns when ctx ends.
// The alert and evidence loops are both run this way.
func runWoken(ctx context.Context, kick, trigger <-chan struct{}, work func() time.Duration) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-trigger:
		case <-timer.C:
		}
		wait := work()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if wait >= 0 {
			timer.Reset(wait)
		}
	}
}
