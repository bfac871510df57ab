package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/civicwatch/civicwatch/internal/display"
	"github.com/civicwatch/civicwatch/internal/sources"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates/*.html files that are pages; the others
// (layout, partials) are shared by all of them.
var pageNames = []string{"matches", "search", "story", "sources", "rules", "digests", "digest", "alerts", "evidence", "error"}

type pages struct {
	byName map[string]*template.Template
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page template gets: the layout's needs and the page's
// own data.
type view struct {
	Title string
	Nav   string // which navigation entry is this page's
	CSRF  string // the hidden field of every writing form
	Loc   *time.Location
	Query string // the search box's text
	// Feeds is how the configured feeds fare, for the banner every page
	// carries while some fail: an empty console must not look like a quiet
	// week when nothing is being collected.
	Feeds sources.Summary
	Data  any
}

// render writes a page. It renders into a buffer first, so a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if v.Loc == nil {
		v.Loc = location(s.config())
	}
	v.CSRF = s.csrf.token
	v.Feeds = s.feedSummary(r)
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "500 internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// feedSummary reads the feeds' states for the banner. A page whose data
// was read should still render when this fails, so the error is logged and
// the banner left out.
func (s *Server) feedSummary(r *http.Request) sources.Summary {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	states, err := s.opts.Store.FeedStates(ctx)
	if err != nil {
		s.log.Warn("feed states for the banner", "path", r.URL.Path, "err", err)
		return sources.Summary{}
	}
	return sources.Assess(s.config().Feeds, states)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", view{Title: http.StatusText(status), Data: struct {
		Status int
		Text   string
		Msg    string
	}{status, http.StatusText(status), msg}})
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"when":    when,
	"zone":    func(loc *time.Location) string { return display.Zone(loc, time.Now()) },
	"backlog": display.Backlog,
	"age":     display.Age,
	"day":     func(loc *time.Location, t time.Time) string { return t.In(loc).Format("Monday 2 January 2006") },
	"href":    href,
	"lang":    lang,
	"join":    strings.Join,
	"pathesc": url.PathEscape,
	"query":   func(v url.Values) string { return v.Encode() },
	// tenth buckets n/of into 0…10 for bar heights: the policy allows no
	// inline styles, so heights are classes.
	"tenth": func(n, of int) int {
		if of <= 0 {
			return 0
		}
		return (n*10 + of - 1) / of
	},
	"dict": dict,
	"dur": func(d time.Duration) time.Duration {
		if d >= 10*time.Millisecond {
			return d.Round(time.Millisecond)
		}
		return d.Round(10 * time.Microsecond)
	},
}

// when formats a stored time in the display zone with its offset, as the
// CLI and the digest do; zero is "—".
func when(loc *time.Location, t time.Time) string { return display.Time(t, loc) }

// href returns a story's link when it is http(s), else "": a feed may
// carry javascript: or data: links, which must not become clickable.
func href(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

var langRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// lang is the language to mark a story's text with. Text with Khmer letters
// is km whatever the feed declared (bilingual outlets declare one language
// for both), so the browser picks a Khmer font and Khmer line breaking;
// otherwise the feed's language when it is a plausible tag. "" leaves the
// page's language in force.
func lang(declared, text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Khmer, r) {
			return "km"
		}
	}
	if langRE.MatchString(declared) {
		return declared
	}
	return ""
}

// dict builds a map for passing several values to a shared template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
