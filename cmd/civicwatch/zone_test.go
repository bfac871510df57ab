package main

import (
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/web"
)

// TestOneZoneAcrossCLIAndConsole: with the digest in Asia/Phnom_Penh and no
// display.timezone, search on the command line and the console's search
// show a story's first-seen and published times identically, in that zone
// with its offset, and both mark the archive's old stories as backlog.
func TestOneZoneAcrossCLIAndConsole(t *testing.T) {
	a := newArchive(t)
	f, err := os.OpenFile(a.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("digest:\n  timezone: Asia/Phnom_Penh\n")
	f.Close()

	code, out, errOut := cli(t, a.env, "search", "union", "leader")
	if code != exitOK {
		t.Fatalf("search: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^\d+  (\d{4}-\d\d-\d\d \d\d:\d\d \+07:00)  .*\n.*\n.*\n  published (\d{4}-\d\d-\d\d \d\d:\d\d \+07:00) · backlog: \d+ days before first seen$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("search does not show first seen and published in +07:00 with the backlog mark:\n%s", out)
	}
	firstSeen, published := m[1], m[2]

	// explain shows the same story's times the same way.
	id := regexp.MustCompile(`(?m)^(\d+)  ` + regexp.QuoteMeta(firstSeen)).FindStringSubmatch(out)[1]
	code, out, errOut = cli(t, a.env, "explain", id)
	if code != exitOK {
		t.Fatalf("explain: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"first seen:  " + firstSeen, "published:   " + published + " (backlog: published "} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}

	cfg, err := config.Load(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), a.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	console, err := web.New(web.Options{Store: st, Config: func() *config.Config { return cfg }})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/search?q=union+leader", nil)
	req.Host = "127.0.0.1:8080" // the console answers only to localhost forms here
	console.ServeHTTP(rec, req)
	body := html.UnescapeString(rec.Body.String()) // the template writes + as &#43;
	for _, want := range []string{"first seen " + firstSeen, "published " + published, `class="badge backlog"`, "Times in Asia/Phnom_Penh (UTC+07:00)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the console's search lacks %q", want)
		}
	}
}
