// Package daemon runs civicwatch as a long-lived process: a polling loop,
// the digest schedule with a catch-up, config reloads, an HTTP endpoint for
// the operator console (package web) with health and metrics, a
// single-instance lock and a bounded shutdown.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/civicwatch/civicwatch/internal/alert"
	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/savepagenow"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/web"
)

// Options configure a daemon. Zero values take the defaults in brackets.
type Options struct {
	ConfigPath string
	DBPath     string
	Listen     string // HTTP address for the console, /healthz and /metrics; "" serves none
	// ConsoleToken guards the console and /metrics (see web.TokenEnv);
	// without one, Listen must be a loopback address.
	ConsoleToken string
	// AllowedHosts are names the console answers to besides its listen
	// address (--allowed-host; the config adds console.hosts).
	AllowedHosts []string
	UserAgent    string
	Log          *slog.Logger

	Tick          time.Duration // how often the poll loop looks for due feeds [5s]
	CatchUp       time.Duration // how often due digests are sent if cron missed them [1m]
	Grace         time.Duration // how long in-flight work may take after shutdown [10s]
	RematchWindow time.Duration // archive re-matched when the rules change on reload [30 days]
	Prune         time.Duration // how often retention.stories is applied, first at start [24h]

	// Reload triggers a config reload (the command wires SIGHUP to it).
	Reload <-chan struct{}
	// DigestTrigger runs the digest job at once, as the cron schedule
	// would: tests use it, since the config allows at most one send a day.
	DigestTrigger <-chan struct{}
	// WatchConfig reloads when the config file changes on disk.
	WatchConfig bool

	// Seams for digests: the clock deciding which period is due, the
	// sender (nil: from the config), retry policy and environment.
	Now       func() time.Time
	Sender    digest.Sender
	Retry     digest.Retry
	LookupEnv func(string) (string, bool)

	// Seams for alerts: the HTTP client for channel endpoints (nil: one
	// built once by package alert), the retry policy (zero: the default),
	// and a trigger that runs the alert loop at once, as tests need when
	// they move the clock. Email alerts use Sender.
	AlertClient  *http.Client
	AlertBackoff alert.Backoff
	AlertTrigger <-chan struct{}

	// EvidenceWait is how often the evidence loop looks for due captures
	// and re-checks when no poll round wakes it [1m]; EvidenceTrigger runs
	// it at once, as tests need when they move the clock.
	EvidenceWait    time.Duration
	EvidenceTrigger <-chan struct{}

	// Ready, when set, is called with the HTTP address once serving.
	Ready func(addr string)
}

func (o *Options) defaults() {
	if o.Tick <= 0 {
		o.Tick = 5 * time.Second
	}
	if o.CatchUp <= 0 {
		o.CatchUp = time.Minute
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.RematchWindow <= 0 {
		o.RematchWindow = 30 * 24 * time.Hour
	}
	if o.Prune <= 0 {
		o.Prune = 24 * time.Hour
	}
	if o.EvidenceWait <= 0 {
		o.EvidenceWait = evidenceWait
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AlertClient == nil {
		o.AlertClient = alert.NewClient()
	}
}

// Daemon is one running civicwatch.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	store   *store.Store
	metrics *metrics
	health  *health

	// work is held by each poll round, reload and the building of digests,
	// so a digest is built only between rounds: a story committed by a
	// round after the digest's query, but stamped before its window's end,
	// would otherwise fall between two digests. Delivery happens outside
	// it, so a slow mail server never holds polls up.
	work sync.Mutex
	// sending is held by a whole digest run, building and delivery: the
	// schedule and the catch-up must never deliver the same pending
	// digest at once.
	sending sync.Mutex
	cfg     *config.Config // guarded by work
	poller  *poll.Poller   // guarded by work
	matches map[string]int // match counts after the last round; guarded by work
	// current is cfg for readers that must not wait for a poll round to
	// release work: the console reads it per request.
	current atomic.Pointer[config.Config]
	// listenAddr is the console's address as bound, which requests must
	// name in their Host header (or a localhost form of it).
	listenAddr string

	alertKick chan struct{} // wakes the alert loop; buffered, one wake-up is enough

	// capturer is the poller's fetcher, which the evidence loop fetches
	// article pages with; swapped with the poller on a reload.
	capturer     atomic.Pointer[fetch.Fetcher]
	evidenceKick chan struct{} // wakes the evidence loop after a poll round stored stories
	archiveMu    sync.Mutex
	archive      evidence.Archive // guarded by archiveMu, opened on first use
	archiveDir   string           // guarded by archiveMu
	spnMu        sync.Mutex
	spn          *savepagenow.Client // guarded by spnMu; nil when off or unusable
	spnCfg       config.SavePageNow  // the section spn was built from
	spnBuilt     bool

	ctx    context.Context // the daemon's life; cron jobs run under it
	cronMu sync.Mutex
	cron   *cron.Cron
}

// Run runs the daemon until ctx is cancelled, then waits up to Grace for
// in-flight work, closes the database and releases the lock. It fails at
// once when another daemon holds the database or the config is invalid.
func Run(ctx context.Context, opts Options) error {
	opts.defaults()
	if opts.Listen != "" {
		// Before the lock and the database: a console that would be open
		// to the network is refused before anything starts.
		if err := web.CheckListen(opts.Listen, opts.ConsoleToken); err != nil {
			return err
		}
	}
	lock, err := AcquireLock(opts.DBPath)
	if err != nil {
		return err
	}
	defer lock.Release()
	cfg, err := config.Load(opts.ConfigPath)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, opts.DBPath)
	if err != nil {
		return err
	}
	// A damaged file is refused before the daemon writes into it.
	if err := st.QuickCheck(ctx); err != nil {
		st.Close()
		return err
	}
	d := &Daemon{opts: opts, log: opts.Log, store: st, metrics: newMetrics(), health: newHealth(opts.Now()),
		alertKick: make(chan struct{}, 1), evidenceKick: make(chan struct{}, 1)}
	d.metrics.reg.MustRegister(&evidenceCollector{d: d})
	d.apply(cfg)
	d.startAlerts(ctx)
	d.health.setConfig(cfg, nil)
	// The baseline for civicwatch_matches_total: matches stored before
	// this start are not new.
	if d.matches, err = st.MatchCounts(ctx); err != nil {
		d.log.Warn("count matches", "err", err)
	}

	var ln net.Listener
	if opts.Listen != "" {
		if ln, err = net.Listen("tcp", opts.Listen); err != nil {
			st.Close()
			return fmt.Errorf("listen %s: %w", opts.Listen, err)
		}
	}
	err = d.serve(ctx, ln)
	return err
}

// serve runs every loop and waits for them after ctx ends.
func (d *Daemon) serve(ctx context.Context, ln net.Listener) error {
	d.ctx = ctx
	d.log.Info("daemon started", "config", d.opts.ConfigPath, "db", d.opts.DBPath, "rules_version", d.cfg.Rules.Version())
	var wg sync.WaitGroup
	var srv *http.Server
	if ln != nil {
		d.listenAddr = ln.Addr().String()
		srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("http server stopped", "err", err)
			}
		})
		d.log.Info("serving http", "addr", ln.Addr().String())
		if d.opts.Ready != nil {
			d.opts.Ready(ln.Addr().String())
		}
	}
	d.rematchStale(ctx)
	d.startCron()
	wg.Go(func() { d.pollLoop(ctx) })
	wg.Go(func() { d.digestLoop(ctx) })
	wg.Go(func() { d.reloadLoop(ctx) })
	wg.Go(func() { d.pruneLoop(ctx) })
	wg.Go(func() { d.alertLoop(ctx) })
	wg.Go(func() { d.evidenceLoop(ctx) })

	<-ctx.Done()
	d.log.Info("shutting down", "grace", d.opts.Grace)
	d.stopCron()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.opts.Grace):
		// Leave the store open: closing it under a running write could
		// only make things worse. The process exits and SQLite's journal
		// recovers the last transaction on the next open.
		return fmt.Errorf("shutdown: in-flight work did not finish within %s", d.opts.Grace)
	}
	if err := d.store.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	d.log.Info("stopped")
	return nil
}

// apply makes cfg the running config. Callers hold work, or run before any
// loop starts.
func (d *Daemon) apply(cfg *config.Config) {
	if d.poller == nil || d.cfg.Fetch != cfg.Fetch {
		// A new poller means a new HTTP client: only when the fetch
		// settings it was built from changed.
		d.poller = poll.New(d.store, cfg.Fetch, d.opts.UserAgent, d.log)
		d.setCapturer()
	}
	d.poller.Rules = nil
	if len(cfg.Topics) > 0 {
		d.poller.Rules = cfg.Rules
	}
	d.cfg = cfg
	d.current.Store(cfg)
}

// pollLoop polls the due feeds every tick until ctx ends.
func (d *Daemon) pollLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.Tick)
	defer t.Stop()
	for {
		d.pollRound(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pollRound runs one round with a deadline. A panic is recovered and
// logged: one bad round must not stop the watch.
func (d *Daemon) pollRound(ctx context.Context) {
	defer d.recover("poll")
	d.work.Lock()
	defer d.work.Unlock()
	if ctx.Err() != nil {
		return
	}
	// A round waits for its slowest fetch, which ends at fetch.timeout;
	// twice that and a margin covers the writes after it.
	rctx, cancel := context.WithTimeout(ctx, 2*d.cfg.Fetch.Timeout.D()+30*time.Second)
	defer cancel()
	rep, err := d.poller.Poll(rctx, d.cfg.Feeds, poll.Selection{})
	if rep != nil && len(rep.Results) > 0 {
		d.metrics.observePoll(rep)
		d.countMatches(ctx)
		t, failed := rep.Totals()
		if t.Matched > 0 {
			d.enqueueAlerts(ctx)
		}
		if t.New > 0 || t.Updated > 0 {
			// Captures happen on the evidence loop, never in the round.
			d.kickEvidence()
		}
		d.log.Info("poll round", "feeds", len(rep.Results), "failed", failed, "new", t.New, "updated", t.Updated,
			"matched", t.Matched, "duration", rep.Duration.Round(time.Millisecond))
		if failed == len(rep.Results) && ctx.Err() == nil {
			// Each feed's error is logged on its own line; when all of them
			// fail at once the cause is rarely the feeds, so say so once.
			d.log.Warn("every feed failed in this poll round: check this machine's network, DNS and proxy (HTTPS_PROXY) before the feed URLs",
				"feeds", failed)
		}
	}
	if err != nil && ctx.Err() == nil {
		d.log.Error("poll round failed", "err", err)
	}
	if rep != nil && (err == nil || ctx.Err() != nil) {
		now := time.Now()
		d.health.polled(now, rep)
		if err == nil {
			d.metrics.lastPoll.Set(float64(now.Unix()))
		}
	}
}

func (d *Daemon) countMatches(ctx context.Context) {
	counts, err := d.store.MatchCounts(context.WithoutCancel(ctx))
	if err != nil {
		d.log.Warn("count matches", "err", err)
		return
	}
	d.metrics.observeMatches(d.matches, counts)
	d.matches = counts
}

func (d *Daemon) recover(job string) {
	if v := recover(); v != nil {
		d.log.Error("job panicked", "job", job, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
