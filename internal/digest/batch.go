package digest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// batch is one run's shared work: the candidate stories of each window and
// the feed health, loaded once however many recipients share them.
type batch struct {
	s       *Service
	period  Period
	now     time.Time
	topics  []Topic
	names   map[string]string  // feed id → display name from the config
	stories map[int64][]Story  // candidates by window start (Unix nanoseconds)
	changes map[int64][]Change // evidence changes by window start
	health  Sources
	checked bool // health is loaded
}

func (s *Service) newBatch(period Period, now time.Time) *batch {
	b := &batch{s: s, period: period, now: now, names: map[string]string{}, stories: map[int64][]Story{}, changes: map[int64][]Change{}}
	for _, t := range s.Config.Topics {
		b.topics = append(b.topics, Topic{ID: t.ID, Name: t.Name})
	}
	for _, f := range s.Config.Feeds {
		b.names[f.ID] = f.Name
	}
	return b
}

// build makes a recipient's digest for the period, ready to store. Its
// window runs from where their last sent digest ended up to now, the moment
// it is built: a digest sent late is simply fuller, and the next one starts
// where it ended, so that downtime loses nothing and nothing is sent twice.
// The first digest covers the day before the period's send time as well
// (see store.DigestWindowStart). Nothing to send gives an outcome instead
// of a digest.
func (b *batch) build(ctx context.Context, r config.Recipient) (*store.DigestRecord, Outcome, error) {
	cfg := b.s.Config.Digest
	start, err := b.s.Store.DigestWindowStart(ctx, r.Email)
	if err != nil {
		return nil, "", err
	}
	if start.IsZero() {
		start = b.period.At.Add(-24 * time.Hour)
	}
	if !start.Before(b.now) {
		return nil, OutcomeNotDue, nil // the clock moved back behind the last digest's end
	}
	stories, err := b.candidates(ctx, start)
	if err != nil {
		return nil, "", err
	}
	health, err := b.feedHealth(ctx)
	if err != nil {
		return nil, "", err
	}
	held, err := b.heldBack(ctx, start)
	if err != nil {
		return nil, "", err
	}
	changes, err := b.evidenceChanges(ctx, start)
	if err != nil {
		return nil, "", err
	}
	reported, err := b.reported(ctx, r.Email, start, stories, changes)
	if err != nil {
		return nil, "", err
	}
	d := Build(Input{
		Recipient: Recipient{Email: r.Email, Name: r.Name, Topics: r.Topics},
		Topics:    b.topics, Stories: stories, Start: start, End: b.now, Period: b.period.At,
		Location: cfg.Location, Display: b.s.Config.Display.Location, MaxAge: cfg.MaxAge.D(), Health: health, HeldBack: held, Generated: b.now,
		Changes: changes, Reported: reported,
	})
	// A digest with only evidence changes is sent: a removed article is
	// news to the campaigner who cited it.
	if d.Total == 0 && len(d.Changes) == 0 && !cfg.SendEmpty {
		return nil, OutcomeSkipped, nil
	}
	out, err := Render(d, cfg.Subject)
	if err != nil {
		return nil, "", err
	}
	return &store.DigestRecord{
		Recipient: r.Email, Period: b.period.ID, WindowStart: start, WindowEnd: b.now,
		MessageID: MessageID(r.Email, b.period.ID, cfg.From), From: cfg.From, To: r.Email, ToName: r.Name,
		Subject: out.Subject, Date: b.now, Text: out.Text, HTML: out.HTML, StoryIDs: storyIDs(d), CreatedAt: b.now,
	}, "", nil
}

// candidates loads the matched stories first seen in [start, now).
func (b *batch) candidates(ctx context.Context, start time.Time) ([]Story, error) {
	return perWindow(b.stories, start, func() ([]Story, error) {
		rows, err := b.s.Store.DigestStories(ctx, start, b.now)
		if err != nil {
			return nil, err
		}
		out := make([]Story, len(rows))
		for i, r := range rows {
			out[i] = Story{ID: r.ID, Title: r.Title, URL: r.URL, Summary: r.Summary, Text: r.Text, Lang: r.Lang,
				PublishedAt: r.PublishedAt, FirstSeenAt: r.FirstSeenAt, Matches: r.Matches}
			out[i].LateTopics = r.LateTopics
			out[i].Outlets = b.outlets(r.Feeds)
			if r.Credited != "" && !slices.Contains(out[i].Outlets, r.Credited) {
				// An aggregator's result: the outlet it credits first, then
				// the feed that carried it ("Radio Free Asia, Google News —
				// unions (English)").
				out[i].Outlets = append([]string{r.Credited}, out[i].Outlets...)
			}
		}
		return out, nil
	})
}

// perWindow returns what load gives for the window starting at start, once
// per batch: recipients whose previous digest went out together share it.
func perWindow[T any](cache map[int64][]T, start time.Time, load func() ([]T, error)) ([]T, error) {
	if got, ok := cache[start.UnixNano()]; ok {
		return got, nil
	}
	got, err := load()
	if err != nil {
		return nil, err
	}
	cache[start.UnixNano()] = got
	return got, nil
}

// outlets names the feeds that carried a story. The config's name is the
// current one; a feed since removed from the config keeps the name it had.
func (b *batch) outlets(feeds []store.FeedRef) []string {
	var out []string
	for _, f := range feeds {
		out = append(out, cmp.Or(b.names[f.ID], f.Name, f.ID))
	}
	return out
}

// evidenceChanges loads the changes to captured pages noticed in [start, now).
func (b *batch) evidenceChanges(ctx context.Context, start time.Time) ([]Change, error) {
	return perWindow(b.changes, start, func() ([]Change, error) {
		rows, err := b.s.Store.EvidenceChanges(ctx, start, b.now)
		if err != nil {
			return nil, err
		}
		out := make([]Change, len(rows))
		for i, c := range rows {
			out[i] = Change{StoryID: c.StoryID, Title: c.Title, URL: c.URL, Lang: c.Lang, Outlets: b.outlets(c.Feeds),
				FirstSeenAt: c.FirstSeenAt, Topics: c.Topics, State: c.State, At: c.At, Status: c.Status, Error: c.Error}
		}
		return out, nil
	})
}

// reported asks the ledger which of the stories that may need it (those of
// changes, and late ones first seen before the window) the recipient had
// in an earlier digest.
func (b *batch) reported(ctx context.Context, recipient string, start time.Time, stories []Story, changes []Change) (map[int64]bool, error) {
	var ids []int64
	for _, c := range changes {
		ids = append(ids, c.StoryID)
	}
	for _, s := range stories {
		if s.FirstSeenAt.Before(start) {
			ids = append(ids, s.ID)
		}
	}
	return b.s.Store.ReportedStories(ctx, recipient, ids)
}

// feedHealth loads the health footer, the same for every recipient.
func (b *batch) feedHealth(ctx context.Context) (Sources, error) {
	if b.checked {
		return b.health, nil
	}
	activity, err := b.s.Store.FeedActivity(ctx)
	if err != nil {
		return Sources{}, err
	}
	b.health, b.checked = FeedHealth(b.s.Config.Feeds, activity, b.now, b.s.Config.Display.Location), true
	return b.health, nil
}

// heldBack counts, per alert with a max_per_day, the stories it held back
// in the window from start to now.
func (b *batch) heldBack(ctx context.Context, start time.Time) ([]HeldBack, error) {
	limited := false
	for _, a := range b.s.Config.Alerts {
		limited = limited || a.MaxPerDay > 0
	}
	if !limited {
		return nil, nil
	}
	counts, err := b.s.Store.AlertHeldBack(ctx, start, b.now)
	if err != nil {
		return nil, err
	}
	var out []HeldBack
	for _, a := range b.s.Config.Alerts {
		if n := counts[a.ID]; n > 0 {
			out = append(out, HeldBack{Alert: a.ID, MaxPerDay: a.MaxPerDay, Stories: n})
		}
	}
	return out, nil
}

// storyIDs lists the stories of a digest in the order they appear.
func storyIDs(d *Digest) []int64 {
	var ids []int64
	for _, s := range d.Sections {
		for _, e := range s.Entries {
			ids = append(ids, e.StoryIDs...)
		}
	}
	return ids
}
