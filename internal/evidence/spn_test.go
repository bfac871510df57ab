package evidence

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/savepagenow"
	"github.com/civicwatch/civicwatch/internal/savepagenow/spntest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// TestSavePageNow: each capture's final URL is submitted once; a 429 holds
// the submissions back for its Retry-After and the next run sends them; the
// job ids are recorded per capture.
func TestSavePageNow(t *testing.T) {
	srv := httptest.NewServer(&mutablePage{mode: "ok", text: para})
	defer srv.Close()
	fake := spntest.New(t, "AK", "SK")
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/b", true})
	now := t0
	client := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "SK"}
	r, _ := newRunner(t, st, testFetcher(nil), Options{SavePageNow: client, Now: func() time.Time { return now }})

	fake.Then("429-after-60")
	rep, err := r.Run(t.Context())
	if err != nil || rep.Captured != 2 || rep.Submitted != 0 || !rep.RateLimited || len(rep.SubmitErrors) != 1 {
		t.Fatalf("first run: %+v, %v; want two captures and a rate-limited submission", rep, err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d submissions after a 429, want the pass to stop at the first", n)
	}
	subs, _ := st.Submissions(t.Context(), ids["/a"])
	if len(subs) != 1 {
		t.Fatalf("submissions of /a: %+v", subs)
	}
	for _, s := range subs {
		if s.State != store.SPNPending || s.Attempts != 1 || !s.NextAt.Equal(t0.Add(time.Minute)) || !strings.Contains(s.LastError, "429") {
			t.Errorf("after a 429: %+v; want pending until Retry-After", s)
		}
	}
	now = t0.Add(30 * time.Second)
	if rep, _ := r.Run(t.Context()); rep.Submitted != 1 {
		// /b was never tried; /a waits for its Retry-After.
		t.Errorf("run within Retry-After: %d submitted, want 1 (/b only)", rep.Submitted)
	}
	now = t0.Add(61 * time.Second)
	if rep, _ := r.Run(t.Context()); rep.Submitted != 1 || len(rep.SubmitErrors) != 0 {
		t.Errorf("run after Retry-After: %+v", rep)
	}
	if rep, _ := r.Run(t.Context()); rep.Submitted != 0 {
		t.Errorf("a capture submitted twice: %+v", rep)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[0].URL != srv.URL+"/a" || reqs[2].URL != srv.URL+"/a" || reqs[1].URL != srv.URL+"/b" {
		t.Errorf("submitted %+v", reqs)
	}
	for _, p := range []string{"/a", "/b"} {
		subs, _ := st.Submissions(t.Context(), ids[p])
		for _, s := range subs {
			if s.State != store.SPNSubmitted || !strings.HasPrefix(s.JobID, "spn2-") || s.SubmittedAt.IsZero() {
				t.Errorf("%s: %+v; want submitted with a job id", p, s)
			}
		}
	}
}

// TestSavePageNowAuthError: refused keys are reported as such, nothing
// else is tried in the run, and the capture stays pending for when the
// keys are fixed.
func TestSavePageNowAuthError(t *testing.T) {
	srv := httptest.NewServer(&mutablePage{mode: "ok", text: para})
	defer srv.Close()
	fake := spntest.New(t, "AK", "SK")
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/b", true})
	now := t0
	bad := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "typo"}
	r, _ := newRunner(t, st, testFetcher(nil), Options{SavePageNow: bad, Now: func() time.Time { return now }})
	rep, err := r.Run(t.Context())
	if err != nil || len(rep.SubmitErrors) != 1 || !strings.Contains(rep.SubmitErrors[0], "refused the credentials (HTTP 401)") {
		t.Fatalf("run with bad keys: %+v, %v", rep, err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests with refused keys, want 1", n)
	}
	subs, _ := st.Submissions(t.Context(), ids["/a"])
	for _, s := range subs {
		if s.State != store.SPNPending || !s.NextAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after refused keys: %+v; want pending an hour", s)
		}
	}
	now = t0.Add(2 * time.Hour)
	good := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "SK"}
	r, _ = newRunner(t, st, testFetcher(nil), Options{SavePageNow: good, Now: func() time.Time { return now }})
	if rep, _ := r.Run(t.Context()); rep.Submitted != 2 {
		t.Errorf("after the keys were fixed: %+v; want both submitted", rep)
	}
}

// TestSavePageNowOff: without a submitter nothing is submitted or recorded.
func TestSavePageNowOff(t *testing.T) {
	srv := httptest.NewServer(&mutablePage{mode: "ok", text: para})
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true})
	r, _ := newRunner(t, st, testFetcher(nil), Options{Now: func() time.Time { return t0 }})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 || rep.Submitted != 0 {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	if subs, _ := st.Submissions(t.Context(), ids["/a"]); len(subs) != 0 {
		t.Errorf("submissions recorded with Save Page Now off: %+v", subs)
	}
}

// TestSavePageNowJobsFollowed: a submitted job is asked after, once the API
// has had time to work it; done, it gives the Wayback Machine's copy; failed,
// the API's reason; still running, it is asked again later; and a job that
// ended is not asked about again.
func TestSavePageNowJobsFollowed(t *testing.T) {
	srv := httptest.NewServer(&mutablePage{mode: "ok", text: para})
	defer srv.Close()
	fake := spntest.New(t, "AK", "SK")
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/b", true}, story{"/c", true})
	now := t0
	client := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "SK"}
	r, _ := newRunner(t, st, testFetcher(nil), Options{SavePageNow: client, SubmitBatch: 10, Now: func() time.Time { return now }})
	if rep, err := r.Run(t.Context()); err != nil || rep.Submitted != 3 || rep.Archived != 0 {
		t.Fatalf("first run %+v, %v: want three submitted, none followed yet", rep, err)
	}
	// Submitted in the order a, b, c: jobs spn2-0001 … spn2-0003.
	fake.Job("spn2-0002", "pending")
	fake.Job("spn2-0003", "error")
	now = t0.Add(time.Minute)
	if rep, _ := r.Run(t.Context()); rep.Archived+rep.JobsFailed != 0 {
		t.Errorf("jobs followed a minute after submission: %+v", rep)
	}
	now = t0.Add(3 * time.Minute)
	if rep, err := r.Run(t.Context()); err != nil || rep.Archived != 1 || rep.JobsFailed != 1 {
		t.Fatalf("run after the jobs' time %+v, %v: want one archived, one failed", rep, err)
	}
	state := func(path string) store.Submission {
		t.Helper()
		subs, _ := st.Submissions(t.Context(), ids[path])
		for _, s := range subs {
			return s
		}
		t.Fatalf("%s has no submission", path)
		return store.Submission{}
	}
	if s := state("/a"); s.State != store.SPNArchived || s.ArchivedURL != fake.Server.URL+"/web/20261203101500/"+srv.URL+"/a" {
		t.Errorf("/a: %+v; want archived with the Wayback Machine's address", s)
	}
	if s := state("/b"); s.State != store.SPNSubmitted || s.ArchivedURL != "" {
		t.Errorf("/b (pending): %+v; want still submitted", s)
	}
	if s := state("/c"); s.State != store.SPNFailed || !strings.Contains(s.LastError, "error:not-found") {
		t.Errorf("/c (failed job): %+v; want failed with the API's reason", s)
	}
	fake.Job("spn2-0002", "success")
	now = t0.Add(6 * time.Minute)
	if rep, _ := r.Run(t.Context()); rep.Archived != 1 || rep.JobsFailed != 0 {
		t.Errorf("the pending job, later: %+v; want it archived", rep)
	}
	asked := map[string]int{}
	for _, q := range fake.Requests() {
		if id, ok := strings.CutPrefix(q.Path, "/save/status/"); ok {
			asked[id]++
			if q.Auth != "LOW AK:SK" {
				t.Errorf("status asked without the keys: %+v", q)
			}
		}
	}
	if asked["spn2-0001"] != 1 || asked["spn2-0002"] != 2 || asked["spn2-0003"] != 1 {
		t.Errorf("status asked %v; want each ended job once, the pending one twice", asked)
	}
}
