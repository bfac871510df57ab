package poll

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/fetch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// gzipBomb compresses n zero bytes: a few tens of KiB on the wire that
// inflate to n bytes.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for written := 0; written < n; written += len(chunk) {
		if _, err := zw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return buf.Bytes()
}

// TestHostileFeedsFailAloneAndBounded puts every kind of broken or hostile
// server beside good feeds in one round. Server "public" stands for the
// internet: the guard lets its loopback address through and applies the
// real private-network check to everything else.
func TestHostileFeedsFailAloneAndBounded(t *testing.T) {
	const bombSize = 64 << 20
	bomb := gzipBomb(t, bombSize)
	stop := make(chan struct{})
	good := newFeedServer()
	good.mustSet(t, "/good1", "", rssWith(rssItem("g1", "Strike in Kandal", "https://o.example/1"), rssItem("g2", "Union registered", "https://o.example/2")))
	good.mustSet(t, "/good2", "", fixture(t, "atom.xml"))
	good.mustSet(t, "/malformed", "application/rss+xml", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>broken`))

	internal := httptest.NewServer(good) // stands for a host on a private network
	defer internal.Close()

	mux := http.NewServeMux()
	mux.Handle("/", good)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", 410) })
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(bomb)
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(200)
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/good1", http.StatusFound)
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "999999999")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	public := httptest.NewServer(mux)
	defer public.Close()
	defer close(stop)

	publicAddr := strings.TrimPrefix(public.URL, "http://")
	guard := func(addr string) error {
		if addr == publicAddr {
			return nil
		}
		return fetch.PublicOnly(addr)
	}
	fc := testFetchConfig()
	fc.Timeout = config.Duration(time.Second)
	fc.MaxBody = 1 << 20
	fc.AllowPrivateNetworks = false
	st := openStore(t)
	p := newPoller(st, fc, guard)

	u := public.URL
	feeds := []config.Feed{
		feedAt("good1", u+"/good1"), feedAt("good2", u+"/good2"),
		feedAt("malformed", u+"/malformed"), feedAt("status500", u+"/500"), feedAt("status404", u+"/nothing-here"),
		feedAt("bomb", u+"/bomb"), feedAt("stall", u+"/stall"), feedAt("loop", u+"/loop"),
		feedAt("internal", internal.URL+"/good1"), feedAt("to-internal", u+"/to-internal"),
		feedAt("busy", u+"/busy"), feedAt("gone", u+"/gone"),
	}
	wantErr := map[string]string{
		"malformed":   "parse",
		"status500":   "HTTP 500",
		"status404":   "HTTP 404",
		"bomb":        fetch.ErrTooLarge.Error(),
		"stall":       "timed out",
		"loop":        fetch.ErrTooManyRedirects.Error(),
		"internal":    fetch.ErrBlockedAddress.Error(),
		"to-internal": fetch.ErrBlockedAddress.Error(),
		"busy":        "HTTP 429",
		"gone":        "HTTP 410",
	}

	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	rep := mustPoll(t, p, feeds, Selection{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&m1)

	if elapsed > fc.Timeout.D()+2*time.Second {
		t.Errorf("round took %v, want at most the timeout (%v) plus a small margin", elapsed, fc.Timeout.D())
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > bombSize/2 {
		t.Errorf("round allocated %d MiB, want far less than the %d MiB bomb", alloc>>20, bombSize>>20)
	}
	results := map[string]Result{}
	for _, r := range rep.Results {
		results[r.FeedID] = r
	}
	if len(results) != len(feeds) {
		t.Fatalf("%d results for %d feeds", len(results), len(feeds))
	}
	for _, id := range []string{"good1", "good2"} {
		if r := results[id]; r.Err != nil || r.Counts.New == 0 {
			t.Errorf("good feed %s: err %v, %d new", id, r.Err, r.Counts.New)
		}
	}
	for id, want := range wantErr {
		r := results[id]
		if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
			t.Errorf("%s: err %v, want one mentioning %q", id, r.Err, want)
		}
	}
	if !errors.Is(results["bomb"].Err, fetch.ErrTooLarge) {
		t.Errorf("bomb: %v does not wrap ErrTooLarge", results["bomb"].Err)
	}

	states, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	busy := states["busy"]
	if lo, hi := start.Add(fetch.MaxRetryAfter), start.Add(fetch.MaxRetryAfter*11/10+time.Minute); busy.NextDue.Before(lo) || busy.NextDue.After(hi) {
		t.Errorf("busy feed next due %v, want the clamped Retry-After (24h, plus jitter) after %v", busy.NextDue, start)
	}
	if !states["gone"].Gone() || results["gone"].Outcome != store.OutcomeGone {
		t.Errorf("410 feed: gone_at %v, outcome %s; want it marked gone", states["gone"].GoneAt, results["gone"].Outcome)
	}
	for id := range wantErr {
		s := states[id]
		if s.Failures != 1 || s.LastError == "" || s.ETag != "" {
			t.Errorf("%s state: %d failures, last error %q, etag %q; want 1 failure with its error and no validators", id, s.Failures, s.LastError, s.ETag)
		}
	}
	if states["good1"].Failures != 0 || states["good1"].ETag == "" {
		t.Errorf("good1 state %+v, want success with validators", states["good1"])
	}

	// A gone feed is left alone by later rounds, yet stays visible; naming it polls it.
	rep = mustPoll(t, p, feeds, Selection{All: true})
	for _, r := range rep.Results {
		if r.FeedID == "gone" {
			t.Errorf("--all polled the gone feed")
		}
	}
	rep = mustPoll(t, p, feeds, Selection{IDs: []string{"gone"}})
	if len(rep.Results) != 1 || rep.Results[0].Outcome != store.OutcomeGone {
		t.Errorf("--feed gone: %+v, want one gone result", rep.Results)
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		interval time.Duration
		n        int
		want     time.Duration
	}{
		{30 * time.Minute, 1, 30 * time.Minute},
		{30 * time.Minute, 2, time.Hour},
		{30 * time.Minute, 4, 4 * time.Hour},
		{30 * time.Minute, 7, 24 * time.Hour},
		{30 * time.Minute, 1000, 24 * time.Hour},
		{48 * time.Hour, 3, 48 * time.Hour},
	}
	for _, c := range cases {
		if got := Backoff(c.interval, c.n); got != c.want {
			t.Errorf("Backoff(%v, %d) = %v, want %v", c.interval, c.n, got, c.want)
		}
	}
}
