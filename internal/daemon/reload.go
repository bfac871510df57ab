package daemon

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/rematch"
)

// settle is how long a burst of file events must be quiet before the config
// is read: an editor's save is a write, a rename and a chmod.
const settle = 200 * time.Millisecond

// rematchDeadline bounds the re-matching after a reload; polling waits for it.
const rematchDeadline = 10 * time.Minute

// reloadLoop reloads the config on Options.Reload and, with WatchConfig, on
// changes of the file. It watches the directory, not the file: editors and
// config management replace the file, and a watch on the old inode would
// see nothing after the first save.
func (d *Daemon) reloadLoop(ctx context.Context) {
	var events <-chan fsnotify.Event
	if d.opts.WatchConfig {
		w, err := fsnotify.NewWatcher()
		if err == nil {
			err = w.Add(filepath.Dir(d.opts.ConfigPath))
		}
		if err != nil {
			d.log.Warn("config changes on disk will not be noticed; SIGHUP still reloads", "err", err)
		} else {
			defer w.Close()
			events = w.Events
			go func() {
				for err := range w.Errors {
					d.log.Warn("config watch", "err", err)
				}
			}()
		}
	}
	name := filepath.Clean(d.opts.ConfigPath)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.opts.Reload:
			d.reload(ctx, "signal")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if filepath.Clean(ev.Name) == name && !ev.Has(fsnotify.Chmod) {
				timer = time.After(settle)
			}
		case <-timer:
			timer = nil
			d.reload(ctx, "file changed")
		}
	}
}

// rematchStale matches the recent archive again at start when its stored
// matches come from other rules: feeds.yaml edited while no daemon ran, or
// an upgrade whose matcher reads text differently. It runs before any loop,
// so neither a digest nor an alert is built from matches the running rules
// would not make. A failure is logged and the daemon goes on: the stories
// keep their old rules version, where the next start or `civicwatch
// rematch` finds them.
func (d *Daemon) rematchStale(ctx context.Context) {
	if len(d.cfg.Topics) == 0 {
		return
	}
	since := d.opts.Now().Add(-d.opts.RematchWindow)
	n, err := d.store.StaleStories(ctx, d.cfg.Rules.Version(), since)
	if err != nil {
		d.log.Error("look for stories matched by other rules", "err", err)
		return
	}
	if n == 0 {
		return
	}
	d.log.Info("stored matches come from other rules; recent stories are matched again", "stale", n,
		"since", since.Format(time.DateOnly), "rules_version", d.cfg.Rules.Version())
	rctx, cancel := context.WithTimeout(ctx, rematchDeadline)
	res, err := rematch.Run(rctx, d.store, d.cfg.Rules, d.cfg.Feeds, since)
	cancel()
	d.countMatches(ctx)
	if err != nil {
		d.log.Error("match stored stories again at start", "err", err, "stories", res.Stories)
		return
	}
	d.log.Info("stories matched again at start", "stories", res.Stories)
}

// reload loads the config file again. An invalid file is refused: the
// errors are logged and shown on /healthz and the running config stays.
// When the rules changed, the recent archive is matched again.
func (d *Daemon) reload(ctx context.Context, why string) {
	defer d.recover("reload")
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.log.Error("config reload refused; the running config stays", "why", why, "err", err)
		d.health.setConfig(nil, err)
		return
	}
	d.work.Lock()
	old := d.cfg
	d.apply(cfg)
	changed := old.Rules.Version() != cfg.Rules.Version()
	var res rematch.Result
	if changed && len(cfg.Topics) > 0 {
		// Cancellable, with a deadline: rematch commits page by page, so
		// a shutdown mid-way leaves the rest under the old rules version,
		// where `civicwatch rematch` finds them.
		since := time.Now().Add(-d.opts.RematchWindow)
		rctx, cancel := context.WithTimeout(ctx, rematchDeadline)
		res, err = rematch.Run(rctx, d.store, cfg.Rules, cfg.Feeds, since)
		cancel()
		d.countMatches(ctx)
	}
	d.startAlerts(ctx)
	d.enqueueAlerts(ctx)
	d.work.Unlock()
	// New rules or a new evidence section may qualify stories for capture.
	d.kickEvidence()
	d.health.setConfig(cfg, nil)
	if err != nil {
		d.log.Error("rematch after reload", "err", err)
	}
	d.log.Info("config reloaded", "why", why, "rules_version", cfg.Rules.Version(), "rules_changed", changed,
		"rematched", res.Stories)
	if old.Digest == nil || cfg.Digest == nil || old.Digest.Schedule != cfg.Digest.Schedule ||
		old.Digest.Timezone != cfg.Digest.Timezone || len(old.Digest.Recipients) != len(cfg.Digest.Recipients) {
		d.stopCron()
		if ctx.Err() == nil {
			d.startCron()
		}
	}
}
