package daemon

import (
	"context"
	"time"

	"github.com/civicwatch/civicwatch/internal/retention"
)

// pruneLoop applies retention.stories at start and then every Prune. It
// does not take work: the store deletes in batches of its own transactions,
// so a poll round's writes wait for one batch at most, and a digest, which
// reads matched stories only, loses nothing to it.
func (d *Daemon) pruneLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.Prune)
	defer t.Stop()
	for {
		d.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Daemon) prune(ctx context.Context) {
	defer d.recover("prune")
	cfg := d.current.Load()
	before, ok := retention.Cutoff(cfg.Retention, d.opts.Now())
	if !ok {
		return
	}
	start := time.Now()
	rep, err := retention.Apply(ctx, d.store, before, nil)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("prune failed", "err", err, "deleted", rep.Stories)
		}
		return
	}
	d.log.Info("pruned", "deleted", rep.Stories, "kept", rep.Kept, "before", before.UTC().Format(time.RFC3339),
		"batches", rep.Batches, "duration", time.Since(start).Round(time.Millisecond))
}
