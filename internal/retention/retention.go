// Package retention applies retention.stories: it deletes the unmatched
// stories older than the configured limit, in batches short enough that
// polls go on between them, and keeps the database's statistics fresh
// afterwards. Matched and labelled stories are never deleted.
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Cutoff is the first-seen time before which unmatched stories go, and
// false when the config keeps every story.
func Cutoff(r config.Retention, now time.Time) (time.Time, bool) {
	if r.Stories <= 0 {
		return time.Time{}, false
	}
	return now.Add(-r.Stories.D()), true
}

// Plan says what Apply would delete now, deleting nothing.
func Plan(ctx context.Context, st *store.Store, before time.Time) (store.PruneReport, error) {
	return st.PrunePlan(ctx, before)
}

// Apply deletes the unmatched, unlabelled stories first seen before the
// cutoff, store.PruneBatch per transaction, then lets SQLite re-analyse
// what changed (PRAGMA optimize) so that queries keep their indexes as the
// archive shrinks or grows. afterBatch may be nil.
func Apply(ctx context.Context, st *store.Store, before time.Time, afterBatch func(deleted int)) (store.PruneReport, error) {
	rep, err := st.Prune(ctx, before, afterBatch)
	if err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}
	if err := st.Optimize(ctx); err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}
	return rep, nil
}
