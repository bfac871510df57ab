package poll

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// The database check runs while the feeds are fetched: a check that waits
// for the first request to reach the feed server must not hold the round up.
func TestCheckRunsBesideTheFetches(t *testing.T) {
	fetched := make(chan struct{})
	var once atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if once.CompareAndSwap(false, true) {
			close(fetched)
		}
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><guid>%s</guid><title>Story at %s</title></item></channel></rss>`, r.URL.Path, r.URL.Path)
	}))
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	p.Check = func(ctx context.Context) error {
		select {
		case <-fetched:
		case <-time.After(10 * time.Second):
			return errors.New("no fetch began while the check ran")
		}
		return st.QuickCheck(ctx)
	}
	feeds := []config.Feed{feedAt("a", ts.URL+"/a"), feedAt("b", ts.URL+"/b")}
	rep := mustPoll(t, p, feeds, Selection{All: true})
	if tot, failed := rep.Totals(); tot.New != 2 || failed != 0 {
		t.Errorf("totals %+v, %d failed; want 2 new", tot, failed)
	}
}

// A failed check stores nothing: no story, no fetch record, not even the
// feeds of the config, and the round's error is the check's.
func TestFailedCheckStoresNothing(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><guid>x</guid><title>A story</title></item></channel></rss>`)
	}))
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	damaged := errors.New("the database is damaged (test)")
	p.Check = func(context.Context) error {
		time.Sleep(50 * time.Millisecond) // let the fetches finish first
		return damaged
	}
	feeds := []config.Feed{feedAt("a", ts.URL+"/a"), feedAt("b", ts.URL+"/b")}
	rep, err := p.Poll(context.Background(), feeds, Selection{All: true})
	if !errors.Is(err, damaged) || rep != nil {
		t.Fatalf("Poll = %v, %v; want the check's error and no report", rep, err)
	}
	if got := storiesByURL(t, st); len(got) != 0 {
		t.Errorf("%d stories stored after a failed check", len(got))
	}
	states, err := st.FeedStates(context.Background())
	if err != nil || len(states) != 0 {
		t.Errorf("feeds written after a failed check: %v, %v", states, err)
	}
}

// A poll reads the feed states before it may write and applies what
// SyncFeeds would change; the two must agree whatever changed in the config.
func TestSyncedIsWhatSyncFeedsStores(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		if r.URL.Path == "/broken" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><guid>x</guid><title>A story</title></item></channel></rss>`)
	}))
	defer ts.Close()
	st := openStore(t)
	p := newPoller(st, testFetchConfig(), nil)
	first := []config.Feed{feedAt("ok", ts.URL+"/ok"), feedAt("gone", ts.URL+"/gone"), feedAt("broken", ts.URL+"/broken"), feedAt("same", ts.URL+"/ok?same")}
	mustPoll(t, p, first, Selection{All: true})

	before, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if before["ok"].ETag == "" || before["gone"].GoneAt.IsZero() || before["broken"].Failures == 0 {
		t.Fatalf("the first round did not leave the states the test needs: %+v", before)
	}
	renamed := func(f config.Feed, name, url string) config.Feed { f.Name, f.URL = name, url; return f }
	second := []store.FeedRef{}
	for _, f := range []config.Feed{
		renamed(first[0], "ok", ts.URL+"/moved"),           // new address: starts afresh
		renamed(first[1], "gone", ts.URL+"/gone2"),         // a gone feed given a new address
		renamed(first[2], "Broken, renamed", first[2].URL), // name only: keeps its failures
		first[3],                     // unchanged
		feedAt("new", ts.URL+"/new"), // not yet in the database
	} {
		second = append(second, store.FeedRef{ID: f.ID, Name: f.Name, URL: f.URL})
	}
	predicted := map[string]store.FeedState{}
	for _, ref := range second {
		predicted[ref.ID] = before[ref.ID].Synced(ref)
	}
	if err := st.SyncFeeds(context.Background(), second, time.Now()); err != nil {
		t.Fatal(err)
	}
	after, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range second {
		if got, want := predicted[ref.ID], after[ref.ID]; got != want {
			t.Errorf("%s: Synced gives\n%+v\nSyncFeeds stored\n%+v", ref.ID, got, want)
		}
	}
}
