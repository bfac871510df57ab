// Package alert pushes the stories that cannot wait for the daily digest:
// per configured alert and channel (webhook, ntfy, email, Slack, Telegram,
// Matrix), at most one message per cooldown carrying every story that
// arrived in it, each story once, through a ledger that survives restarts.
//
// The daemon drives it: after a poll round commits, Enqueue files the new
// matches; Deliver then writes and sends the messages that are due and
// says when it next has work. Nothing here polls the database on a timer.
package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Backoff is how temporary failures are retried: First after the first
// failure, doubling up to Max, until the message is GiveUp old.
type Backoff struct {
	First, Max, GiveUp time.Duration
}

// DefaultBackoff retries after 30 s, 1 min, 2 min … then every 30 min, and
// gives up on a message after a day: by then the digest has its stories.
var DefaultBackoff = Backoff{First: 30 * time.Second, Max: 30 * time.Minute, GiveUp: 24 * time.Hour}

// delay is the wait after the n-th failed attempt (n >= 1).
func (b Backoff) delay(n int) time.Duration {
	d := b.First
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Service runs the alerts of one config over one store.
type Service struct {
	Store  *store.Store
	Config *config.Config
	Client *http.Client // nil: NewClient(), built at the first Deliver or Test
	// Mail sends email alerts; nil: the digest's sender from the config.
	Mail        digest.Sender
	LookupEnv   func(string) (string, bool) // secrets; nil: os.LookupEnv
	Now         func() time.Time            // nil: time.Now
	Log         *slog.Logger                // nil: discard
	Backoff     Backoff                     // zero: DefaultBackoff
	Concurrency int                         // messages sent at once; 0: 4
	UserAgent   string
	// Observe, when set, hears every attempt's outcome (for /metrics).
	Observe func(Attempt)
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	Alert, Channel, EventID string
	Test                    bool
	Stories                 int
	Outcome                 store.AlertStatus // sent, pending (will retry) or failed
	Err                     error
	Next                    time.Time // pending: when the next attempt is due
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) backoff() Backoff {
	if s.Backoff.First <= 0 {
		return DefaultBackoff
	}
	return s.Backoff
}

// location is the zone times are shown in: the console's and digest's
// display zone.
func (s *Service) location() *time.Location {
	if l := s.Config.Display.Location; l != nil {
		return l
	}
	if d := s.Config.Digest; d != nil && d.Location != nil {
		return d.Location
	}
	return time.UTC
}

func (s *Service) deps() Deps {
	d := Deps{Client: s.Client, LookupEnv: s.LookupEnv, Location: s.location(), UA: s.UserAgent}
	if dg := s.Config.Digest; dg != nil {
		d.From = dg.From
	}
	d.Mail = func() (digest.Sender, error) {
		if s.Mail != nil {
			return s.Mail, nil
		}
		return digest.SenderFor(s.Config, s.LookupEnv)
	}
	return d
}

// ensureClient builds the HTTP client once, before attempts run on
// goroutines of their own.
func (s *Service) ensureClient() {
	if s.Client == nil {
		s.Client = NewClient()
	}
}

// Start records where each alert starts reading the matches (now, for an
// alert seen for the first time). The daemon calls it before its first poll
// round and after a reload, so the first round's matches are not missed and
// a new alert does not push the archive.
func (s *Service) Start(ctx context.Context) error {
	for _, a := range s.Config.Alerts {
		if _, err := s.Store.AlertCursor(ctx, a.ID, s.now()); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue files the matches stored since each alert last looked: a story
// that matches one of the alert's topics (and its rule, when it has one) and
// is not old news is queued for each of its channels, once. It returns how
// many (story, channel) pairs were queued.
func (s *Service) Enqueue(ctx context.Context) (int, error) {
	tags := map[string][]string{}
	for _, f := range s.Config.Feeds {
		tags[f.ID] = f.Tags
	}
	total := 0
	for _, a := range s.Config.Alerts {
		n, err := s.enqueue(ctx, a, tags)
		if err != nil {
			return total, fmt.Errorf("alert %s: %w", a.ID, err)
		}
		total += n
	}
	return total, nil
}

func (s *Service) enqueue(ctx context.Context, a config.Alert, tags map[string][]string) (int, error) {
	now := s.now()
	cursor, err := s.Store.AlertCursor(ctx, a.ID, now)
	if err != nil {
		return 0, err
	}
	cands, err := s.Store.AlertCandidates(ctx, a.Topics, cursor)
	if err != nil {
		return 0, err
	}
	through := cursor
	var queue []store.QueuedStory
	for i := range cands {
		c := &cands[i]
		through = later(through, c.MatchedAt)
		if c.PublishedAt.Before(c.MatchedAt.Add(-a.MaxAge.D())) {
			continue // old news: a new feed's backlog, or the archive rematched
		}
		terms := match.Terms(c.Hits)
		if a.Rules != nil {
			res := a.Rules.Match(ptr(c.MatchStory(feedTags(c.Feeds, tags))))
			if len(res) == 0 {
				continue
			}
			for _, t := range match.Terms(res[0].Hits) {
				if !slices.Contains(terms, t) {
					terms = append(terms, t)
				}
			}
		}
		queue = append(queue, store.QueuedStory{StoryID: c.StoryID, Topics: c.Topics, Terms: terms})
	}
	if len(queue) == 0 && !through.After(cursor) {
		return 0, nil
	}
	keys := make([]string, len(a.Channels))
	for i, ch := range a.Channels {
		keys[i] = ch.Key()
	}
	return s.Store.QueueAlertStories(ctx, a.ID, keys, queue, now, through)
}

// cmpTime is t, or def when t is zero.
func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// feedTags is the union of the tags of the feeds that carried a story.
func feedTags(feeds []string, tags map[string][]string) []string {
	var out []string
	for _, f := range feeds {
		for _, t := range tags[f] {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Deliver writes a message for every (alert, channel) whose queue has
// stories and whose cooldown has passed, then attempts every message due,
// Concurrency at a time. It returns when it next has work (zero: only when
// new stories are queued), for the caller's timer.
func (s *Service) Deliver(ctx context.Context) (time.Time, error) {
	s.ensureClient()
	now := s.now()
	var next time.Time
	for _, a := range s.Config.Alerts {
		for _, ch := range a.Channels {
			wake, err := s.compose(ctx, a, ch, now)
			if err != nil {
				return time.Time{}, fmt.Errorf("alert %s, %s: %w", a.ID, ch.Key(), err)
			}
			next = earliest(next, wake)
		}
	}
	due, err := s.Store.DueAlertMessages(ctx, now)
	if err != nil {
		return time.Time{}, err
	}
	s.attemptAll(ctx, due)
	pending, err := s.Store.NextAlertAttempt(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return earliest(next, pending), nil
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// compose turns an (alert, channel)'s queue into a message when the
// cooldown allows, or holds the stories back when max_per_day is reached.
// It returns when the cooldown ends if stories are waiting for it.
func (s *Service) compose(ctx context.Context, a config.Alert, ch config.Channel, now time.Time) (time.Time, error) {
	key := ch.Key()
	q, err := s.Store.AlertQueue(ctx, a.ID, key, now.Add(-24*time.Hour))
	if err != nil || len(q.Stories) == 0 {
		return time.Time{}, err
	}
	if !q.LastMessage.IsZero() {
		if free := q.LastMessage.Add(a.Cooldown.D()); now.Before(free) {
			return free, nil // bundled with whatever else comes before then
		}
	}
	ids := make([]int64, len(q.Stories))
	for i, st := range q.Stories {
		ids[i] = st.StoryID
	}
	if a.MaxPerDay > 0 && q.SentSince >= a.MaxPerDay {
		s.log().Warn("alert held back by max_per_day", "alert", a.ID, "channel", key, "stories", len(ids), "max_per_day", a.MaxPerDay)
		return time.Time{}, s.Store.HoldAlertStories(ctx, a.ID, key, ids, now)
	}
	ev := Event{Alert: a.ID, EventID: newEventID(), Stories: s.stories(q.Stories)}
	if len(q.Overflow) > 0 {
		ev.Overflow = &Overflow{Stories: len(q.Overflow), MaxPerDay: a.MaxPerDay}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return time.Time{}, err
	}
	_, err = s.Store.CreateAlertMessage(ctx, store.AlertMessage{EventID: ev.EventID, Alert: a.ID, Channel: key,
		Payload: payload, Stories: len(ids), Overflow: len(q.Overflow), CreatedAt: now}, ids, q.Overflow)
	return time.Time{}, err
}

func (s *Service) stories(in []store.AlertStory) []Story {
	names := map[string]string{}
	for _, f := range s.Config.Feeds {
		names[f.ID] = f.Name
	}
	out := make([]Story, len(in))
	for i, st := range in {
		outlets := make([]string, 0, len(st.Feeds))
		for _, f := range st.Feeds {
			n := names[f]
			if n == "" {
				n = f
			}
			if !slices.Contains(outlets, n) {
				outlets = append(outlets, n)
			}
		}
		out[i] = Story{ID: st.StoryID, Title: st.Title, URL: st.URL, Outlets: outlets, FirstSeen: st.FirstSeenAt.UTC(),
			Published: st.PublishedAt.UTC(), Topics: st.Topics, Terms: st.Terms}
	}
	return out
}

// channel finds the configured channel a ledger row names.
func (s *Service) channel(alertID, key string) (Channel, bool) {
	for _, a := range s.Config.Alerts {
		if a.ID != alertID {
			continue
		}
		for _, ch := range a.Channels {
			if ch.Key() == key {
				c, err := NewChannel(ch, s.deps())
				return c, err == nil
			}
		}
	}
	return nil, false
}

func (s *Service) attemptAll(ctx context.Context, due []store.AlertMessage) {
	n := s.Concurrency
	if n <= 0 {
		n = 4
	}
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, m := range due {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			s.attempt(ctx, m)
		})
	}
	wg.Wait()
}

// attempt makes one delivery attempt at a ledger row and records how it
// went. The ledger hears the outcome even when ctx is ending.
func (s *Service) attempt(ctx context.Context, m store.AlertMessage) Attempt {
	at := Attempt{Alert: m.Alert, Channel: m.Channel, EventID: m.EventID, Test: m.Test, Stories: m.Stories}
	wctx := context.WithoutCancel(ctx)
	var ev Event
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		return s.record(wctx, m, at, fmt.Errorf("stored event: %w", err), true)
	}
	ch, ok := s.channel(m.Alert, m.Channel)
	if !ok {
		return s.record(wctx, m, at, errors.New("the alert or channel is no longer in the config"), true)
	}
	err := sendOnce(ctx, ch, &Message{Event: ev, Payload: m.Payload, Created: m.CreatedAt})
	// A send cut short by shutdown is no verdict on the receiver.
	permanent := err != nil && !temporary(err) && ctx.Err() == nil
	return s.record(wctx, m, at, err, permanent)
}

func sendOnce(ctx context.Context, ch Channel, m *Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &SendError{Temporary: true, Err: fmt.Errorf("channel panicked: %v", p)}
		}
	}()
	return ch.Send(ctx, m)
}

func (s *Service) record(ctx context.Context, m store.AlertMessage, at Attempt, err error, permanent bool) Attempt {
	now := s.now()
	log := s.log().With("alert", m.Alert, "channel", m.Channel, "event_id", m.EventID, "attempt", m.Attempts+1)
	var werr error
	switch {
	case err == nil:
		at.Outcome = store.AlertSent
		werr = s.Store.AlertSent(ctx, m.ID, now)
		log.Info("alert sent", "stories", m.Stories, "test", m.Test)
	default:
		at.Err = err
		b := s.backoff()
		if !permanent && (m.Test || now.Sub(m.CreatedAt) >= b.GiveUp) {
			// A test is reported at once; a message a day old is given up.
			permanent = true
			if !m.Test {
				err = fmt.Errorf("gave up after %d attempts: %w", m.Attempts+1, err)
				at.Err = err
			}
		}
		at.Outcome = store.AlertPending
		if permanent {
			at.Outcome = store.AlertFailed
		} else {
			at.Next = now.Add(max(b.delay(m.Attempts+1), retryAfter(err)))
		}
		werr = s.Store.AlertAttemptFailed(ctx, m.ID, err.Error(), permanent, now, cmpTime(at.Next, now))
		log.Warn("alert not delivered", "outcome", at.Outcome, "next", at.Next, "err", err)
	}
	if werr != nil {
		log.Error("alert ledger", "err", werr)
	}
	if s.Observe != nil {
		s.Observe(at)
	}
	return at
}

// ErrUnknownAlert is returned by Test for an id the config lacks.
var ErrUnknownAlert = errors.New("no such alert in the config")

// Test sends a clearly marked test message to each of an alert's channels,
// once each, records it in the ledger and returns each outcome.
func (s *Service) Test(ctx context.Context, alertID string) ([]Attempt, error) {
	i := slices.IndexFunc(s.Config.Alerts, func(a config.Alert) bool { return a.ID == alertID })
	if i < 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAlert, alertID)
	}
	a := s.Config.Alerts[i]
	s.ensureClient()
	var out []Attempt
	for _, ch := range a.Channels {
		ev := Event{Alert: a.ID, EventID: newEventID(), Test: true, Stories: []Story{}}
		payload, err := json.Marshal(ev)
		if err != nil {
			return out, err
		}
		row, err := s.Store.CreateAlertMessage(ctx, store.AlertMessage{EventID: ev.EventID, Alert: a.ID, Channel: ch.Key(),
			Test: true, Payload: payload, CreatedAt: s.now()}, nil, nil)
		if err != nil {
			return out, err
		}
		out = append(out, s.attempt(ctx, *row))
	}
	return out, nil
}
