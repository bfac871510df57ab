package daemon

import (
	"context"
	"time"

	"github.com/civicwatch/civicwatch/internal/alert"
)

// alertWait caps how long the alert loop sleeps before a cooldown or retry
// it knows of: a wake-up computed from a clock that has since moved (a
// test's, or the machine's after a suspend) is corrected within this time.
const alertWait = 5 * time.Minute

// alertService is the alerter over the running config.
func (d *Daemon) alertService() *alert.Service {
	return &alert.Service{
		Store: d.store, Config: d.current.Load(), Client: d.opts.AlertClient, Mail: d.opts.Sender,
		LookupEnv: d.opts.LookupEnv, Now: d.opts.Now, Log: d.log, Backoff: d.opts.AlertBackoff,
		UserAgent: d.opts.UserAgent, Observe: d.observeAlert,
	}
}

// startAlerts records where new alerts start reading the matches. Callers
// hold work, or run before the loops start.
func (d *Daemon) startAlerts(ctx context.Context) {
	if len(d.current.Load().Alerts) == 0 {
		return
	}
	if err := d.alertService().Start(context.WithoutCancel(ctx)); err != nil {
		d.log.Error("alerts: start", "err", err)
	}
}

// enqueueAlerts hands the matches a poll round (or a rematch) committed to
// the alerter and wakes its loop. It runs under work, right after the
// commit; sending happens on the alert loop, so a slow receiver never
// holds up polling.
func (d *Daemon) enqueueAlerts(ctx context.Context) {
	if len(d.current.Load().Alerts) == 0 {
		return
	}
	n, err := d.alertService().Enqueue(context.WithoutCancel(ctx))
	if err != nil {
		d.log.Error("alerts: queue new matches", "err", err)
		return
	}
	if n > 0 {
		d.log.Debug("alerts: queued", "stories", n)
		d.kickAlerts()
	}
}

func (d *Daemon) kickAlerts() { wake(d.alertKick) }

// alertLoop delivers alerts: at start (messages left pending by the last
// run go out now), whenever a poll round queued stories, and when the
// ledger says the next cooldown or retry is due. With nothing pending it
// sleeps until a poll round wakes it: it never polls the database on a
// timer of its own.
func (d *Daemon) alertLoop(ctx context.Context) {
	runWoken(ctx, d.alertKick, d.opts.AlertTrigger, func() time.Duration {
		next, err := d.deliverAlerts(ctx)
		switch {
		case err != nil:
			return alertWait // the database was unusable: try again later
		case !next.IsZero():
			return min(max(next.Sub(d.opts.Now()), 0), alertWait)
		}
		return -1
	})
}

func (d *Daemon) deliverAlerts(ctx context.Context) (next time.Time, err error) {
	defer d.recover("alerts")
	if len(d.current.Load().Alerts) == 0 {
		return time.Time{}, nil
	}
	next, err = d.alertService().Deliver(ctx)
	if err != nil && ctx.Err() == nil {
		d.log.Error("alerts: deliver", "err", err)
	}
	return next, err
}

func (d *Daemon) observeAlert(a alert.Attempt) {
	d.metrics.observeAlert(a)
}
