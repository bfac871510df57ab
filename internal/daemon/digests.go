package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/civicwatch/civicwatch/internal/digest"
)

// digestDeadline bounds one digest run, a backstop behind digestRetry's
// budget: building is quick, and a pending digest is resent by the next run.
const digestDeadline = 5 * time.Minute

// digestRetry keeps a daemon's digest run short, since it holds up polling:
// a temporary failure leaves the digest pending and the catch-up a minute
// later sends the stored message again.
var digestRetry = digest.Retry{Attempts: 2, Backoff: 5 * time.Second, Budget: 90 * time.Second, Sleep: digest.DefaultRetry.Sleep}

// startCron schedules the digest job on the config's schedule, in its zone.
// Recover keeps a panicking job from killing the process; SkipIfStillRunning
// keeps a slow SMTP server from piling runs up.
func (d *Daemon) startCron() {
	d.cronMu.Lock()
	defer d.cronMu.Unlock()
	dg := d.cfg.Digest
	if dg == nil || len(dg.Recipients) == 0 {
		return
	}
	logger := cronLogger{d.log}
	c := cron.New(cron.WithLocation(dg.Location), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	c.Schedule(dg.Cron, cron.FuncJob(func() { d.sendDigests(d.ctx, "schedule") }))
	c.Start()
	d.cron = c
}

func (d *Daemon) stopCron() {
	d.cronMu.Lock()
	defer d.cronMu.Unlock()
	if d.cron != nil {
		<-d.cron.Stop().Done() // a running job finishes; it has its own deadline
		d.cron = nil
	}
}

// digestLoop is the catch-up: at start and every CatchUp it sends whatever
// is due and not yet sent. robfig/cron neither runs jobs missed while the
// daemon was down nor fires inside a spring-forward gap; the ledger makes
// the extra runs harmless.
func (d *Daemon) digestLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.CatchUp)
	defer t.Stop()
	d.runDigest(ctx, "catch-up")
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.runDigest(ctx, "catch-up")
		case <-d.opts.DigestTrigger:
			d.runDigest(ctx, "trigger")
		}
	}
}

func (d *Daemon) runDigest(ctx context.Context, why string) {
	defer d.recover("digest")
	d.sendDigests(ctx, why)
}

// sendDigests builds the due digests between poll rounds, then delivers
// them while polling goes on, all within digestDeadline.
func (d *Daemon) sendDigests(ctx context.Context, why string) {
	d.sending.Lock()
	defer d.sending.Unlock()
	dctx, cancel := context.WithTimeout(ctx, digestDeadline)
	defer cancel()
	prepared, err := d.prepareDigests(dctx)
	if prepared == nil {
		if err != nil {
			d.log.Error("digest run failed", "run", why, "err", err)
		}
		return
	}
	results, err := prepared.Deliver(dctx)
	d.metrics.observeDigests(results)
	d.health.digested(results, err)
	for _, r := range results {
		if r.Outcome == digest.OutcomeNotDue || r.Outcome == digest.OutcomeAlreadySent {
			continue
		}
		lvl := slog.LevelInfo
		if r.Err != nil {
			lvl = slog.LevelWarn
		}
		d.log.Log(ctx, lvl, "digest", "run", why, "recipient", r.Recipient, "period", r.Period.ID,
			"outcome", r.Outcome, "stories", r.Stories, "attempts", r.Attempts, "err", r.Err)
	}
	if err != nil {
		d.log.Error("digest run failed", "run", why, "err", err)
	}
}

// prepareDigests builds and stores the due digests under the work lock;
// nil when there is nothing to do.
func (d *Daemon) prepareDigests(ctx context.Context) (*digest.Prepared, error) {
	d.work.Lock()
	defer d.work.Unlock()
	if ctx.Err() != nil {
		return nil, nil
	}
	cfg := d.cfg
	if cfg.Digest == nil || len(cfg.Digest.Recipients) == 0 {
		return nil, nil
	}
	retry := d.opts.Retry
	if retry.Attempts == 0 {
		retry = digestRetry
	}
	svc := &digest.Service{Store: d.store, Config: cfg, Sender: d.opts.Sender, Retry: retry,
		Now: d.opts.Now, LookupEnv: d.opts.LookupEnv, Log: d.log}
	p, err := svc.Prepare(ctx)
	if err != nil {
		d.health.digested(nil, err)
		return nil, err
	}
	return p, nil
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
