package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// TestKilledPollLeavesASoundDatabase kills civicwatch (SIGKILL, no chance to
// clean up) in the middle of a poll, then checks the file and that the next
// poll completes the work without duplicates.
func TestKilledPollLeavesASoundDatabase(t *testing.T) {
	const feeds, items = 40, 30
	var served atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(40 * time.Millisecond) // a slow host keeps the poll running long enough to be killed
		n := strings.TrimPrefix(r.URL.Path, "/f")
		var b strings.Builder
		fmt.Fprintf(&b, `<rss version="2.0"><channel><title>feed %s</title>`, n)
		for i := range items {
			fmt.Fprintf(&b, `<item><title>Story %d of feed %s about a strike</title><link>https://kill.example/%s/%d</link><description>%s</description></item>`,
				i, n, n, i, strings.Repeat("Workers protested at the factory gate. ", 20))
		}
		b.WriteString(`</channel></rss>`)
		fmt.Fprint(w, b.String())
	}))
	defer ts.Close()

	dir := t.TempDir()
	urls := map[string]string{}
	for i := range feeds {
		urls[fmt.Sprintf("f%02d", i)] = fmt.Sprintf("%s/f%02d", ts.URL, i)
	}
	cfg := writeConfig(t, dir, urls, "")
	db := filepath.Join(dir, "cw.db")

	cmd := startMain(t, "poll --config "+cfg+" --db "+db, nil)
	deadline := time.Now().Add(20 * time.Second)
	for served.Load() < feeds/3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("poll ended by itself before the kill (%v): make the server slower", err)
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	if res, err := st.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Fatalf("integrity_check after kill: %q, %v", res, err)
	}
	partial, err := st.Stories(context.Background(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(partial)%items != 0 {
		t.Errorf("%d stories after the kill: a feed was stored by halves", len(partial))
	}
	if len(partial) >= feeds*items {
		t.Fatalf("the kill came after the poll had finished (%d stories)", len(partial))
	}

	// The next poll picks up the feeds that were not stored, and only those.
	code, out, errOut := cli(t, map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}, "poll")
	if code != exitOK {
		t.Fatalf("poll after kill: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err = store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Stories(context.Background(), store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range all {
		if seen[s.URL] {
			t.Errorf("duplicate story %s", s.URL)
		}
		seen[s.URL] = true
	}
	if len(all) != feeds*items {
		t.Errorf("%d stories after the second poll (%d before it), want %d", len(all), len(partial), feeds*items)
	}
	t.Logf("killed with %d of %d stories stored; the next poll completed the rest", len(partial), feeds*items)
}
