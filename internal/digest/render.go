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
// writes can reach a header.
const DefaultSubject = `civicwatch: {{if .Total}}{{.Total}} {{if eq .Total 1}}story{{else}}stories{{end}} (` +
	`{{range $i, $c := .Counts}}{{if $i}}, {{end}}{{$c.N}} {{$c.Topic.Name}}{{end}}){{else}}nothing matched{{end}}, {{.Date.Format "2 Jan"}}`

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
