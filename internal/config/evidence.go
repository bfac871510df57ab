package config

import (
	"slices"
	"strings"
	"time"
)

// Capture modes of the evidence section.
const (
	CaptureMatched = "matched" // stories that match at least one topic
	CaptureAll     = "all"     // every stored story
	CaptureOff     = "off"     // nothing is captured
)

// DefaultDailyBudget bounds article fetches per UTC day. Captures are polite
// extras beside the polls; a burst of new matches must not turn civicwatch
// into a crawler.
const DefaultDailyBudget = 500

// DefaultRechecks are the ages at which a capture is fetched again.
var DefaultRechecks = []Duration{Duration(24 * time.Hour), Duration(7 * 24 * time.Hour), Duration(30 * 24 * time.Hour)}

// Evidence holds how matched articles are captured and kept.
type Evidence struct {
	Capture     string     // matched | all | off
	Rechecks    []Duration // ages of a capture at which it is re-checked, ascending
	Dir         string     // where WARC files go; "" means an "evidence" directory beside the database
	DailyBudget int        // article fetches per UTC day, captures and re-checks together
}

type rawEvidence struct {
	Capture     *string     `yaml:"capture"`
	Rechecks    *[]Duration `yaml:"rechecks"`
	Dir         *string     `yaml:"dir"`
	DailyBudget *int        `yaml:"daily_budget"`
}

// resolveEvidence fills the defaults; a file without an evidence: section
// captures matched stories, as the issue that asked for evidence intends.
func resolveEvidence(r *rawEvidence, p *problems) Evidence {
	if r == nil {
		r = &rawEvidence{}
	}
	e := Evidence{
		Capture:     setting(p, "evidence.capture", r.Capture, CaptureMatched),
		Rechecks:    slices.Clone(setting(p, "evidence.rechecks", r.Rechecks, DefaultRechecks)),
		Dir:         setting(p, "evidence.dir", r.Dir, ""),
		DailyBudget: setting(p, "evidence.daily_budget", r.DailyBudget, DefaultDailyBudget),
	}
	switch e.Capture {
	case CaptureMatched, CaptureAll, CaptureOff:
	default:
		p.add("evidence.capture", "must be %q, %q or %q, not %q", CaptureMatched, CaptureAll, CaptureOff, e.Capture)
	}
	for i, d := range e.Rechecks {
		checkDuration(p, "evidence.rechecks", d, time.Hour)
		if i > 0 && d <= e.Rechecks[i-1] {
			p.add("evidence.rechecks", "must be in ascending order (%s after %s)", d, e.Rechecks[i-1])
			break
		}
	}
	if r.Dir != nil && strings.TrimSpace(e.Dir) == "" {
		p.add("evidence.dir", "must name a directory, or be left out to keep evidence beside the database")
	}
	checkRange(p, "evidence.daily_budget", e.DailyBudget, 1, 1_000_000)
	return e
}
