package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/store"
)

// evidenceStates are the states civicwatch_evidence_stories reports, each
// always present so a dashboard sees a zero rather than a gap.
var evidenceStates = []string{store.EvidenceQueued, store.EvidenceCaptured, store.EvidenceFailed, store.EvidenceUnchanged,
	store.EvidenceEdited, store.EvidenceRemoved, store.EvidenceUnreachable}

var (
	evidenceBytesDesc = prometheus.NewDesc("civicwatch_evidence_bytes",
		"Bytes on disk of the evidence directory (WARC files and anything else in it).", nil, nil)
	evidenceFilesDesc = prometheus.NewDesc("civicwatch_evidence_warc_files",
		"WARC files in the evidence directory.", nil, nil)
	evidenceCapturesDesc = prometheus.NewDesc("civicwatch_evidence_captures",
		"Captures stored in the database, later versions of edited pages included.", nil, nil)
	evidenceStoriesDesc = prometheus.NewDesc("civicwatch_evidence_stories",
		"Stories with an evidence record, by state.", []string{"state"}, nil)
	evidenceQueueDesc = prometheus.NewDesc("civicwatch_evidence_queue_length",
		"Stories waiting for their first capture (due now or retrying later).", nil, nil)
)

// evidenceCollector reads the evidence figures when /metrics is scraped,
// from the database and the directory, so they are true after a restart
// and after `civicwatch evidence run` worked the queue beside the daemon.
type evidenceCollector struct{ d *Daemon }

func (c *evidenceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{evidenceBytesDesc, evidenceFilesDesc, evidenceCapturesDesc, evidenceStoriesDesc, evidenceQueueDesc} {
		ch <- d
	}
}

func (c *evidenceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sum, err := c.d.store.EvidenceSummary(ctx)
	if err != nil {
		c.d.log.Warn("metrics: evidence summary", "err", err)
		ch <- prometheus.NewInvalidMetric(evidenceCapturesDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(evidenceCapturesDesc, prometheus.GaugeValue, float64(sum.Captures))
		ch <- prometheus.MustNewConstMetric(evidenceQueueDesc, prometheus.GaugeValue, float64(sum.ByState[store.EvidenceQueued]))
		for _, s := range evidenceStates {
			ch <- prometheus.MustNewConstMetric(evidenceStoriesDesc, prometheus.GaugeValue, float64(sum.ByState[s]), s)
		}
	}
	cfg := c.d.current.Load()
	if cfg == nil {
		return
	}
	u, err := evidence.DiskUsage(evidence.Dir(cfg.Evidence, c.d.opts.DBPath))
	if err != nil {
		c.d.log.Warn("metrics: evidence disk use", "err", err)
		ch <- prometheus.NewInvalidMetric(evidenceBytesDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(evidenceBytesDesc, prometheus.GaugeValue, float64(u.Bytes))
	ch <- prometheus.MustNewConstMetric(evidenceFilesDesc, prometheus.GaugeValue, float64(u.WARCFiles))
}
