// Package web is the operator console: server-rendered pages over the store
// (matches, search, a story and why it matched, sources, the rules lab,
// digests as sent), the feeds and exports built on them (Atom, JSON, CSV,
// labelled JSONL), and the security around them (loopback by default, an
// access token otherwise, CSRF checks, a strict Content-Security-Policy).
//
// Pages work without JavaScript: every action is a link or a plain form.
// The daemon mounts the console beside /healthz and /metrics; `civicwatch
// serve` runs it on its own beside a daemon, reading the same database.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/lab"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Options configure a console.
type Options struct {
	Store *store.Store
	// Config returns the config in force. The daemon reloads its config,
	// so the console asks for it per request rather than keeping one.
	Config func() *config.Config
	// Token is the access token (see TokenEnv); "" lets every request in,
	// which CheckListen allows only on loopback.
	Token string
	// Listen is the address the console is served on, as bound (port
	// known): requests must name it, a localhost form of it, or one of
	// AllowedHosts or the config's console.hosts in their Host header.
	// "" (a handler not yet bound) lets in localhost forms on any port.
	Listen string
	// AllowedHosts are further names the console answers to
	// (--allowed-host), beside the config's console.hosts.
	AllowedHosts []string
	Log          *slog.Logger
	Now          func() time.Time // [time.Now]
	// LookupEnv expands ${VAR} when the rules lab writes feeds.yaml back
	// and validates it. [no variables set]
	LookupEnv func(string) (string, bool)

	// Health, when set, answers GET /healthz. It is open without the
	// token, for container health checks, but an unauthenticated caller
	// gets only the status, not the document (which names feeds and
	// recipients).
	Health http.Handler
	// Metrics, when set, answers GET /metrics, behind the token like the
	// pages: a scraper sends it as a bearer token.
	Metrics http.Handler
}

// Server is a console. It is an http.Handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	auth    auth
	csrf    *csrf
	pages   *pages
	lab     *lab.Index // the rules lab's, kept between answers
	hosts   hostCheck
	handler http.Handler
}

// labKeepFor is how long the rules lab keeps what it read of the archive
// after its last answer: long enough for an operator's session of edits,
// short enough that a daemon nobody is tuning does not hold it.
const labKeepFor = 30 * time.Minute

// New builds a console.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Config == nil {
		return nil, errors.New("web: a store and a config getter are required")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if err := CheckListen("127.0.0.1:0", opts.Token); err != nil {
		return nil, err // only the length rule can fail on loopback
	}
	c, err := newCSRF()
	if err != nil {
		return nil, err
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Log, auth: newAuth(opts.Token), csrf: c, pages: p, lab: lab.NewIndex(opts.Now, labKeepFor)}
	s.hosts = newHostCheck(opts.Listen, s.allowedHosts)
	s.handler = s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes wires every path. The URL paths are part of the interface:
// operators bookmark them and feed readers subscribe to them.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleMatches)
	mux.HandleFunc("GET /search", s.handleSearch)
	mux.HandleFunc("GET /stories/{id}", s.handleStory)
	mux.HandleFunc("POST /stories/{id}/label", s.handleLabel)
	mux.HandleFunc("GET /sources", s.handleSources)
	mux.HandleFunc("GET /rules", s.handleRules)
	mux.HandleFunc("POST /rules/save", s.handleRuleSave)
	mux.HandleFunc("GET /digests", s.handleDigests)
	mux.HandleFunc("GET /digests/{period}/{recipient}", s.handleDigest)
	mux.HandleFunc("GET /digests/{period}/{recipient}/html", s.handleDigestHTML)
	mux.HandleFunc("GET /alerts", s.handleAlerts)
	mux.HandleFunc("GET /evidence", s.handleEvidence)
	mux.HandleFunc("GET /labels.jsonl", s.handleLabelsExport)
	mux.HandleFunc("GET /feeds.opml", s.handleOPML)
	mux.HandleFunc("GET /feeds/{file}", s.handleAtom)
	mux.HandleFunc("GET /api/matches", s.handleAPIMatches)
	mux.HandleFunc("GET /matches.csv", s.handleCSV)
	mux.Handle("GET /static/", staticHandler())
	if s.opts.Metrics != nil {
		mux.Handle("GET /metrics", s.opts.Metrics)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w, r, "no such page") })

	guarded := s.auth.require(s.csrf.protect(mux))
	outer := http.NewServeMux()
	if s.opts.Health != nil {
		outer.Handle("GET /healthz", s.health(s.opts.Health))
	}
	outer.Handle("/", guarded)
	return secureHeaders(s.logErrors(s.checkHost(outer)))
}

// checkHost turns away, before any handler or the token check runs, a
// request for a host name the console does not answer to (see hostCheck).
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allowed(r.Host, r.TLS != nil) {
			refuseHost(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHosts is what the operator listed, on the command line and in
// the config in force.
func (s *Server) allowedHosts() []string {
	hosts := s.opts.AllowedHosts
	if cfg := s.config(); cfg != nil && len(cfg.Console.Hosts) > 0 {
		hosts = append(slices.Clip(hosts), cfg.Console.Hosts...)
	}
	return hosts
}

// baseURL is the console's own address for the links it hands out that
// must be absolute (Atom self links): console.base_url, else the listen
// address. Never the request's Host header, which is the client's claim.
func (s *Server) baseURL() string {
	if cfg := s.config(); cfg != nil && cfg.Console.BaseURL != "" {
		return cfg.Console.BaseURL
	}
	host, port, err := net.SplitHostPort(s.opts.Listen)
	if err != nil {
		return "http://localhost"
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// config is the config in force for this request.
func (s *Server) config() *config.Config { return s.opts.Config() }

// location is where days begin and times are shown: display.timezone
// (by default the digest's zone), so the console, the CLI and the digest
// agree on what "today" is.
func location(cfg *config.Config) *time.Location {
	if cfg != nil && cfg.Display.Location != nil {
		return cfg.Display.Location
	}
	return time.UTC
}

// ctx bounds a request's database work: a page that cannot answer in
// this time will not be read anyway.
func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 30*time.Second)
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logErrors logs server errors and refused requests (401, 403), which an
// operator watching for intruders wants to see; successful requests are
// logged at debug.
func (s *Server) logErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r)
		status := cmp.Or(rec.status, http.StatusOK)
		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelError
		case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusMisdirectedRequest:
			level = slog.LevelWarn
		}
		if r.URL.Path == "/healthz" {
			// A health check asks every minute and its 503 is the report,
			// not a failure of the request; the causes are logged where
			// they happen.
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "console request", "method", r.Method, "path", r.URL.Path,
			"status", status, "duration", time.Since(start).Round(time.Microsecond), "remote", r.RemoteAddr)
	})
}

// fail answers a request that could not be served because of an error on
// our side: logged with its context, shown to the operator without detail
// beyond the message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("console page failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, fmt.Sprintf("Something went wrong: %v", err))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	s.errorPage(w, r, http.StatusNotFound, msg)
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, msg string) {
	s.errorPage(w, r, http.StatusBadRequest, msg)
}
