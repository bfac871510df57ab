package poll

import (
	"context"
	"sync"
)

// limiter bounds fetches in flight, globally and per host. A fetch takes its
// host's slot before a global one, so feeds queued behind a busy host do not
// hold global slots that other hosts could use.
type limiter struct {
	global  chan struct{}
	perHost int
	mu      sync.Mutex
	hosts   map[string]chan struct{}
}

func newLimiter(global, perHost int) *limiter {
	return &limiter{global: make(chan struct{}, max(global, 1)), perHost: max(perHost, 1), hosts: map[string]chan struct{}{}}
}

func (l *limiter) host(h string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.hosts[h]
	if !ok {
		c = make(chan struct{}, l.perHost)
		l.hosts[h] = c
	}
	return c
}

// acquire waits for a slot for host h; release gives it back.
func (l *limiter) acquire(ctx context.Context, h string) (release func(), err error) {
	hc := l.host(h)
	select {
	case hc <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		<-hc
		return nil, ctx.Err()
	}
	return func() { <-l.global; <-hc }, nil
}
