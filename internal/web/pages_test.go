package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// inert checks that the hostile story, if the page shows it, is shown as
// text: its markup escaped and its javascript: link nowhere clickable.
func inert(t *testing.T, page, body string) {
	t.Helper()
	for _, bad := range []string{"<script>alert", "<img src=x", `href="javascript:`, "href='javascript:", "javascript:alert(1)\""} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: hostile text live in the page: %q", page, bad)
		}
	}
	if strings.Contains(body, "<script") && strings.Count(body, "<script") != strings.Count(body, `<script src="/static/console.js" defer></script>`) {
		t.Errorf("%s: a <script> other than the console's own", page)
	}
}

func wantHeaders(t *testing.T, page string, res *http.Response) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'self'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", page, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: policy allows inline code: %q", page, csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", page, got)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy %q", page, got)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	hostile := f.ids[hostileTitle]
	arrest := f.ids["Union leader arrested in Phnom Penh"]
	for _, tc := range []struct {
		path   string
		status int
		want   []string
		titles bool // the page shows the hostile story
	}{
		{"/", 200, []string{"leader <mark>arrest</mark>ed in Phnom Penh", "មេដឹកនាំ<mark>សហជីព</mark>ត្រូវបាន", "Ministry of Interior</mark> suspends", "<mark>arrest</mark>ed",
			"Friday 27 November 2026", "&lt;script&gt;alert(1)&lt;/script&gt;", `lang="km"`}, true},
		{"/?topic=moi&days=30", 200, []string{"Ministry of Interior</mark> suspends"}, false},
		{"/?days=1", 200, []string{"leader <mark>arrest</mark>ed"}, false},
		{"/?feed=rasmei&days=0", 200, []string{"ត្រូវបាន<mark>ចាប់ខ្លួន</mark>"}, false},
		{"/search?q=union", 200, []string{"<mark>union</mark>", "&lt;script&gt;alert(1)&lt;/script&gt;"}, true},
		{"/search?q=" + url.QueryEscape("សហជីព"), 200, []string{"<mark>សហជីព</mark>"}, false},
		{"/search?q=nothingmatchesthis", 200, []string{"No stored story has every word"}, false},
		{"/search", 200, []string{"Searches the titles"}, false},
		{fmt.Sprintf("/stories/%d", arrest), 200, []string{"Union leader arrested in Phnom Penh", "matches", "<code>arrest*</code>",
			"<mark>arrest</mark>ed", "Sightings", "CamboJA News", "Stored matches", `name="csrf"`, "Relevant", "Not relevant",
			"https://cambojanews.example/arrest"}, false},
		{fmt.Sprintf("/stories/%d", hostile), 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "no http(s) link"}, true},
		{fmt.Sprintf("/stories/%d", f.ids["Football union strike ends"]), 200, []string{"vetoed", "Vetoed by <code>NOT football</code>"}, false},
		{"/stories/99999", 404, []string{"no story 99999"}, false},
		{"/stories/abc", 404, nil, false},
		{"/sources", 200, []string{"CamboJA News", "Rasmei Kampuchea", "avg", "every 30m"}, false},
		{"/digests", 200, []string{"No digest has been built yet"}, false},
		{"/rules", 200, []string{"Rules lab", `<option value="unions"`}, false},
		{"/rules?topic=unions", 200, []string{"candidate matches", "@union AND"}, false},
		{"/rules?topic=nope", 404, nil, false},
		{"/?topic=nope", 404, []string{"no topic"}, false},
		{"/?days=x", 400, nil, false},
		{"/no/such/page", 404, nil, false},
		{"/static/console.css", 200, []string{"Noto Sans Khmer", "Khmer OS", "Leelawadee UI"}, false},
		{"/static/console.js", 200, []string{"DOMContentLoaded"}, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := f.get(tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.status, body)
			}
			wantHeaders(t, tc.path, res)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if tc.titles && !strings.Contains(body, "&lt;script&gt;") {
				t.Errorf("the hostile story is not on the page")
			}
			inert(t, tc.path, body)
		})
	}
}

func TestMatchesPagingKeepsFilters(t *testing.T) {
	f := newFixture(t)
	// Walk the listing one story at a time through the "older" links.
	old := pageSizeForTest(t, 1)
	defer old()
	path := "/?days=0&topic=unions"
	var seen []string
	for range 10 {
		_, body := f.get(path)
		if n := strings.Count(body, `<li class="story">`); n != 1 {
			t.Fatalf("%s: %d stories on a page of one", path, n)
		}
		seen = append(seen, body)
		i := strings.Index(body, `rel="next" href="`)
		if i < 0 {
			break
		}
		rest := body[i+len(`rel="next" href="`):]
		path = strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
		if !strings.Contains(path, "topic=unions") || !strings.Contains(path, "days=0") {
			t.Fatalf("older link drops the filters: %s", path)
		}
	}
	// unions matches three stories: the arrest, the Khmer one and the hostile one.
	if len(seen) != 3 {
		t.Fatalf("%d pages of one story, want 3", len(seen))
	}
}

func pageSizeForTest(t *testing.T, n int) func() {
	old := pageSize
	pageSize = n
	return func() { pageSize = old }
}
