package digest

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/civicwatch/civicwatch/internal/snippet"
)

// Evidence states a change can report (store.EvidenceEdited and the
// others; the digest does not import the store).
const (
	StateEdited      = "edited"
	StateRemoved     = "removed"
	StateUnreachable = "unreachable"
	StateRestored    = "restored" // back after removed or unreachable
)

// Change is a change to a captured story's page, noticed by a re-check.
type Change struct {
	StoryID     int64
	Title       string
	URL         string
	Lang        string
	Outlets     []string
	FirstSeenAt time.Time
	Topics      []string // the topics the story matches
	State       string   // StateEdited, StateRemoved or StateUnreachable
	At          time.Time
	Status      int    // HTTP status of the re-check; 0 when none came
	Error       string // as the re-check recorded it
}

// ChangeEntry is one story of the "Changed or removed since reported"
// section, with what happened to its page in the window, in order.
type ChangeEntry struct {
	StoryID int64
	Title   string
	URL     string // "" unless http or https
	Host    string
	Lang    string
	Outlets []string
	Events  []ChangeEvent
}

// ChangeEvent is one change, for readers.
type ChangeEvent struct {
	State  string
	At     time.Time // in the display zone
	Detail string    // "HTTP 404", "redirected to the site's home page", ""
}

// Last is the state the story's page was left in.
func (e ChangeEntry) Last() string { return e.Events[len(e.Events)-1].State }

// changes picks the changes of the window a reader should hear of: those
// of stories this reader was told of before, in an earlier digest or by
// matching their topics before the window. A story first seen in the
// window is in this digest's topic sections anyway, with the page as it is
// now; a story the reader never had is not theirs to follow.
func changes(in Input, wanted []Topic, loc *time.Location) []ChangeEntry {
	var out []ChangeEntry
	index := map[int64]int{}
	for _, c := range in.Changes {
		if c.At.Before(in.Start) || !c.At.Before(in.End) {
			continue
		}
		if !in.Reported[c.StoryID] && !(c.FirstSeenAt.Before(in.Start) && slices.ContainsFunc(wanted, func(t Topic) bool {
			return slices.Contains(c.Topics, t.ID)
		})) {
			continue
		}
		ev := ChangeEvent{State: c.State, At: c.At.In(loc), Detail: changeDetail(c)}
		if i, ok := index[c.StoryID]; ok {
			out[i].Events = append(out[i].Events, ev)
			continue
		}
		e := ChangeEntry{StoryID: c.StoryID, Title: snippet.Clean(c.Title), Lang: c.Lang, Outlets: c.Outlets, Events: []ChangeEvent{ev}}
		e.URL, e.Host = safeLink(c.URL)
		index[c.StoryID] = len(out)
		out = append(out, e)
	}
	return out
}

// changeDetail says briefly why a page counts as removed or unreachable.
// The error text comes from a re-check of an outside page, so it is cleaned
// like any feed text.
func changeDetail(c Change) string {
	switch c.State {
	case StateRemoved:
		if c.Status == http.StatusNotFound || c.Status == http.StatusGone {
			return fmt.Sprintf("HTTP %d %s", c.Status, http.StatusText(c.Status))
		}
		return snippet.Clean(c.Error)
	case StateUnreachable:
		return "three checks in a row failed; the site may be down rather than the article gone"
	case StateRestored:
		return "the page answers again; what was captured before is kept"
	}
	return ""
}
