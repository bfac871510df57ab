package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/civicwatch/civicwatch/internal/store"
)

// UnreachableAfter is how many network failures in a row make a page
// unreachable. One failure says little about a site in a country with
// unreliable links; three across re-checks days apart says it is gone dark.
const UnreachableAfter = 3

// recheck fetches again the captured pages whose re-check is due and judges
// each: unchanged, edited (a new capture is kept), removed, or a network
// failure, counted toward unreachable.
func (r *Runner) recheck(ctx context.Context, rep *Report) error {
	if r.o.RecheckAll {
		return r.recheckAll(ctx, rep)
	}
	if len(r.o.Rechecks) == 0 {
		return nil
	}
	tasks, err := r.st.DueChecks(ctx, r.o.Now(), r.o.Batch)
	if err != nil {
		return err
	}
	_, err = r.checkTasks(ctx, tasks, false, rep)
	return err
}

// recheckAll checks every captured page now, page by page of the queue, so
// a large archive is never held in memory at once. Pages captured in this
// same run are checked too: a re-check of everything means everything.
func (r *Runner) recheckAll(ctx context.Context, rep *Report) error {
	var after int64
	for {
		tasks, err := r.st.CapturedAfter(ctx, after, r.o.Batch)
		if err != nil || len(tasks) == 0 {
			return err
		}
		more, err := r.checkTasks(ctx, tasks, true, rep)
		if err != nil || !more {
			return err
		}
		after = tasks[len(tasks)-1].StoryID
	}
}

// checkTasks re-checks tasks in order, spending the budget; it reports false
// when the budget ran out.
func (r *Runner) checkTasks(ctx context.Context, tasks []store.CheckTask, forced bool, rep *Report) (bool, error) {
	for _, t := range tasks {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		ok, err := r.st.SpendEvidenceFetch(ctx, r.o.Now(), r.o.DailyBudget)
		if err != nil {
			return false, err
		}
		if !ok {
			rep.OutOfBudget = true
			return false, nil
		}
		c, err := r.checkOne(ctx, t)
		if err != nil {
			return false, err
		}
		if ctx.Err() != nil {
			// A fetch cut short by a shutdown says nothing about the page:
			// it must not count toward unreachable.
			return false, ctx.Err()
		}
		c.Forced = forced
		// The check is dated when it is written, not when its fetch
		// began: see store.Check.Stamp.
		c.Stamp = r.o.Now
		if err := r.st.SaveCheck(ctx, c); err != nil {
			return false, err
		}
		rep.Checked++
		if rep.States == nil {
			rep.States = map[string]int{}
		}
		rep.States[c.State]++
		if c.State != t.State {
			if rep.Changed == nil {
				rep.Changed = map[string]int{}
			}
			rep.Changed[c.State]++
		}
		if c.Outcome == "failed" {
			rep.CheckFailed++
			r.o.Log.Warn("evidence re-check failed", "story", t.StoryID, "url", t.URL, "state", c.State, "err", c.Error)
			continue
		}
		r.o.Log.Info("evidence re-checked", "story", t.StoryID, "url", t.URL, "outcome", c.Outcome, "state", c.State, "err", c.Error)
	}
	return true, nil
}

// checkOne judges one page; its error is for the archive failing.
func (r *Runner) checkOne(ctx context.Context, t store.CheckTask) (*store.Check, error) {
	now := r.o.Now()
	c := &store.Check{StoryID: t.StoryID, At: now, State: t.State}
	// The next re-check keeps the configured spacing; after the last age
	// there is none.
	if n := t.ChecksDone + 1; n < len(r.o.Rechecks) {
		c.NextCheck = now.Add(r.o.Rechecks[n] - r.o.Rechecks[n-1])
	}
	ex, err := r.fetcher.Capture(ctx, t.URL)
	if err != nil {
		c.Outcome, c.Error = "failed", err.Error()
		c.FailStreak = t.FailStreak + 1
		if c.FailStreak >= UnreachableAfter {
			c.State = store.EvidenceUnreachable
		}
		return c, nil
	}
	c.Status, c.FinalURL = ex.Status, ex.FinalURL
	switch {
	case ex.Status == http.StatusNotFound || ex.Status == http.StatusGone:
		c.Outcome, c.State, c.Error = "removed", store.EvidenceRemoved, fmt.Sprintf("HTTP %d", ex.Status)
		return c, nil
	case ex.Status < 200 || ex.Status > 299:
		// A server error or a refusal is not a removal: count it like a
		// network failure.
		c.Outcome, c.Error = "failed", fmt.Sprintf("HTTP %d %s", ex.Status, http.StatusText(ex.Status))
		c.FailStreak = t.FailStreak + 1
		if c.FailStreak >= UnreachableAfter {
			c.State = store.EvidenceUnreachable
		}
		return c, nil
	case redirectedHome(t.URL, ex.FinalURL):
		c.Outcome, c.State, c.Error = "removed", store.EvidenceRemoved, "redirected to the site's home page"
		return c, nil
	}
	sum := sha256.Sum256(ex.Body)
	c.BodySHA256 = hex.EncodeToString(sum[:])
	a, err := r.readArticle(ctx, t.StoryID, ex)
	if err != nil {
		return nil, err
	}
	text, err := a.text, a.err
	switch {
	case t.LastText == "" && c.BodySHA256 == t.LastBodySHA256:
		// Nothing was extracted before (a PDF, a page too large to
		// extract): the same bytes are the same page.
		c.Outcome, c.State = "unchanged", store.EvidenceUnchanged
		return c, nil
	case t.LastText == "" && errors.Is(err, ErrNotHTML):
		// A document whose bytes changed: a new version, kept as the
		// first was, with no words to compare.
	case t.LastText == "":
		// Other bytes, and no earlier text to hold them against: what
		// changed cannot be told, and a guess would be a claim made to
		// campaigners. The state stays; a page back after failures or a
		// removal is captured again.
		c.Outcome, c.Error = "uncompared", "no article text was extracted from the earlier capture; the page's bytes differ"
		if err != nil {
			c.Error += " and none from this one (" + err.Error() + ")"
		}
		if t.State == store.EvidenceRemoved || t.State == store.EvidenceUnreachable {
			c.State = store.EvidenceCaptured
		}
		return c, nil
	case err != nil:
		c.Outcome, c.State, c.Error = "removed", store.EvidenceRemoved, "the page no longer holds an article: "+err.Error()
		return c, nil
	case text == t.LastText:
		c.Outcome, c.State = "unchanged", store.EvidenceUnchanged
		return c, nil
	case retained(t.LastText, text) < minRetained:
		// A "page not found" served with 200, a redirect to a section, a
		// different story at the old address: the page answers, but the
		// article is no longer on it. Calling that an edit would tell
		// campaigners their citation still stands.
		c.Outcome, c.State = "removed", store.EvidenceRemoved
		c.Error = fmt.Sprintf("the page no longer holds the article: %.0f%% of its passages remain", 100*retained(t.LastText, text))
		return c, nil
	}
	// Evidence is never rewritten: the new version is a capture of its own.
	capt, err := r.keep(t.StoryID, ex, a)
	if err != nil {
		return nil, err
	}
	c.Capture, c.BodySHA256 = capt, capt.BodySHA256
	c.Outcome, c.State = "edited", store.EvidenceEdited
	return c, nil
}

// redirectedHome reports a redirect from an article to the root of a site,
// the usual way an outlet buries a deleted article.
func redirectedHome(from, final string) bool {
	f, err1 := url.Parse(from)
	u, err2 := url.Parse(final)
	if err := errors.Join(err1, err2); err != nil {
		return false
	}
	isRoot := func(p string) bool { return p == "" || p == "/" }
	return isRoot(u.Path) && !isRoot(f.Path)
}

// minRetained is the share of an article's passages a page must still hold
// to count as the article edited rather than removed. An edit — a figure
// corrected, a paragraph added or cut — keeps most of them; another page
// keeps next to none.
const minRetained = 0.3

// retained is the share of the older text's passages (runs of three
// words; for Khmer, three orthographic clusters) found in the newer. Single
// words would not do: unrelated Khmer texts share most of their clusters.
func retained(older, newer string) float64 {
	was, now := shingles(older), shingles(newer)
	if len(was) == 0 {
		return 1
	}
	kept := 0
	for s := range was {
		if now[s] {
			kept++
		}
	}
	return float64(kept) / float64(len(was))
}

func shingles(text string) map[string]bool {
	ws := words(text)
	out := map[string]bool{}
	if len(ws) < 3 {
		if len(ws) > 0 {
			out[strings.Join(ws, " ")] = true
		}
		return out
	}
	for i := 0; i+3 <= len(ws); i++ {
		out[ws[i]+" "+ws[i+1]+" "+ws[i+2]] = true
	}
	return out
}
