package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/worddiff"
)

// evidenceShown bounds the rows of /evidence; a filter by state finds the
// rest.
const evidenceShown = 500

// evidenceStates are the states /evidence filters by, in the order of a
// story's life.
var evidenceStates = []string{store.EvidenceQueued, store.EvidenceCaptured, store.EvidenceFailed, store.EvidenceUnchanged,
	store.EvidenceEdited, store.EvidenceRemoved, store.EvidenceUnreachable}

type stateCount struct {
	State string
	N     int
}

type evidenceData struct {
	State   string // the filter; "" for all
	States  []stateCount
	Total   int
	Entries []store.EvidenceEntry
	More    int // rows past evidenceShown, not listed
}

// handleEvidence lists the stories with evidence, newest first, filtered by
// ?state=.
func (s *Server) handleEvidence(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains(evidenceStates, state) {
		s.badRequest(w, r, "state: want one of queued, captured, failed, unchanged, edited, removed or unreachable")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	sum, err := s.opts.Store.EvidenceSummary(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := s.opts.Store.EvidenceList(ctx, state, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := evidenceData{State: state, Total: sum.Stories, Entries: entries}
	for _, st := range evidenceStates {
		d.States = append(d.States, stateCount{st, sum.ByState[st]})
	}
	if len(d.Entries) > evidenceShown {
		d.More = len(d.Entries) - evidenceShown
		d.Entries = d.Entries[:evidenceShown]
	}
	s.render(w, r, http.StatusOK, "evidence", view{Title: "Evidence", Nav: "evidence", Data: d})
}

// timelineEntry is one event in a story's evidence: a capture or a re-check.
type timelineEntry struct {
	At       time.Time
	Kind     string // "capture" or "re-check"
	Outcome  string // captured, unchanged, edited, removed, failed
	Status   int
	SHA      string // first 12 hex digits of the body's SHA-256
	FullSHA  string
	FinalURL string
	Note     string // error, or the WARC place of a capture
	Capture  int    // 1-based capture number, for captures
}

// editView is an edit between two captures, cut around its changes.
type editView struct {
	From, To          int // 1-based capture numbers
	Removed, Inserted int
	Segs              []diffSeg
	Lang              string // km when the newer text is Khmer
}

// diffSeg is a run of a diff as the page shows it: removed text struck in
// <del> between [- and -], inserted text in <ins> between {+ and +}, the
// markers of the CLI's diff, so the page reads the same without colour or
// with a screen reader.
type diffSeg struct {
	Kind string // same, del, ins, gap
	Text string
}

func diffSegs(d worddiff.WordDiff) []diffSeg {
	out := make([]diffSeg, 0, len(d))
	for _, op := range d {
		kind := "same"
		switch op.Kind {
		case worddiff.Removed:
			kind = "del"
		case worddiff.Inserted:
			kind = "ins"
		case worddiff.Elided:
			kind = "gap"
		}
		out = append(out, diffSeg{Kind: kind, Text: op.Text()})
	}
	return out
}

// storyEvidence is a story's evidence for its page; nil when it has none.
type storyEvidence struct {
	Entry    store.EvidenceEntry
	Timeline []timelineEntry
	Edits    []editView
}

// loadStoryEvidence reads a story's captures and checks into a timeline,
// oldest first, and diffs its edits.
func (s *Server) loadStoryEvidence(ctx context.Context, id int64) (*storyEvidence, error) {
	en, err := s.opts.Store.EvidenceOf(ctx, id)
	if errors.Is(err, store.ErrNoEvidence) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	caps, err := s.opts.Store.Captures(ctx, id)
	if err != nil {
		return nil, err
	}
	checks, err := s.opts.Store.CheckHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	subs, err := s.opts.Store.Submissions(ctx, id)
	if err != nil {
		return nil, err
	}
	ev := &storyEvidence{Entry: en}
	texts := make([]string, len(caps))
	for i, c := range caps {
		texts[i] = c.Text
		note := c.WARCFile + " @ " + strconv.FormatInt(c.WARCOffset, 10)
		if sub, ok := subs[c.ID]; ok {
			note += "; Save Page Now: " + sub.State
			if sub.ArchivedURL != "" {
				note += ", archived at " + sub.ArchivedURL
			} else if sub.JobID != "" {
				note += ", job " + sub.JobID
			} else if sub.LastError != "" {
				note += " (" + sub.LastError + ")"
			}
		}
		ev.Timeline = append(ev.Timeline, timelineEntry{At: c.CapturedAt, Kind: "capture", Outcome: "captured", Status: c.Status,
			SHA: shaPrefix(c.BodySHA256), FullSHA: c.BodySHA256, FinalURL: c.FinalURL, Capture: i + 1, Note: note})
	}
	for _, c := range checks {
		ev.Timeline = append(ev.Timeline, timelineEntry{At: c.At, Kind: "re-check", Outcome: c.Outcome, Status: c.Status,
			SHA: shaPrefix(c.BodySHA256), FullSHA: c.BodySHA256, FinalURL: c.FinalURL, Note: c.Error})
	}
	// A re-check that found an edit is stamped before the capture it made
	// (the check begins before its fetch), so the two read in that order.
	slices.SortStableFunc(ev.Timeline, func(a, b timelineEntry) int { return a.At.Compare(b.At) })
	for _, ed := range worddiff.Edits(texts) {
		rem, ins := ed.Diff.Words()
		ev.Edits = append(ev.Edits, editView{From: ed.From + 1, To: ed.To + 1, Removed: len(rem), Inserted: len(ins),
			Segs: diffSegs(ed.Diff.Context(diffContext)), Lang: lang("", texts[ed.To])})
	}
	return ev, nil
}

// diffContext is how many tokens of unchanged text a diff keeps either
// side of a change: about ten words, enough to find the place.
const diffContext = 20

func shaPrefix(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
