package daemon

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/civicwatch/civicwatch/internal/alert"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/store"
)

// metrics are the daemon's Prometheus series. They live in a registry of
// their own, not the global one, so tests can run daemons side by side and
// nothing a library registers globally leaks into /metrics.
type metrics struct {
	reg           *prometheus.Registry
	fetches       *prometheus.CounterVec
	fetchDuration prometheus.Histogram
	stories       prometheus.Counter
	matches       *prometheus.CounterVec
	digests       *prometheus.CounterVec
	lastPoll      prometheus.Gauge
	alerts        *prometheus.CounterVec
	// Counted by this process's evidence loop; the stored totals are
	// gauges read at scrape time (evidenceCollector).
	evidenceCaptures *prometheus.CounterVec
	evidenceErrors   *prometheus.CounterVec
	spnSubmissions   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_fetches_total", Help: "Feed fetches by outcome (ok, not_modified, unchanged, error, gone).",
		}, []string{"outcome"}),
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "civicwatch_fetch_duration_seconds", Help: "Time to fetch and parse one feed.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		stories: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "civicwatch_stories_stored_total", Help: "Stories stored new or updated.",
		}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_matches_total", Help: "Stories newly matched, by topic.",
		}, []string{"topic"}),
		digests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_digests_total", Help: "Digest runs per recipient, by outcome.",
		}, []string{"outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_alert_attempts_total", Help: "Alert delivery attempts by alert, channel kind and outcome (sent, pending: will retry, failed).",
		}, []string{"alert", "kind", "outcome"}),
		evidenceCaptures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_evidence_captures_total", Help: "Article pages captured by this process: first captures, and new versions found by re-checks (edited).",
		}, []string{"kind"}),
		evidenceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_evidence_errors_total", Help: "Failed article fetches by this process: capture attempts, and re-checks that got no answer.",
		}, []string{"kind"}),
		spnSubmissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicwatch_evidence_spn_submissions_total", Help: "Save Page Now submissions by this process, by outcome (submitted, error).",
		}, []string{"outcome"}),
		lastPoll: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "civicwatch_last_successful_poll_timestamp_seconds", Help: "Unix time of the end of the last poll round that ran.",
		}),
	}
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.stories, m.matches, m.digests, m.lastPoll, m.alerts, m.evidenceCaptures, m.evidenceErrors, m.spnSubmissions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observePoll(rep *poll.Report) {
	for _, r := range rep.Results {
		m.fetches.WithLabelValues(string(r.Outcome)).Inc()
		m.fetchDuration.Observe(r.Duration.Seconds())
		m.stories.Add(float64(r.Counts.New + r.Counts.Updated))
	}
}

// observeMatches adds what each topic gained since the last count. Matches
// are counted in the store rather than in poll.Report, which carries only
// a total; a rematch that removes matches lowers no counter.
func (m *metrics) observeEvidence(rep evidence.Report) {
	m.evidenceCaptures.WithLabelValues("first").Add(float64(rep.Captured))
	m.evidenceCaptures.WithLabelValues("edited").Add(float64(rep.States[store.EvidenceEdited]))
	m.evidenceErrors.WithLabelValues("capture").Add(float64(rep.Failed))
	m.evidenceErrors.WithLabelValues("recheck").Add(float64(rep.CheckFailed))
	m.spnSubmissions.WithLabelValues("submitted").Add(float64(rep.Submitted))
	m.spnSubmissions.WithLabelValues("error").Add(float64(len(rep.SubmitErrors)))
}

func (m *metrics) observeMatches(prev, now map[string]int) {
	for topic, n := range now {
		if d := n - prev[topic]; d > 0 {
			m.matches.WithLabelValues(topic).Add(float64(d))
		}
	}
}

func (m *metrics) observeDigests(results []digest.Result) {
	for _, r := range results {
		if r.Outcome == digest.OutcomeNotDue || r.Outcome == digest.OutcomeAlreadySent {
			continue // the catch-up asks every minute: counting these would say nothing
		}
		m.digests.WithLabelValues(string(r.Outcome)).Inc()
	}
}

// observeAlert counts one delivery attempt. The channel's kind, not its
// key, is the label: keys hold URLs, and a series per URL would grow
// without bound as the config changes.
func (m *metrics) observeAlert(a alert.Attempt) {
	kind, _, _ := strings.Cut(a.Channel, " ")
	if a.Test {
		kind += "_test"
	}
	m.alerts.WithLabelValues(a.Alert, kind, string(a.Outcome)).Inc()
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
