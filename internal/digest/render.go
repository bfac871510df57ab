package digest

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templates embed.FS

// DefaultSubject is the subject template unless the config sets one. It sees
// only counts, topic names and the date, never feed text, so nothing a feed
// writes can reach a header; a digest with evidence changes counts them, so a
// morning with nothing new but a removed article does not say only "nothing".
const DefaultSubject = `civicwatch: {{if .Total}}{{.Total}} {{if eq .Total 1}}story{{else}}stories{{end}} (` +
	`{{range $i, $c := .Counts}}{{if $i}}, {{end}}{{$c.N}} {{$c.Topic.Name}}{{end}}){{else}}nothing matched{{end}}` +
	`{{with .Changes}}; {{len .}} changed or removed since reported{{end}}, {{.Date.Format "2 Jan"}}`

// fonts renders Latin and Khmer on every common platform: system fonts
// first, then the Khmer fonts shipped with Windows, macOS/iOS and Android.
const fonts = `-apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans Khmer', 'Khmer OS System', 'Khmer UI', 'Leelawadee UI', 'Khmer Sangam MN', Arial, sans-serif`

var funcs = map[string]any{"join": strings.Join}

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("digest.html").Funcs(funcs).ParseFS(templates, "templates/digest.html"))
	textTmpl = texttemplate.Must(texttemplate.New("digest.txt").Funcs(funcs).ParseFS(templates, "templates/digest.txt"))
)

// Rendered is a digest ready to send.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// view is what the body templates see.
type view struct {
	Digest  *Digest
	Subject string
	Date    string
	Window  string
	Tally   string // how the window's matched stories became the entries shown; "" when one to one
	Watched string
	Fonts   htmltemplate.CSS
}

// Render produces the subject, text and HTML of a digest. subject is a
// text/template over the Digest ("" for DefaultSubject).
func Render(d *Digest, subject string) (*Rendered, error) {
	if subject == "" {
		subject = DefaultSubject
	}
	st, err := texttemplate.New("subject").Parse(subject)
	if err != nil {
		return nil, fmt.Errorf("subject template: %w", err)
	}
	var sb bytes.Buffer
	if err := st.Execute(&sb, d); err != nil {
		return nil, fmt.Errorf("subject template: %w", err)
	}
	shown := cmp.Or(d.Display, d.Location, time.UTC)
	v := view{
		Digest:  d,
		Subject: oneLine(sb.String()),
		Date:    d.Date.Format("Monday 2 January 2006"),
		Window:  d.Start.In(shown).Format("2 Jan 15:04") + " – " + d.End.In(shown).Format("2 Jan 15:04") + " (" + shown.String() + ", UTC" + d.End.In(shown).Format("-07:00") + ")",
		Tally:   tally(d),
		Watched: watched(d),
		Fonts:   htmltemplate.CSS(fonts),
	}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, v); err != nil {
		return nil, fmt.Errorf("render text: %w", err)
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return &Rendered{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

// tally accounts for every story of the window that matched the reader's
// topics, so that the digest's figures agree with the console's: how many
// matched, how many are shown under another outlet's copy of the same news,
// and how many were left out as old news.
func tally(d *Digest) string {
	shown := 0
	for _, s := range d.Sections {
		for _, e := range s.Entries {
			shown += len(e.StoryIDs)
		}
	}
	grouped := shown - d.Total
	if grouped == 0 && d.Backlog == 0 {
		return ""
	}
	var parts []string
	if grouped > 0 {
		parts = append(parts, fmt.Sprintf("%d shown with another outlet's copy of the same news", grouped))
	}
	if d.Backlog > 0 {
		parts = append(parts, fmt.Sprintf("%d left out as published more than %s before civicwatch first saw %s",
			d.Backlog, days(d.MaxAge), map[bool]string{true: "it", false: "them"}[d.Backlog == 1]))
	}
	return fmt.Sprintf("%d matched your topics: %s", d.Matched, strings.Join(parts, "; "))
}

// days writes a max_age for readers: "7 days", "36 hours".
func days(age time.Duration) string {
	if age%(24*time.Hour) == 0 {
		if n := int(age / (24 * time.Hour)); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return fmt.Sprintf("%d hours", int(age.Round(time.Hour)/time.Hour))
}

// watched names the recipient's topics for the footer.
func watched(d *Digest) string {
	names := make([]string, len(d.Topics))
	for i, t := range d.Topics {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// oneLine keeps a header value on one line whatever a template produced.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
