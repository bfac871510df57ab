package export

import (
	"crypto/sha1"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// AtomFeed describes the feed around the entries.
type AtomFeed struct {
	// ID is the feed's permanent id. It must not depend on the host the
	// feed was requested under, or a reader following the same feed through
	// two addresses sees two feeds; FeedID gives one.
	ID    string
	Title string
	// Self is the feed's own absolute URL and Alternate the console page it
	// mirrors; either is left out when not an http(s) URL.
	Self      string
	Alternate string
	// FeedNames maps a feed id to the outlet's name for the entries'
	// authors; a feed not in it is named by its id.
	FeedNames map[string]string
	// TopicNames maps a topic id to its name for the categories' labels.
	TopicNames map[string]string
	// Updated is the feed's time when it has no entries; zero means the
	// Unix epoch. With entries it is the latest entry's, so that the same
	// stories always give the same document.
	Updated time.Time
}

// Atom writes the stories as an Atom 1.0 (RFC 4287) feed, in their order.
//
// Entry ids are name-based UUIDs (version 5, RFC 9562): of the story's
// canonical URL in the URL namespace, so the same article has the same id
// in every request, after a rematch and in every civicwatch; a story
// without a URL gets one from its database id instead.
func Atom(w io.Writer, feed AtomFeed, stories []store.MatchedStory) error {
	doc := atomDoc{
		ID:        text(feed.ID),
		Title:     atomText{Type: "text", Body: text(feed.Title)},
		Author:    &atomPerson{Name: "civicwatch"},
		Generator: "civicwatch",
	}
	if u := httpURL(feed.Self); u != "" {
		doc.Links = append(doc.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: u})
	}
	if u := httpURL(feed.Alternate); u != "" {
		doc.Links = append(doc.Links, atomLink{Rel: "alternate", Type: "text/html", Href: u})
	}
	updated := feed.Updated
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	for i, s := range stories {
		e := atomEntry(feed, &s)
		if t := entryUpdated(&s); i == 0 || t.After(updated) {
			updated = t
		}
		doc.Entries = append(doc.Entries, e)
	}
	doc.Updated = atomTime(updated)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	return nil
}

// FeedID is a permanent feed id for a topic's feed ("" for all topics),
// the same on every host.
func FeedID(topic string) string {
	if topic == "" {
		return "urn:uuid:" + uuidV5(civicwatchNS, "feed:all")
	}
	return "urn:uuid:" + uuidV5(civicwatchNS, "feed:topic:"+topic)
}

// EntryID is the permanent id of a story's Atom entry (see Atom).
func EntryID(s *store.Story) string {
	if s.URL != "" {
		return "urn:uuid:" + uuidV5(urlNS, s.URL)
	}
	return "urn:uuid:" + uuidV5(civicwatchNS, "story:"+strconv.FormatInt(s.ID, 10))
}

func atomEntry(feed AtomFeed, s *store.MatchedStory) atomEntryDoc {
	e := atomEntryDoc{
		ID:      EntryID(&s.Story),
		Title:   atomText{Type: "text", Body: text(s.Title)},
		Updated: atomTime(entryUpdated(s)),
	}
	if e.Title.Body == "" {
		e.Title.Body = "(untitled)" // atom:title is required and a reader shows nothing else
	}
	if u := httpURL(s.URL); u != "" {
		e.Links = []atomLink{{Rel: "alternate", Type: "text/html", Href: u}}
	}
	if !s.PublishedAt.IsZero() {
		e.Published = atomTime(s.PublishedAt)
	}
	for _, id := range s.Feeds {
		name := feed.FeedNames[id]
		if name == "" {
			name = id
		}
		e.Authors = append(e.Authors, atomPerson{Name: text(name)})
	}
	var matched []string
	for _, m := range s.Matches {
		c := atomCategory{Term: text(m.Topic), Label: text(feed.TopicNames[m.Topic])}
		e.Categories = append(e.Categories, c)
		label := m.Topic
		if c.Label != "" {
			label = c.Label
		}
		matched = append(matched, label+" ("+strings.Join(match.Terms(m.Hits), ", ")+")")
	}
	summary := text(s.Summary)
	if len(matched) > 0 {
		if summary != "" {
			summary += "\n\n"
		}
		summary += text("Matched: " + strings.Join(matched, "; "))
	}
	if summary != "" {
		e.Summary = &atomText{Type: "text", Body: summary}
	}
	if ev := s.Evidence; ev != nil {
		x := &atomEvidence{State: ev.State, Captures: ev.Captures, LastOutcome: ev.LastOutcome}
		if !ev.FirstCapture.IsZero() {
			x.FirstCapture = atomTime(ev.FirstCapture)
		}
		if !ev.LastCheck.IsZero() {
			x.LastCheck = atomTime(ev.LastCheck)
		}
		e.Evidence = x
	}
	return e
}

// EvidenceNS is the namespace of civicwatch's Atom extension: an entry's
//
//	<evidence xmlns="https://github.com/civicwatch/civicwatch/ns/evidence"
//	  state="edited" captures="2" first-capture="…" last-check="…" last-outcome="edited"/>
//
// says what is kept of the story's page (docs/evidence.md). Atom readers
// skip elements of namespaces they do not know (RFC 4287 §6); the namespace
// is a name, not an address to fetch.
const EvidenceNS = "https://github.com/civicwatch/civicwatch/ns/evidence"

type atomEvidence struct {
	XMLName      xml.Name `xml:"https://github.com/civicwatch/civicwatch/ns/evidence evidence"`
	State        string   `xml:"state,attr"`
	Captures     int      `xml:"captures,attr"`
	FirstCapture string   `xml:"first-capture,attr,omitempty"`
	LastCheck    string   `xml:"last-check,attr,omitempty"`
	LastOutcome  string   `xml:"last-outcome,attr,omitempty"`
}

// entryUpdated is when the story last changed as civicwatch saw it: first
// seen, updated by its feed, or its page found edited, removed, unreachable
// or back again, so a feed reader shows the entry anew when its evidence
// element says something new.
func entryUpdated(s *store.MatchedStory) time.Time {
	t := s.FirstSeenAt
	if s.UpdatedAt.After(t) {
		t = s.UpdatedAt
	}
	if s.Evidence != nil && s.Evidence.LastChange.After(t) {
		t = s.Evidence.LastChange
	}
	return t
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// text makes feed text fit for an XML text node: snippet.Clean drops the
// control characters XML 1.0 cannot carry at all (encoding/xml would only
// turn them into U+FFFD) and the direction overrides that make text read
// backwards; escaping is the encoder's.
func text(s string) string { return snippet.Clean(s) }

type atomDoc struct {
	XMLName   xml.Name       `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string         `xml:"id"`
	Title     atomText       `xml:"title"`
	Updated   string         `xml:"updated"`
	Links     []atomLink     `xml:"link"`
	Author    *atomPerson    `xml:"author"`
	Generator string         `xml:"generator"`
	Entries   []atomEntryDoc `xml:"entry"`
}

type atomEntryDoc struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published,omitempty"`
	Updated    string         `xml:"updated"`
	Authors    []atomPerson   `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary"`
	Evidence   *atomEvidence
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

var (
	// urlNS is RFC 9562's namespace for names that are URLs.
	urlNS = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	// civicwatchNS is civicwatch's own, for names that are not URLs: the
	// version-5 UUID of "https://github.com/civicwatch/civicwatch" in urlNS.
	civicwatchNS = uuidBytes(urlNS, "https://github.com/civicwatch/civicwatch")
)

// uuidV5 is the name-based UUID (SHA-1, version 5) of name in namespace ns.
func uuidV5(ns [16]byte, name string) string {
	u := uuidBytes(ns, name)
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func uuidBytes(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u
}
