package alert

import (
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzRender: feed text is outside input. Whatever a title or link holds,
// a rendered message keeps within its limit, never cuts a character in
// half (Khmer is multi-byte), puts no line break into the one-line title,
// and lets no markup or non-http link through into HTML.
func FuzzRender(f *testing.F) {
	f.Add("Union leader arrested", "https://news.example/a", 200)
	f.Add("ក្រសួងមហាផ្ទៃព្យួរសកម្មភាពសហជីព", "https://news.example/km", 57)
	f.Add("<script>alert(1)</script>\r\nBcc: x@example.org", "javascript:alert(1)", 90)
	f.Add(strings.Repeat("សហជីព ", 400), "http://a.example/"+strings.Repeat("x", 300), 4096)
	f.Fuzz(func(t *testing.T, title, link string, limit int) {
		if !utf8.ValidString(title) || !utf8.ValidString(link) {
			t.Skip("feed text is valid UTF-8 by the time it is stored")
		}
		limit = 40 + int(uint(limit)%5000)
		ev := Event{Alert: "urgent", EventID: "cw-1", Stories: []Story{
			{ID: 1, Title: title, URL: link, Outlets: []string{"VOD"}, FirstSeen: t0, Topics: []string{"unions"}, Terms: []string{"union*"}},
			{ID: 2, Title: "Second " + title, URL: link, Outlets: []string{"CamboJA"}, FirstSeen: t0, Topics: []string{"moi"}},
		}}
		for name, out := range map[string]string{
			"text": ev.Text(time.UTC, limit), "html": ev.HTML(time.UTC, limit), "markdown": ev.Markdown(time.UTC, limit),
		} {
			if len(out) > limit {
				t.Errorf("%s: %d bytes over the limit %d", name, len(out), limit)
			}
			if !utf8.ValidString(out) {
				t.Errorf("%s: a character was cut in half", name)
			}
		}
		if ti := ev.Title(); strings.ContainsAny(ti, "\r\n") {
			t.Errorf("title %q holds a line break", ti)
		}
		h := ev.HTML(time.UTC, 0)
		if strings.Contains(h, "<script") || strings.Contains(strings.ToLower(h), `href="javascript:`) {
			t.Errorf("HTML lets markup or a script link through:\n%s", h)
		}
		if !strings.Contains(h, html.EscapeString(oneLine(title))) {
			t.Errorf("HTML lacks the escaped title")
		}
	})
}
