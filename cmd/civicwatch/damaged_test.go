package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

// damagedDB writes a database with a few hundred stories at path and then
// breaks the root page of its stories table, as a failing disk might: the
// file opens and migrates, but the table cannot be read.
func damagedDB(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	var items []feed.Item
	for i := range 300 {
		items = append(items, feed.Item{GUID: fmt.Sprint(i), URL: fmt.Sprintf("https://a.example/%d", i),
			Title: fmt.Sprint("Story ", i), Content: strings.Repeat("Workers marched to the ministry. ", 20)})
	}
	if err := st.SyncFeeds(t.Context(), []store.FeedRef{{ID: "a", Name: "A", URL: "https://a.example/feed"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "a", StartedAt: time.Now(), Outcome: store.OutcomeOK, Items: items}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	err = db.QueryRow(`SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = 'stories'`).Scan(&root, &pageSize)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0xFF, 0xFF, 0xFF, 0xFF}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedDatabaseRefused: run and poll check the database at start
// (PRAGMA quick_check) and refuse a damaged one with exit 1 and a message
// naming the file and how to recover, writing nothing; before, poll exited
// 0 and kept writing into it.
func TestDamagedDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	// A loopback feed, so that a poll that went ahead would write.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>a</title><item><guid>new</guid><title>New story</title></item></channel></rss>`)
	}))
	defer ts.Close()
	cfg := writeConfig(t, dir, map[string]string{"a": ts.URL + "/feed"}, "")
	db := filepath.Join(dir, "cw.db")
	damagedDB(t, db)
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}
	for _, args := range [][]string{{"poll", "--all"}, {"run", "--listen", ""}} {
		code, _, errOut := cli(t, env, args...)
		if code != exitFail {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitFail, errOut)
		}
		for _, want := range []string{"damaged", db, ".recover", "backup"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr does not name %q: %s", args, want, errOut)
			}
		}
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("the damaged file was written to")
	}
}

// TestFeedsUnreadableDatabase pins the exit status the README gives for
// `feeds` on a database it cannot read: 1, as for the other commands that
// read it, with a message naming the file (it said 0 or 2).
func TestFeedsUnreadableDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "")
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is no database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]string{"not a database": notDB, "a directory": dir} {
		code, out, errOut := cli(t, map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}, "feeds")
		if code != exitFail || !strings.Contains(errOut, db) || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 naming %s", name, code, out, errOut, db)
		}
	}
}
