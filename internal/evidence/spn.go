package evidence

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/savepagenow"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Submitter hands a URL to an outside archive and returns its job id;
// *savepagenow.Client is one.
type Submitter interface {
	Submit(ctx context.Context, url string) (jobID string, err error)
}

// JobReader reads what became of a submitted job; *savepagenow.Client is
// one. A Submitter that is not one leaves jobs as submitted.
type JobReader interface {
	Status(ctx context.Context, jobID string) (savepagenow.Job, error)
	ArchivedURL(j savepagenow.Job) string
}

// jobWait is how long after a submission, and between looks, a job is
// left to run: the API takes seconds to minutes to capture a page.
const jobWait = 2 * time.Minute

// spnMaxAttempts is how many failed submissions of one capture are made
// before it is given up. A refused login or a rate limit does not count
// toward it: those say nothing about the page.
const spnMaxAttempts = 5

// spnBackoff is the wait after the nth failed attempt (n from 1) when the
// API gave no Retry-After: a minute, doubling, at most an hour.
func spnBackoff(n int) time.Duration {
	return min(time.Minute<<min(n-1, 10), time.Hour)
}

// submit hands the captures not yet submitted to Save Page Now, at most
// SubmitBatch per run. The client spaces the requests; a 429 or a refused
// login ends the run's submissions, since every next one would meet the
// same answer.
func (r *Runner) submit(ctx context.Context, rep *Report) error {
	if r.o.SavePageNow == nil {
		return nil
	}
	tasks, err := r.st.DueSubmissions(ctx, r.o.Now(), r.o.SubmitBatch)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := ctx.Err(); err != nil {
			return err
		}
		job, err := r.o.SavePageNow.Submit(ctx, t.URL)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := r.o.Now()
		res := store.SPNResult{CaptureID: t.CaptureID, URL: t.URL, At: now}
		stop := false
		switch rl, limited := savepagenow.RateLimited(err); {
		case err == nil:
			res.State, res.JobID = store.SPNSubmitted, job
			rep.Submitted++
			r.o.Log.Info("save page now: submitted", "story", t.StoryID, "capture", t.CaptureID, "url", t.URL, "job", job)
		case limited:
			wait := rl.RetryAfter
			if wait <= 0 {
				wait = spnBackoff(t.Attempts + 1)
			}
			res.State, res.Error, res.NextAt = store.SPNPending, err.Error(), now.Add(wait)
			rep.RateLimited = true
			stop = true
			r.o.Log.Warn("save page now: rate limited; submissions wait", "retry_after", wait, "err", err)
		case savepagenow.IsAuth(err):
			res.State, res.Error, res.NextAt = store.SPNPending, err.Error(), now.Add(time.Hour)
			stop = true
			r.o.Log.Error("save page now: credentials refused; nothing is submitted until they are fixed", "err", err)
		default:
			res.State, res.Error, res.NextAt = store.SPNPending, err.Error(), now.Add(spnBackoff(t.Attempts+1))
			if t.Attempts+1 >= spnMaxAttempts {
				res.State, res.NextAt = store.SPNFailed, time.Time{}
			}
			r.o.Log.Warn("save page now: submission failed", "story", t.StoryID, "capture", t.CaptureID, "url", t.URL,
				"attempt", t.Attempts+1, "err", err)
		}
		if err != nil {
			rep.SubmitErrors = append(rep.SubmitErrors, fmt.Sprintf("story %d: %s: %v", t.StoryID, t.URL, err))
		}
		if err := r.st.SaveSubmission(ctx, res); err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
	return nil
}

// followJobs asks what became of the jobs submitted at least jobWait ago,
// at most SubmitBatch of them a run: a job done gives the address of the
// Wayback Machine's copy, an independent witness of the page; a failed job
// keeps the API's reason. A job still running is looked at again later.
func (r *Runner) followJobs(ctx context.Context, rep *Report) error {
	jr, ok := r.o.SavePageNow.(JobReader)
	if !ok || rep.RateLimited {
		return nil
	}
	jobs, err := r.st.SubmittedJobs(ctx, r.o.Now().Add(-jobWait), max(r.o.SubmitBatch, 1))
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		job, err := jr.Status(ctx, j.JobID)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := r.o.Now()
		if err != nil {
			// Unanswered: the job stays submitted and is asked about again.
			r.o.Log.Warn("save page now: job status", "story", j.StoryID, "job", j.JobID, "err", err)
			if err := r.st.FollowJob(ctx, j.CaptureID, store.SPNSubmitted, "", "", now); err != nil {
				return err
			}
			if _, limited := savepagenow.RateLimited(err); limited || savepagenow.IsAuth(err) {
				return nil
			}
			continue
		}
		state, archived, msg := store.SPNSubmitted, "", ""
		switch job.Status {
		case "success":
			state, archived = store.SPNArchived, jr.ArchivedURL(job)
			rep.Archived++
			r.o.Log.Info("save page now: archived", "story", j.StoryID, "job", j.JobID, "url", archived)
		case "error":
			state, msg = store.SPNFailed, strings.TrimSpace(job.StatusExt+" "+job.Message)
			rep.JobsFailed++
			r.o.Log.Warn("save page now: the job failed", "story", j.StoryID, "job", j.JobID, "err", msg)
		}
		if err := r.st.FollowJob(ctx, j.CaptureID, state, archived, msg, now); err != nil {
			return err
		}
	}
	return nil
}
