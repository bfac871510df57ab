// Package digest builds and renders the daily email: the stories matched for
// a recipient's topics since their previous digest, each once, grouped by
// topic, with the outlets that carried it and why it matched. Building is
// pure (stories in, a Digest out); rendering is templates; delivery and the
// ledger live beside them.
package digest

import (
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
)

// Topic is a topic as configured, in config order.
type Topic struct {
	ID   string
	Name string
}

// Story is a stored story with its matches, as the store hands it over.
type Story struct {
	ID          int64
	Title       string
	URL         string
	Summary     string
	Text        string
	Lang        string
	PublishedAt time.Time
	FirstSeenAt time.Time
	Outlets     []string               // names of the feeds that carried it, first sighting first
	Matches     map[string][]match.Hit // topic id → hits
	// LateTopics, for a story first seen before the window, are the topics
	// its captured article brought within it (store.DigestStory).
	LateTopics []string
}

// FeedProblem is a line of the health footer.
type FeedProblem struct {
	Feed   string // the feed's name
	Reason string // "failing since 24 Nov 06:00 (9 attempts): HTTP 503", "for 9 days (usually daily)"
}

// Recipient is one reader.
type Recipient struct {
	Email  string
	Name   string
	Topics []string // empty: every topic
}

// Input is everything Build needs.
type Input struct {
	Recipient Recipient
	Topics    []Topic        // every configured topic, in config order
	Stories   []Story        // candidates: first seen within the window
	Start     time.Time      // the window: stories first seen in [Start, End)
	End       time.Time      // the moment the digest is built
	Period    time.Time      // the scheduled send time the digest is for; zero: End
	Location  *time.Location // the digest's time zone: what a period's date is
	// Display is the zone times are shown in (config display.timezone);
	// nil shows them in Location.
	Display   *time.Location
	MaxAge    time.Duration // stories published longer before they were first seen stay out
	Health    Sources
	HeldBack  []HeldBack // urgent alerts' stories held back by max_per_day in the window
	Generated time.Time
	// Changes are the evidence changes noticed in the window, every
	// recipient's; Build keeps this reader's (see changes).
	Changes []Change
	// Reported are the stories, among Changes and the late Stories, that
	// were in a digest sent to this recipient before.
	Reported map[int64]bool
}

// HeldBack says how many stories an urgent alert did not push in the
// window because it had reached max_per_day: the digest is where they are
// read, so it says so.
type HeldBack struct {
	Alert     string
	MaxPerDay int
	Stories   int
}

// Digest is one recipient's email, ready to render.
type Digest struct {
	Recipient Recipient
	Date      time.Time // local date of the period
	Start     time.Time // the window: stories first seen in [Start, End)
	End       time.Time
	Matched   int // stories of the window that matched the recipient's topics, backlog included
	Backlog   int // of those, left out as published more than MaxAge before first seen
	MaxAge    time.Duration
	Topics    []Topic   // the recipient's topics, in config order
	Sections  []Section // topics with entries, in config order
	Counts    []Count   // per topic with entries, in config order
	Total     int
	Health    Sources
	HeldBack  []HeldBack
	Changes   []ChangeEntry // "Changed or removed since reported"
	Location  *time.Location
	Display   *time.Location // where the times shown are; never nil after Build
}

// Section is one topic's entries.
type Section struct {
	Topic   Topic
	Entries []Entry
}

// Count is how many entries a topic has.
type Count struct {
	Topic Topic
	N     int
}

// Entry is one story, or one cluster of near-identical stories from several
// outlets, under its first matching topic.
type Entry struct {
	Title   string
	URL     string // "" unless http or https
	Host    string
	Outlets []string
	Time    time.Time // first seen, in the display zone
	// Published is when the outlet dated it, in the display zone; Backlog
	// marks one published long before first seen (display.Backlog).
	Published time.Time
	Backlog   bool
	Lang      string
	Snippet   []snippet.Segment // marked: the matched terms
	Terms     []string          // why it matched: the terms that counted (explain.Why), in order of first appearance
	Badges    []Topic           // its other topics among the recipient's
	// NumTopics counts the configured topics the entry's stories match,
	// the recipient's or not: how widely the news bears on civic space.
	NumTopics int
	StoryIDs  []int64
	// Late marks a story first seen before the window that matched on its
	// captured article within it.
	Late bool
}
