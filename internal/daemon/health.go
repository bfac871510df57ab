package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/sources"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/web"
)

// health is what the loops report for /healthz.
type health struct {
	mu        sync.Mutex
	started   time.Time
	config    ConfigHealth
	interval  time.Duration // fetch.interval of the running config
	poll      *PollHealth
	lastOK    time.Time // end of the last round that ran
	digests   map[string]DigestHealth
	digestErr string
	// noPolling is set for a console serving health beside no poll loop
	// of its own (civicwatch serve): the polling checks do not apply.
	noPolling bool
}

// Health is the /healthz document.
type Health struct {
	Status string `json:"status"` // ok | degraded | unhealthy; both of the latter answer 503
	// Reason says in one line why the watch is degraded: it names no feed
	// or recipient, so /healthz shows it to callers without the token.
	Reason    string         `json:"reason,omitempty"`
	Problems  []string       `json:"problems,omitempty"`
	Database  string         `json:"database"` // ok | the error
	Config    ConfigHealth   `json:"config"`
	LastPoll  *PollHealth    `json:"last_poll,omitempty"`
	Failing   []FeedFailure  `json:"failing_feeds"`
	Digests   []DigestHealth `json:"digests"`
	DigestErr string         `json:"digest_error,omitempty"`
	// Alerts lists the alert channels whose messages have failed for over
	// an hour with nothing accepted since.
	Alerts    []AlertFailure `json:"failing_alert_channels"`
	StartedAt time.Time      `json:"started_at"`
	CheckedAt time.Time      `json:"checked_at"`
}

// ConfigHealth names the running config and the last reload's failure.
type ConfigHealth struct {
	Path         string    `json:"path"`
	RulesVersion string    `json:"rules_version"`
	FileSHA256   string    `json:"file_sha256"`
	FileModTime  time.Time `json:"file_mtime"`
	LoadedAt     time.Time `json:"loaded_at"`
	ReloadError  string    `json:"reload_error,omitempty"`
}

// PollHealth is the last poll round.
type PollHealth struct {
	At       time.Time `json:"at"`
	Feeds    int       `json:"feeds"`
	Failed   int       `json:"failed"`
	New      int       `json:"new"`
	Updated  int       `json:"updated"`
	Matched  int       `json:"matched"`
	Duration string    `json:"duration"`
}

// FeedFailure is a feed whose latest fetches failed.
type FeedFailure struct {
	ID        string    `json:"id"`
	Failures  int       `json:"consecutive_failures"`
	LastError string    `json:"last_error"`
	Since     time.Time `json:"last_success,omitzero"`
}

// AlertFailure is an alert channel that keeps failing. Channel is the
// ledger's name for it, which never holds a secret.
type AlertFailure struct {
	Alert     string    `json:"alert"`
	Channel   string    `json:"channel"`
	Since     time.Time `json:"failing_since"`
	LastError string    `json:"last_error"`
}

// alertFailingFor is how long an alert channel may fail before /healthz
// reports it: a receiver down for a few minutes is retried quietly.
const alertFailingFor = time.Hour

// DigestHealth is a recipient's latest digest run.
type DigestHealth struct {
	Recipient string    `json:"recipient"`
	Period    string    `json:"period"`
	Outcome   string    `json:"outcome"`
	Stories   int       `json:"stories"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

func newHealth(now time.Time) *health {
	return &health{started: now, digests: map[string]DigestHealth{}}
}

// setConfig records a loaded config, or a refused one's error.
func (h *health) setConfig(cfg *config.Config, reloadErr error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if reloadErr != nil {
		h.config.ReloadError = reloadErr.Error()
		return
	}
	c := ConfigHealth{Path: cfg.Path, RulesVersion: cfg.Rules.Version(), LoadedAt: time.Now()}
	if b, err := os.ReadFile(cfg.Path); err == nil {
		sum := sha256.Sum256(b)
		c.FileSHA256 = hex.EncodeToString(sum[:])
	}
	if fi, err := os.Stat(cfg.Path); err == nil {
		c.FileModTime = fi.ModTime().UTC()
	}
	h.config = c
	h.interval = cfg.Fetch.Interval.D()
}

func (h *health) polled(at time.Time, rep *poll.Report) {
	t, failed := rep.Totals()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastOK = at
	if len(rep.Results) == 0 {
		return // nothing was due: keep the last round that did something
	}
	h.poll = &PollHealth{At: at.UTC(), Feeds: len(rep.Results), Failed: failed, New: t.New, Updated: t.Updated,
		Matched: t.Matched, Duration: rep.Duration.Round(time.Millisecond).String()}
}

func (h *health) digested(results []digest.Result, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.digestErr = ""
	if err != nil {
		h.digestErr = err.Error()
	}
	for _, r := range results {
		if r.Outcome == digest.OutcomeNotDue {
			continue
		}
		if old, ok := h.digests[r.Recipient]; ok && old.Period == r.Period.ID && r.Outcome == digest.OutcomeAlreadySent {
			continue // keep what happened to it: sent, or failed for good
		}
		dh := DigestHealth{Recipient: r.Recipient, Period: r.Period.ID, Outcome: string(r.Outcome), Stories: r.Stories, At: time.Now().UTC()}
		if r.Err != nil {
			dh.Error = r.Err.Error()
		}
		h.digests[r.Recipient] = dh
	}
}

// report builds the document; dbErr is the database check's error and
// feeds what the stored feed states add up to; alerts the alert channels
// failing for over an hour.
//
// Two kinds of trouble answer 503. Unhealthy: the daemon itself is stuck
// (database, config, polling loop, a digest refused for good). Degraded:
// the daemon runs but collects too little to be trusted, which a setup
// with no network or wrong URLs would otherwise hide behind a green check:
//   - no feed was read successfully within 2 × the poll interval (the
//     shortest of the enabled feeds'), counted from the start when none
//     was since;
//   - more than half the enabled feeds are failing.
//
// An alert channel failing for over an hour is unhealthy, like a digest
// refused for good: urgent news is not reaching its readers.
func (h *health) report(now time.Time, dbErr error, feeds sources.Summary, alerts []AlertFailure) Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := Health{Status: "ok", Database: "ok", Config: h.config, LastPoll: h.poll, Failing: []FeedFailure{},
		DigestErr: h.digestErr, StartedAt: h.started.UTC(), CheckedAt: now.UTC(), Digests: []DigestHealth{}, Alerts: []AlertFailure{}}
	for _, f := range feeds.Failing {
		out.Failing = append(out.Failing, FeedFailure{ID: f.ID, Failures: f.Failures, LastError: f.LastError, Since: f.LastSuccess})
	}
	for _, a := range alerts {
		out.Alerts = append(out.Alerts, a)
		out.Problems = append(out.Problems, fmt.Sprintf("alert %s: %s failing since %s: %s", a.Alert, a.Channel,
			a.Since.UTC().Format(time.RFC3339), a.LastError))
	}
	if dbErr != nil {
		out.Database = dbErr.Error()
		out.Problems = append(out.Problems, "database: "+dbErr.Error())
	}
	if h.config.ReloadError != "" {
		out.Problems = append(out.Problems, "config reload refused: "+h.config.ReloadError)
	}
	since := h.lastOK
	if since.IsZero() {
		since = h.started
	}
	if limit := 3 * h.interval; limit > 0 && now.Sub(since) > limit && !h.noPolling {
		out.Problems = append(out.Problems, "no successful poll for "+now.Sub(since).Round(time.Second).String())
	}
	for _, dh := range h.digests {
		out.Digests = append(out.Digests, dh)
		if dh.Outcome == string(digest.OutcomeFailed) {
			out.Problems = append(out.Problems, "digest for "+dh.Recipient+" failed for good: "+dh.Error)
		}
	}
	if len(out.Problems) > 0 {
		out.Status = "unhealthy"
		return out
	}
	var reasons []string
	if feeds.Enabled > 0 {
		from, what := feeds.LastSuccess, "the last successful read"
		if from.Before(h.started) {
			from, what = h.started, "start"
		}
		if bound := 2 * feeds.Interval; now.Sub(from) > bound {
			reasons = append(reasons, fmt.Sprintf("no feed read successfully in the %s since %s (bound: 2 × poll interval %s); check the network, proxy and feed URLs",
				now.Sub(from).Round(time.Second), what, feeds.Interval))
		}
	}
	if feeds.MostFail() {
		reasons = append(reasons, fmt.Sprintf("%d of %d enabled feeds failing", len(feeds.Failing), feeds.Enabled))
	}
	if len(reasons) > 0 {
		out.Status, out.Reason = "degraded", strings.Join(reasons, "; ")
		out.Problems = reasons
	}
	return out
}

// ConsoleHealth is /healthz for a console without a daemon of its own
// (civicwatch serve): the database, the config in force, and what the
// stored feed states say, degraded by the same rules as the daemon's, so a
// container health check works against either.
func ConsoleHealth(st *store.Store, config func() *config.Config, started time.Time) http.Handler {
	h := newHealth(started)
	h.noPolling = true
	d := &Daemon{store: st, health: h}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg := config(); cfg != nil {
			d.current.Store(cfg)
			h.mu.Lock()
			h.config.Path, h.config.RulesVersion = cfg.Path, cfg.Rules.Version()
			h.mu.Unlock()
		}
		d.serveHealth(w, r)
	})
}

// Handler serves the operator console (package web) with /healthz and
// /metrics mounted in it, so that one address and one access policy cover
// all three. Should the console fail to build, health and metrics are
// still served: they are what keeps the daemon supervised.
func (d *Daemon) Handler() http.Handler {
	if d.current.Load() == nil && d.cfg != nil {
		d.current.Store(d.cfg)
	}
	console, err := web.New(web.Options{
		Store: d.store, Config: d.current.Load, Token: d.opts.ConsoleToken, Log: d.log, Now: d.opts.Now,
		Listen: d.listenAddr, AllowedHosts: d.opts.AllowedHosts,
		LookupEnv: d.opts.LookupEnv, Health: http.HandlerFunc(d.serveHealth), Metrics: d.metrics.handler(),
	})
	if err == nil {
		return console
	}
	if d.log != nil {
		d.log.Error("console not served", "err", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.serveHealth)
	mux.Handle("GET /metrics", d.metrics.handler())
	return mux
}

func (d *Daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	_, dbErr := d.store.SchemaVersion(ctx)
	var feeds sources.Summary
	if dbErr == nil {
		states, err := d.store.FeedStates(ctx)
		if err != nil {
			dbErr = err
		}
		if cfg := d.current.Load(); cfg != nil {
			feeds = sources.Assess(cfg.Feeds, states)
		}
	}
	var alerts []AlertFailure
	if dbErr == nil {
		// The ledger is stamped with the alerter's clock.
		now := time.Now
		if d.opts.Now != nil {
			now = d.opts.Now
		}
		chs, err := d.store.FailingAlertChannels(ctx, now().Add(-alertFailingFor))
		if err != nil {
			dbErr = err
		}
		for _, c := range chs {
			alerts = append(alerts, AlertFailure{Alert: c.Alert, Channel: c.Channel, Since: c.Since.UTC(), LastError: c.LastError})
		}
	}
	h := d.health.report(time.Now(), dbErr, feeds, alerts)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}
