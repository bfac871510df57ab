package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/civicwatch/civicwatch/internal/opml"
	"github.com/civicwatch/civicwatch/internal/store"
)

func TestAtomFeedsParseBackWithStableIDs(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		path    string
		entries int
	}{
		{"/feeds/all.atom", 4}, // unions ×3, moi ×1
		{"/feeds/unions.atom", 3},
		{"/feeds/moi.atom", 1},
	} {
		res, body := f.get(tc.path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("%s: %d %s", tc.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		wantHeaders(t, tc.path, res)
		if strings.Contains(body, "<script>") {
			t.Errorf("%s: hostile title unescaped in XML", tc.path)
		}
		feed, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s does not parse: %v", tc.path, err)
		}
		if feed.FeedType != "atom" || feed.FeedVersion != "1.0" {
			t.Errorf("%s: %s %s, want atom 1.0", tc.path, feed.FeedType, feed.FeedVersion)
		}
		if len(feed.Items) != tc.entries {
			t.Errorf("%s: %d entries, want %d", tc.path, len(feed.Items), tc.entries)
		}
		_, again := f.get(tc.path)
		feed2, _ := gofeed.NewParser().ParseString(again)
		for i := range feed.Items {
			if feed.Items[i].GUID == "" || feed.Items[i].GUID != feed2.Items[i].GUID {
				t.Errorf("%s: entry %d id %q then %q", tc.path, i, feed.Items[i].GUID, feed2.Items[i].GUID)
			}
			if l := feed.Items[i].Link; strings.HasPrefix(l, "javascript:") {
				t.Errorf("%s: entry links to %q", tc.path, l)
			}
		}
	}
	for _, path := range []string{"/feeds/nope.atom", "/feeds/unions.rss", "/feeds/all"} {
		if res, _ := f.get(path); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}

type apiPage struct {
	Matches []struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		URL    string `json:"url"`
		Topics []struct {
			Topic string   `json:"topic"`
			Terms []string `json:"terms"`
		} `json:"topics"`
	} `json:"matches"`
	Next *string `json:"next"`
}

func TestAPIMatchesPagesWithACursor(t *testing.T) {
	f := newFixture(t)
	var titles []string
	path := "/api/matches?topic=unions&since=30d&limit=2"
	for pages := 0; ; pages++ {
		res, body := f.get(path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("JSON carries raw <script>: %s", body)
		}
		var p apiPage
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Matches {
			titles = append(titles, m.Title)
			if m.Topics[0].Topic != "unions" || len(m.Topics[0].Terms) == 0 {
				t.Errorf("story %d: topics %+v", m.ID, m.Topics)
			}
		}
		if p.Next == nil {
			break
		}
		if pages > 3 {
			t.Fatal("the cursor does not advance")
		}
		path = "/api/matches?topic=unions&since=30d&limit=2&cursor=" + url.QueryEscape(*p.Next)
	}
	want := []string{khmerTitle, "Union leader arrested in Phnom Penh", hostileTitle}
	if !slices.Equal(titles, want) {
		t.Errorf("titles over the pages: %q, want %q", titles, want)
	}
	if _, body := f.get("/api/matches?since=2026-11-26"); strings.Contains(body, "Ministry") || !strings.Contains(body, "arrested") {
		t.Errorf("since a date: %s", body)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/matches?topic=nope", 404},
		{"/api/matches?since=yesterday", 400},
		{"/api/matches?cursor=garbage", 400},
		{"/api/matches?limit=100000", 400},
	} {
		res, body := f.get(tc.path)
		if res.StatusCode != tc.status || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error", tc.path, res.StatusCode, body, tc.status)
		}
	}
}

func TestCSVExport(t *testing.T) {
	f := newFixture(t)
	res, body := f.get("/matches.csv?topic=unions&since=30d")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "matches-unions.csv") {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "first_seen" {
		t.Fatalf("rows: %q", rows)
	}
	if res, _ := f.get("/matches.csv?topic=nope"); res.StatusCode != 404 {
		t.Errorf("unknown topic: %d", res.StatusCode)
	}
	if res, _ := f.get("/matches.csv?since=soon"); res.StatusCode != 400 {
		t.Errorf("bad since: %d", res.StatusCode)
	}
}

func TestDigestPages(t *testing.T) {
	f := newFixture(t)
	id := f.ids[hostileTitle]
	_, _, err := f.store.CreateDigest(t.Context(), store.DigestRecord{
		Recipient: "Staff@example.org", Period: "2026-11-27", WindowStart: now.Add(-24 * 60 * 60 * 1e9), WindowEnd: now,
		MessageID: "<2026-11-27.staff@civicwatch>", From: "civicwatch <digest@example.org>", To: "Staff@example.org", ToName: "Staff",
		Subject: "civicwatch: 1 story", Date: now, Text: "UNIONS\n" + hostileTitle + "\n",
		HTML: `<html><body><p>` + "&lt;script&gt;" + `</p><script>alert(3)</script></body></html>`, StoryIDs: []int64{id}, CreatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.DigestFailed(t.Context(), "staff@example.org", "2026-11-27", 1, "550 no such user", true); err != nil {
		t.Fatal(err)
	}
	res, body := f.get("/digests")
	if res.StatusCode != 200 || !strings.Contains(body, "staff@example.org") || !strings.Contains(body, "failed") ||
		!strings.Contains(body, "550 no such user") || !strings.Contains(body, `href="/digests/2026-11-27/staff@example.org"`) {
		t.Errorf("/digests: %d\n%s", res.StatusCode, body)
	}
	// The window each digest covers, from and to, in the console's zone.
	loc := location(f.cfg)
	// when shows the offset (issue 14), whose + the template writes as &#43;.
	if span := when(loc, now.Add(-24*60*60*1e9)) + " – " + when(loc, now); !strings.Contains(html.UnescapeString(body), span) {
		t.Errorf("/digests does not show the window %q:\n%s", span, body)
	}
	res, body = f.get("/digests/2026-11-27/staff@example.org")
	if res.StatusCode != 200 || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; union strike") ||
		!strings.Contains(body, fmt.Sprintf(`href="/stories/%d"`, id)) {
		t.Errorf("digest view: %d\n%s", res.StatusCode, body)
	}
	inert(t, "digest view", body)
	wantHeaders(t, "digest view", res)
	res, body = f.get("/digests/2026-11-27/staff@example.org/html")
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") && !strings.Contains(csp, "script-src 'none'") ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("HTML part: %d, policy %q", res.StatusCode, csp)
	}
	if !strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("HTML part is not the digest's HTML:\n%.300s", body)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("HTML part without nosniff")
	}
	if res, _ := f.get("/digests/2026-11-28/staff@example.org"); res.StatusCode != 404 {
		t.Errorf("missing digest: %d", res.StatusCode)
	}
}

// TestFeedsOPML: /feeds.opml is the configured feeds as OPML 2.0, the
// same document civicwatch feeds export writes.
func TestFeedsOPML(t *testing.T) {
	f := newFixture(t)
	res, body := f.get("/feeds.opml")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/x-opml") {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	got, err := opml.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []opml.Feed{
		{Title: "CamboJA News", URL: "https://cambojanews.example/feed", Categories: []string{"cambodia", "en"}, ID: "cambojanews"},
		{Title: "Rasmei Kampuchea", URL: "https://rasmei.example/feed", Categories: []string{"cambodia", "km"}, ID: "rasmei"},
	}
	if !reflect.DeepEqual(got, want) || !strings.Contains(body, `<opml version="2.0">`) {
		t.Errorf("/feeds.opml:\n%s", body)
	}
}
