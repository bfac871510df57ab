package daemon

import (
	"context"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/savepagenow"
)

// evidenceWait is how long the evidence loop sleeps when no poll round
// wakes it: re-checks fall due by the clock, not by new stories, and a
// capture to retry waits an hour anyway.
const evidenceWait = time.Minute

// evidenceBatch is how many stories one pass of the loop tries; a pass that
// used all of them is followed by another at once.
const evidenceBatch = 50

// kickEvidence wakes the evidence loop.
func (d *Daemon) kickEvidence() { wake(d.evidenceKick) }

// evidenceLoop works the capture queue beside the polls: at start, when a
// poll round stored stories, and every evidenceWait for re-checks. It holds
// no lock a poll round needs; it shares only the poller's fetcher (so the
// SSRF guard, body cap, per-host limits and User-Agent are the polls') and
// the database, whose writes are short transactions. A stuck article
// server therefore stalls this loop, up to fetch.timeout per page, and
// never a poll round.
func (d *Daemon) evidenceLoop(ctx context.Context) {
	runWoken(ctx, d.evidenceKick, d.opts.EvidenceTrigger, func() time.Duration {
		if d.workEvidence(ctx) {
			return 0 // a full batch: more may wait
		}
		return d.opts.EvidenceWait
	})
}

// workEvidence runs one pass over the queue and reports whether a full
// batch was worked, so more may wait. Errors are logged: a page that fails
// is recorded against its story by the runner (and logged there with the
// story's id and URL); a database or archive failure ends this pass only.
func (d *Daemon) workEvidence(ctx context.Context) (more bool) {
	defer d.recover("evidence")
	cfg := d.current.Load()
	if cfg == nil || cfg.Evidence.Capture == config.CaptureOff || ctx.Err() != nil {
		return false
	}
	f := d.capturer.Load()
	if f == nil {
		return false
	}
	a, err := d.evidenceArchive(cfg)
	if err != nil {
		d.log.Error("evidence: open archive", "err", err)
		return false
	}
	var rechecks []time.Duration
	for _, r := range cfg.Evidence.Rechecks {
		rechecks = append(rechecks, r.D())
	}
	o := evidence.Options{Capture: cfg.Evidence.Capture, DailyBudget: cfg.Evidence.DailyBudget, Batch: evidenceBatch,
		Rechecks: rechecks, Now: d.opts.Now, Log: d.log,
		// Each new article text matches the story again, with the rules
		// and feed tags of the config in force.
		Rules: cfg.Rules, FeedTags: rematch.FeedTags(cfg.Feeds)}
	if spn := d.savePageNow(cfg); spn != nil {
		o.SavePageNow, o.SubmitBatch = spn, cfg.Evidence.SavePageNow.PerMinute
	}
	r := evidence.NewRunner(d.store, f, a, o)
	rep, err := r.Run(ctx)
	d.metrics.observeEvidence(rep)
	if err != nil && ctx.Err() == nil {
		d.log.Error("evidence: work the capture queue", "err", err)
	}
	if rep.Captured+rep.Failed+rep.Checked+rep.Submitted+len(rep.SubmitErrors) > 0 {
		d.log.Info("evidence pass", "queued", rep.Queued, "captured", rep.Captured, "failed", rep.Failed,
			"rechecked", rep.Checked, "out_of_budget", rep.OutOfBudget, "spn_submitted", rep.Submitted,
			"spn_failed", len(rep.SubmitErrors))
	}
	return err == nil && !rep.OutOfBudget && rep.Captured+rep.Failed >= evidenceBatch
}

// evidenceArchive returns the archive of the configured directory, opened
// once and again only when a reload moves the directory.
func (d *Daemon) evidenceArchive(cfg *config.Config) (evidence.Archive, error) {
	dir := evidence.Dir(cfg.Evidence, d.opts.DBPath)
	d.archiveMu.Lock()
	defer d.archiveMu.Unlock()
	if d.archive != nil && d.archiveDir == dir {
		return d.archive, nil
	}
	a, err := evidence.NewWARCDir(dir, 0)
	if err != nil {
		return nil, err
	}
	d.archive, d.archiveDir = a, dir
	return a, nil
}

// setCapturer makes the poller's fetcher the one captures go through. The
// poller's Fetcher is an interface (tests may swap it); only the real one
// can capture.
func (d *Daemon) setCapturer() {
	if f, ok := d.poller.Fetcher.(*fetch.Fetcher); ok {
		d.capturer.Store(f)
	}
}

// savePageNow returns the Save Page Now client of the running config, kept
// across passes so its spacing of requests holds, and rebuilt when the
// section changes. Missing keys are logged once per change of the section.
func (d *Daemon) savePageNow(cfg *config.Config) evidence.Submitter {
	d.spnMu.Lock()
	defer d.spnMu.Unlock()
	sc := cfg.Evidence.SavePageNow
	if d.spnBuilt && d.spnCfg == sc {
		if d.spn == nil {
			return nil // a nil *Client in the interface would not be nil
		}
		return d.spn
	}
	d.spnBuilt, d.spnCfg = true, sc
	c, err := savepagenow.FromConfig(sc, d.opts.UserAgent, d.opts.LookupEnv)
	if err != nil {
		d.log.Error("evidence.save_page_now is enabled but cannot be used; captures are kept without it", "err", err)
	}
	d.spn = c
	if c == nil {
		return nil
	}
	return c
}
