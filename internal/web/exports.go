package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/export"
	"github.com/civicwatch/civicwatch/internal/opml"
	"github.com/civicwatch/civicwatch/internal/store"
)

// atomEntries is how many of the newest matches a feed carries: a feed
// reader polls often, and only needs what is new since its last visit.
const atomEntries = 100

// API page sizes: the default, and the most a client may ask for.
const (
	apiLimit    = 100
	apiMaxLimit = 500
)

// csvMax caps a CSV export, so one request cannot hold the database for
// minutes; a longer history is for the CLI.
const csvMax = 100_000

// handleAtom serves /feeds/{topic}.atom and /feeds/all.atom.
func (s *Server) handleAtom(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".atom")
	cfg := s.config()
	if !ok || (name != "all" && !hasTopic(cfg, name)) {
		s.notFound(w, r, "no feed "+strconv.Quote(r.PathValue("file"))+": try /feeds/all.atom or /feeds/TOPIC.atom")
		return
	}
	topic, title := "", "civicwatch: all topics"
	if name != "all" {
		topic, title = name, "civicwatch: "+topicName(cfg, name)
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	stories, err := s.opts.Store.MatchedStories(ctx, store.MatchQuery{Topic: topic, Limit: atomEntries})
	if err == nil {
		err = s.opts.Store.AttachEvidence(ctx, stories)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := s.baseURL()
	alt := base + "/"
	if topic != "" {
		alt += "?topic=" + topic
	}
	feed := export.AtomFeed{ID: export.FeedID(topic), Title: title, Self: base + r.URL.Path, Alternate: alt,
		FeedNames: map[string]string{}, TopicNames: map[string]string{}}
	for _, f := range cfg.Feeds {
		feed.FeedNames[f.ID] = f.Name
	}
	for _, t := range cfg.Topics {
		feed.TopicNames[t.ID] = t.Name
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	if err := export.Atom(w, feed, stories); err != nil {
		s.log.Error("write atom feed", "feed", name, "err", err)
	}
}

// matchFilter reads the topic and since parameters of the exports. An
// unknown topic is an error of its own: the caller answers 404.
func (s *Server) matchFilter(r *http.Request, cfg *config.Config) (store.MatchQuery, error) {
	q := r.URL.Query()
	mq := store.MatchQuery{Topic: q.Get("topic"), Feed: q.Get("feed")}
	if mq.Topic != "" && !hasTopic(cfg, mq.Topic) {
		return mq, fmt.Errorf("%w %q", errUnknownTopic, mq.Topic)
	}
	since, err := parseSince(q.Get("since"), s.opts.Now(), location(cfg))
	if err != nil {
		return mq, err
	}
	mq.Since = since
	return mq, nil
}

var errUnknownTopic = errors.New("no such topic")

// parseSince reads a since parameter: "" for no bound, a duration back
// from now ("7d", "36h"), a local date ("2026-11-20") or an RFC 3339 time.
func parseSince(v string, now time.Time, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := config.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("since %q: want a duration back from now (7d, 36h), a date (2026-11-20) or an RFC 3339 time", v)
}

// handleAPIMatches is the JSON API: one page of matches, newest first,
// with a cursor to the next.
func (s *Server) handleAPIMatches(w http.ResponseWriter, r *http.Request) {
	mq, err := s.matchFilter(r, s.config())
	if errors.Is(err, errUnknownTopic) {
		jsonError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		jsonError(w, http.StatusBadRequest, err)
		return
	}
	limit := apiLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 || limit > apiMaxLimit {
			jsonError(w, http.StatusBadRequest, fmt.Errorf("limit %q: want 1 to %d", v, apiMaxLimit))
			return
		}
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		c, err := export.ParseCursor(v)
		if err != nil {
			jsonError(w, http.StatusBadRequest, err)
			return
		}
		mq.BeforeSeen, mq.BeforeID = c.Seen, c.ID
	}
	mq.Limit = limit + 1
	ctx, cancel := s.ctx(r)
	defer cancel()
	stories, err := s.opts.Store.MatchedStories(ctx, mq)
	if err != nil {
		s.log.Error("api matches", "err", err)
		jsonError(w, http.StatusInternalServerError, errors.New("the matches could not be read"))
		return
	}
	next := ""
	if len(stories) > limit {
		stories = stories[:limit]
		next = export.CursorAfter(&stories[limit-1].Story).String()
	}
	if err := s.opts.Store.AttachEvidence(ctx, stories); err != nil {
		s.log.Error("api matches", "err", err)
		jsonError(w, http.StatusInternalServerError, errors.New("the matches could not be read"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := export.JSON(w, stories, next); err != nil {
		s.log.Error("api matches", "err", err)
	}
}

func jsonError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// handleCSV exports the matches of a topic (or all) since a time as CSV,
// newest first, read from the store a page at a time.
func (s *Server) handleCSV(w http.ResponseWriter, r *http.Request) {
	mq, err := s.matchFilter(r, s.config())
	if errors.Is(err, errUnknownTopic) {
		s.notFound(w, r, err.Error())
		return
	}
	if err != nil {
		s.badRequest(w, r, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	var all []store.MatchedStory
	mq.Limit = 1000
	for len(all) < csvMax {
		page, err := s.opts.Store.MatchedStories(ctx, mq)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all = append(all, page...)
		if len(page) < mq.Limit {
			break
		}
		last := page[len(page)-1]
		mq.BeforeSeen, mq.BeforeID = last.FirstSeenAt, last.ID
	}
	name := "matches"
	if mq.Topic != "" {
		name += "-" + mq.Topic
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if err := export.CSV(w, all); err != nil {
		s.log.Error("csv export", "err", err)
	}
}

// handleLabelsExport writes every labelled story as JSON lines, the input
// of `civicwatch eval`.
func (s *Server) handleLabelsExport(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	stories, labels, err := s.opts.Store.LabelledStories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="labels.jsonl"`)
	if err := export.LabelledJSONL(w, stories, labels, s.config().Feeds); err != nil {
		s.log.Error("labels export", "err", err)
	}
}

// handleOPML serves the configured feeds as OPML 2.0, for a feed reader to
// subscribe to the same sources.
func (s *Server) handleOPML(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := opml.Export(&buf, s.config().Feeds, s.opts.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="feeds.opml"`)
	_, _ = w.Write(buf.Bytes())
}
