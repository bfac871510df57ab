package export

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/civicwatch/civicwatch/internal/store"
)

// evidenceStories are stories() with evidence: the first edited after two
// captures and a re-check, the second queued, the third without a record.
func evidenceStories() []store.MatchedStory {
	s := stories()
	s[0].Evidence = &store.StoryEvidence{State: store.EvidenceEdited, Captures: 2, FirstCapture: day.Add(2*time.Hour + time.Minute),
		LastCheck: day.Add(26 * time.Hour), LastOutcome: "edited", LastChange: day.Add(26 * time.Hour)}
	s[1].Evidence = &store.StoryEvidence{State: store.EvidenceQueued}
	return s
}

func TestAtomCarriesEvidence(t *testing.T) {
	doc := atomBytes(t, AtomFeed{ID: FeedID(""), Title: "all"}, evidenceStories())
	// Read back by namespace, as an extension-aware reader would.
	var parsed struct {
		Entries []struct {
			Evidence *struct {
				State        string `xml:"state,attr"`
				Captures     int    `xml:"captures,attr"`
				FirstCapture string `xml:"first-capture,attr"`
				LastCheck    string `xml:"last-check,attr"`
				LastOutcome  string `xml:"last-outcome,attr"`
			} `xml:"https://github.com/civicwatch/civicwatch/ns/evidence evidence"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if len(parsed.Entries) != 3 {
		t.Fatalf("%d entries", len(parsed.Entries))
	}
	e := parsed.Entries[0].Evidence
	if e == nil || e.State != "edited" || e.Captures != 2 || e.FirstCapture != "2026-11-20T10:01:00Z" ||
		e.LastCheck != "2026-11-21T10:00:00Z" || e.LastOutcome != "edited" {
		t.Errorf("first entry's evidence %+v\n%s", e, doc)
	}
	if e := parsed.Entries[1].Evidence; e == nil || e.State != "queued" || e.Captures != 0 || e.FirstCapture != "" || e.LastCheck != "" {
		t.Errorf("queued entry's evidence %+v", e)
	}
	if parsed.Entries[2].Evidence != nil {
		t.Error("a story without evidence has an evidence element")
	}
	// Readers that do not know the namespace still read the feed, and see
	// the extension under it.
	feed, err := gofeed.NewParser().ParseString(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 3 || len(feed.Items[0].Extensions) == 0 {
		t.Errorf("gofeed: %d items, extensions %v", len(feed.Items), feed.Items[0].Extensions)
	}
}

func TestJSONCarriesEvidence(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, evidenceStories(), ""); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Matches []map[string]json.RawMessage `json:"matches"`
	}
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"state":"edited","captures":2,"first_capture":"2026-11-20T10:01:00Z","last_check":"2026-11-21T10:00:00Z","last_outcome":"edited"}`,
		`{"state":"queued","captures":0,"first_capture":null,"last_check":null,"last_outcome":""}`,
		`null`,
	}
	for i, w := range want {
		if got := string(raw.Matches[i]["evidence"]); got != w {
			t.Errorf("story %d: evidence %s, want %s", i, got, w)
		}
	}
}

// An entry whose page was found edited (or removed, or back) is updated
// then, so a feed reader shows it anew; one whose evidence is only queued
// keeps the time the story was seen or updated.
func TestAtomEntryUpdatedByEvidence(t *testing.T) {
	ss := evidenceStories()
	doc := atomBytes(t, AtomFeed{ID: FeedID(""), Title: "all"}, ss)
	var parsed struct {
		Updated string `xml:"http://www.w3.org/2005/Atom updated"`
		Entries []struct {
			Updated string `xml:"http://www.w3.org/2005/Atom updated"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	if want := atomTime(ss[0].Evidence.LastChange); len(parsed.Entries) != 3 || parsed.Entries[0].Updated != want || parsed.Updated != want {
		t.Errorf("entry updated %+v, feed updated %s; want the edit's time %s", parsed.Entries, parsed.Updated, want)
	}
	if want := atomTime(entryUpdated(&store.MatchedStory{Story: ss[1].Story})); parsed.Entries[1].Updated != want {
		t.Errorf("queued entry updated %s, want %s", parsed.Entries[1].Updated, want)
	}
}
