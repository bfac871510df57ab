package alert

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one message of an alert: the webhook's JSON body, and what every
// other channel renders as text.
type Event struct {
	Alert   string  `json:"alert"`
	EventID string  `json:"event_id"`
	Test    bool    `json:"test,omitempty"`
	Stories []Story `json:"stories"`
	// Overflow reports stories that max_per_day held back since the
	// previous message: they were not pushed, and the digest has them.
	Overflow *Overflow `json:"overflow,omitempty"`
}

// Story is a story as an alert describes it.
type Story struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Outlets   []string  `json:"outlets"`
	FirstSeen time.Time `json:"first_seen"`
	Published time.Time `json:"published"`
	Topics    []string  `json:"topics"`
	Terms     []string  `json:"terms"`
}

// Overflow is the count of stories held back by max_per_day.
type Overflow struct {
	Stories   int `json:"stories"`
	MaxPerDay int `json:"max_per_day"`
}

// newEventID is a random id, fixed in the ledger when the message is
// written: every retry, and every retry after a restart, carries it.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return "cw-" + hex.EncodeToString(b[:])
}

// Title is a message's one-line summary.
func (e *Event) Title() string {
	prefix := "civicwatch " + e.Alert + ": "
	if e.Test {
		return "[TEST] " + prefix + "test message"
	}
	switch len(e.Stories) {
	case 0:
		return prefix + fmt.Sprintf("%d stories held back", e.overflow())
	case 1:
		return prefix + oneLine(e.Stories[0].Title)
	}
	return prefix + fmt.Sprintf("%d new stories", len(e.Stories))
}

func (e *Event) overflow() int {
	if e.Overflow == nil {
		return 0
	}
	return e.Overflow.Stories
}

// Text renders the message as plain text of at most limit bytes (0: no
// limit). Stories that do not fit are counted, never cut in half, so Khmer
// text is never split inside a character.
func (e *Event) Text(loc *time.Location, limit int) string {
	return e.render(loc, limit, textStyle)
}

// HTML renders the message as simple HTML (escaped; links only http(s)).
func (e *Event) HTML(loc *time.Location, limit int) string {
	return e.render(loc, limit, htmlStyle)
}

// Markdown renders the message in Slack's mrkdwn.
func (e *Event) Markdown(loc *time.Location, limit int) string {
	return e.render(loc, limit, slackStyle)
}

type style int

const (
	textStyle style = iota
	htmlStyle
	slackStyle
)

func (e *Event) render(loc *time.Location, limit int, st style) string {
	if loc == nil {
		loc = time.UTC
	}
	var head string
	switch {
	case e.Test:
		head = fmt.Sprintf("This is a test message from civicwatch for the alert %q. If you read it, this channel works.", e.Alert)
	case len(e.Stories) == 1:
		head = "1 new story:"
	case len(e.Stories) > 1:
		head = fmt.Sprintf("%d new stories:", len(e.Stories))
	}
	var tail string
	if n := e.overflow(); n > 0 {
		tail = fmt.Sprintf("%d more %s matched after the limit of %d messages a day was reached; they were not pushed and are in the daily digest.",
			n, plural(n, "story", "stories"), e.Overflow.MaxPerDay)
	}
	parts := []string{esc(head, st)}
	var blocks []string
	for _, s := range e.Stories {
		blocks = append(blocks, storyBlock(s, loc, st))
	}
	sep := "\n\n"
	if st == htmlStyle {
		sep = "\n"
	}
	build := func(n int) string {
		out := append(append([]string{}, parts...), blocks[:n]...)
		if n < len(blocks) {
			out = append(out, esc(fmt.Sprintf("… and %d more (see the console)", len(blocks)-n), st))
		}
		if tail != "" {
			out = append(out, esc(tail, st))
		}
		if st == htmlStyle {
			for i, p := range out {
				if !strings.HasPrefix(p, "<p>") {
					out[i] = "<p>" + p + "</p>"
				}
			}
		}
		return strings.Join(out, sep)
	}
	n := len(blocks)
	s := build(n)
	for limit > 0 && len(s) > limit && n > 0 {
		n--
		s = build(n)
	}
	if limit > 0 && len(s) > limit {
		s = truncate(s, limit)
	}
	return s
}

func storyBlock(s Story, loc *time.Location, st style) string {
	meta := strings.Join(s.Outlets, ", ")
	if meta != "" {
		meta += " · "
	}
	meta += "first seen " + s.FirstSeen.In(loc).Format("2006-01-02 15:04 MST")
	why := "topics: " + strings.Join(s.Topics, ", ")
	if len(s.Terms) > 0 {
		why += " · terms: " + strings.Join(s.Terms, ", ")
	}
	title := oneLine(s.Title)
	link := safeURL(s.URL)
	switch st {
	case htmlStyle:
		t := html.EscapeString(title)
		if link != "" {
			t = `<a href="` + html.EscapeString(link) + `">` + t + `</a>`
		}
		return "<p><b>" + t + "</b><br>" + html.EscapeString(meta) + "<br>" + html.EscapeString(why) + "</p>"
	case slackStyle:
		t := "*" + slackEscape(title) + "*"
		if link != "" {
			t = "*<" + slackEscape(link) + "|" + slackEscape(title) + ">*"
		}
		return "• " + t + "\n" + slackEscape(meta) + "\n" + slackEscape(why)
	}
	b := "• " + title + "\n  " + meta + "\n  " + why
	if link != "" {
		b += "\n  " + link
	}
	return b
}

func esc(s string, st style) string {
	switch st {
	case htmlStyle:
		return html.EscapeString(s)
	case slackStyle:
		return slackEscape(s)
	}
	return s
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// safeURL passes only http(s) links: a feed could carry javascript: URLs.
func safeURL(u string) string {
	l := strings.ToLower(u)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return u
	}
	return ""
}

// oneLine folds a feed title's line breaks and controls into spaces: it
// goes into a header (ntfy's Title) and one-line summaries.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := n - len(ell)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + ell
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
