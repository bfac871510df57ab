package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

var day = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// stories are three matched stories, newest first as the store lists them:
// a hostile one, a Khmer one and one without a link or date.
func stories() []store.MatchedStory {
	return []store.MatchedStory{
		{
			Story: store.Story{ID: 3, URL: "https://news.example/3", Title: `<script>alert(1)</script> Union leader "arrested" & held`,
				Summary: "Police detained\x00 the union\x0B leader.\u202E", PublishedAt: day.Add(-2 * time.Hour),
				FirstSeenAt: day.Add(2 * time.Hour), UpdatedAt: day.Add(2 * time.Hour), Feeds: []string{"cambojanews", "vod"}},
			Matches: []store.Match{
				{StoryID: 3, Topic: "moi", Hits: []match.Hit{{Term: "police", Field: match.FieldSummary, Start: 0, End: 6}}},
				{StoryID: 3, Topic: "unions", Hits: []match.Hit{
					{Term: "union*", Field: match.FieldSummary, Start: 26, End: 31},
					{Term: "arrest*", Field: match.FieldTitle, Start: 46, End: 54},
				}},
			},
		},
		{
			Story: store.Story{ID: 2, URL: "https://km.example/2", Title: "មេដឹកនាំសហជីពត្រូវបានចាប់ខ្លួន",
				Summary: "សហ\u200Bជីព", Lang: "km", PublishedAt: day, FirstSeenAt: day.Add(time.Hour), UpdatedAt: day.Add(3 * time.Hour),
				Feeds: []string{"rfa-km"}},
			Matches: []store.Match{{StoryID: 2, Topic: "unions", Hits: []match.Hit{{Term: "សហជីព", Field: match.FieldTitle, Start: 24, End: 39}}}},
		},
		{
			Story:   store.Story{ID: 1, URL: "javascript:alert(1)", Title: "=HYPERLINK(\"http://evil.example\")", FirstSeenAt: day, UpdatedAt: day, Feeds: []string{"x"}},
			Matches: []store.Match{{StoryID: 1, Topic: "civic", Hits: []match.Hit{{Term: "ngo", Field: match.FieldTitle, Start: 0, End: 3}}}},
		},
	}
}

func atomBytes(t *testing.T, feed AtomFeed, s []store.MatchedStory) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Atom(&b, feed, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAtomParsesBackAsAtom(t *testing.T) {
	feed := AtomFeed{ID: FeedID("unions"), Title: "civicwatch: unions", Self: "http://127.0.0.1:8080/feeds/unions.atom",
		Alternate: "http://127.0.0.1:8080/?topic=unions", FeedNames: map[string]string{"cambojanews": "CamboJA News"},
		TopicNames: map[string]string{"unions": "Unions"}}
	first := atomBytes(t, feed, stories())
	// Another request, through another host name: the same entries, ids
	// and dates; only the links differ.
	other := feed
	other.Self, other.Alternate = "https://console.example/feeds/unions.atom", ""
	second := atomBytes(t, other, stories())
	if !bytes.Equal(first, atomBytes(t, feed, stories())) {
		t.Error("two writes of the same feed differ")
	}
	parsed, err := gofeed.NewParser().ParseString(string(first))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, first)
	}
	again, err := gofeed.NewParser().ParseString(string(second))
	if err != nil {
		t.Fatalf("gofeed: %v", err)
	}
	if parsed.FeedType != "atom" || parsed.FeedVersion != "1.0" {
		t.Errorf("feed type %q version %q, want atom 1.0", parsed.FeedType, parsed.FeedVersion)
	}
	if parsed.Title != "civicwatch: unions" || parsed.FeedLink != feed.Self || parsed.Link != feed.Alternate {
		t.Errorf("title %q, self %q, link %q", parsed.Title, parsed.FeedLink, parsed.Link)
	}
	// The feed's time is its latest entry's (story 2 was updated last), not the clock's.
	if want := day.Add(3 * time.Hour); parsed.UpdatedParsed == nil || !parsed.UpdatedParsed.Equal(want) {
		t.Errorf("feed updated %v, want %v", parsed.UpdatedParsed, want)
	}
	if len(parsed.Items) != 3 || len(again.Items) != 3 {
		t.Fatalf("%d and %d entries, want 3", len(parsed.Items), len(again.Items))
	}
	for i, it := range parsed.Items {
		if it.GUID == "" || it.GUID != again.Items[i].GUID {
			t.Errorf("entry %d: id %q, then %q", i, it.GUID, again.Items[i].GUID)
		}
	}
	if got, want := parsed.Items[0].GUID, "urn:uuid:"+uuidV5(urlNS, "https://news.example/3"); got != want {
		t.Errorf("entry id %q, want %q", got, want)
	}

	hostile := parsed.Items[0]
	if hostile.Title != `<script>alert(1)</script> Union leader "arrested" & held` {
		t.Errorf("title %q: want the text as written", hostile.Title)
	}
	if bytes.Contains(first, []byte("<script")) || !bytes.Contains(first, []byte("&lt;script&gt;")) {
		t.Error("the hostile title is not escaped in the document")
	}
	if hostile.Link != "https://news.example/3" || hostile.PublishedParsed == nil || !hostile.PublishedParsed.Equal(day.Add(-2*time.Hour)) {
		t.Errorf("link %q published %v", hostile.Link, hostile.PublishedParsed)
	}
	var authors []string
	for _, a := range hostile.Authors {
		authors = append(authors, a.Name)
	}
	if !slices.Equal(authors, []string{"CamboJA News", "vod"}) {
		t.Errorf("authors %v", authors)
	}
	// gofeed shows a category's label where it has one.
	if !slices.Equal(hostile.Categories, []string{"moi", "Unions"}) || !bytes.Contains(first, []byte(`<category term="unions" label="Unions">`)) {
		t.Errorf("categories %v", hostile.Categories)
	}
	if want := "Police detained the union leader.\n\nMatched: moi (police); Unions (arrest*, union*)"; hostile.Description != want {
		t.Errorf("summary %q, want %q", hostile.Description, want)
	}
	if parsed.Items[1].Title != "មេដឹកនាំសហជីពត្រូវបានចាប់ខ្លួន" {
		t.Errorf("Khmer title %q", parsed.Items[1].Title)
	}
	// A javascript: URL is no link; the story keeps an id of its own.
	if noLink := parsed.Items[2]; noLink.Link != "" || noLink.GUID == parsed.Items[0].GUID {
		t.Errorf("link %q id %q", noLink.Link, noLink.GUID)
	}
	// gofeed fills a missing published from updated; the document has none.
	if n := bytes.Count(first, []byte("<published>")); n != 2 {
		t.Errorf("%d published dates, want 2 (the third story has none)", n)
	}
}

// TestAtomIsWellFormedXML checks with a strict decoder what gofeed, being
// lenient, would forgive: characters XML 1.0 cannot carry.
func TestAtomIsWellFormedXML(t *testing.T) {
	s := stories()
	s[0].Title = "a\x00b\x0Bc\x1Fd\uFFFEe\x7F"
	s[1].Feeds = []string{"\x01feed"}
	doc := atomBytes(t, AtomFeed{ID: FeedID(""), Title: "all\x0C", FeedNames: map[string]string{}}, s)
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
	}
	if bytes.ContainsAny(doc, "\x00\x0B\x0C\x1F\x01") {
		t.Errorf("control characters in the document:\n%q", doc)
	}
}

func TestAtomWithoutEntries(t *testing.T) {
	a := atomBytes(t, AtomFeed{ID: FeedID("civic"), Title: "civic"}, nil)
	parsed, err := gofeed.NewParser().ParseString(string(a))
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.Items) != 0 || parsed.UpdatedParsed == nil || !parsed.UpdatedParsed.Equal(time.Unix(0, 0)) {
		t.Errorf("items %d updated %v", len(parsed.Items), parsed.UpdatedParsed)
	}
}

func TestUUIDv5(t *testing.T) {
	// Python: uuid.uuid5(uuid.NAMESPACE_URL, "https://news.example/1").
	if got := uuidV5(urlNS, "https://news.example/1"); got != "a6af278e-713a-5b62-9971-95dbb9420d2f" {
		t.Errorf("got %s", got)
	}
	if FeedID("unions") == FeedID("moi") || FeedID("") == FeedID("unions") {
		t.Error("feed ids collide")
	}
	a, b := EntryID(&store.Story{ID: 7}), EntryID(&store.Story{ID: 8})
	if a == b || a != EntryID(&store.Story{ID: 7}) {
		t.Errorf("ids of stories without URL: %s, %s", a, b)
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	next := CursorAfter(&stories()[2].Story).String()
	if err := JSON(&b, stories(), next); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("<script")) {
		t.Error("< not escaped: a browser sniffing the response could run it")
	}
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	matches := raw["matches"].([]any)
	first := matches[0].(map[string]any)
	for _, k := range []string{"id", "url", "title", "summary", "published", "first_seen", "feeds", "topics"} {
		if _, ok := first[k]; !ok {
			t.Errorf("field %q missing from %v", k, first)
		}
	}
	if raw["next"] != next {
		t.Errorf("next %v, want %q", raw["next"], next)
	}
	if matches[2].(map[string]any)["published"] != nil {
		t.Error("a story without a date has a published time")
	}
	var page Page
	if err := json.Unmarshal(b.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	want := Topic{Topic: "unions", Terms: []string{"arrest*", "union*"}, Hits: stories()[0].Matches[1].Hits}
	if !reflect.DeepEqual(page.Matches[0].Topics[1], want) {
		t.Errorf("topic %+v, want %+v", page.Matches[0].Topics[1], want)
	}
	if !page.Matches[0].FirstSeen.Equal(day.Add(2 * time.Hour)) {
		t.Errorf("first seen %v", page.Matches[0].FirstSeen)
	}

	b.Reset()
	if err := JSON(&b, nil, ""); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(b.String()); got != `{"matches":[],"next":null}` {
		t.Errorf("empty page: %s", got)
	}
}

func TestCursor(t *testing.T) {
	c := Cursor{Seen: time.Date(2026, 11, 20, 8, 0, 0, 123_000_000, time.FixedZone("ICT", 7*3600)), ID: 42}
	s := c.String()
	if s != "2026-11-20T01:00:00.123Z_42" {
		t.Errorf("cursor %q", s)
	}
	back, err := ParseCursor(s)
	if err != nil || !back.Seen.Equal(c.Seen) || back.ID != 42 {
		t.Errorf("ParseCursor(%q) = %+v, %v", s, back, err)
	}
	for _, bad := range []string{"", "42", "yesterday_42", "2026-11-20T01:00:00Z_", "2026-11-20T01:00:00Z_x", "2026-11-20T01:00:00Z_-1"} {
		if _, err := ParseCursor(bad); !errors.Is(err, ErrCursor) {
			t.Errorf("ParseCursor(%q): %v, want ErrCursor", bad, err)
		}
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	s := stories()
	s[1].Title = "-1 + 1 strike\r\nsecond line"
	s[1].Feeds = []string{"@feed"}
	if err := CSV(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\r\n") {
		t.Error("rows not ended by CRLF")
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0], CSVHeader) {
		t.Fatalf("rows %q", rows)
	}
	for _, tc := range []struct {
		row, col int
		want     string
	}{
		{1, 0, "2026-11-20T10:00:00Z"},
		{1, 1, "2026-11-20T06:00:00Z"},
		{1, 2, "moi unions"},
		{1, 3, `<script>alert(1)</script> Union leader "arrested" & held`},
		{1, 4, "cambojanews vod"},
		{1, 5, "https://news.example/3"},
		{1, 6, "police; arrest*; union*"},
		{2, 3, "'-1 + 1 strike second line"},
		{2, 4, "'@feed"},
		{3, 1, ""},
		{3, 3, `'=HYPERLINK("http://evil.example")`},
		{3, 5, ""}, // a javascript: address is no link here either
	} {
		if got := rows[tc.row][tc.col]; got != tc.want {
			t.Errorf("row %d %s: %q, want %q", tc.row, rows[0][tc.col], got, tc.want)
		}
	}
}

func TestInert(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\t=1": "'\t=1", "\r=1": "'\r=1",
		"": "", "union": "union", "1-1": "1-1", "'quoted": "'quoted",
	} {
		if got := inert(in); got != want {
			t.Errorf("inert(%q) = %q, want %q", in, got, want)
		}
	}
}

// evalLine is what `civicwatch eval` reads of a line (cmd/civicwatch's
// inputStory); the command itself reads an export in cmd's labels test.
type evalLine struct {
	ID      json.RawMessage `json:"id"`
	Title   string          `json:"title"`
	Summary string          `json:"summary"`
	Content string          `json:"content"`
	Tags    []string        `json:"tags"`
	Expect  string          `json:"expect"`
	Topics  []string        `json:"topics"`
}

func TestLabelledJSONL(t *testing.T) {
	archive := []store.Story{
		{ID: 1, Title: "Union leader arrested", Summary: "s", Text: "s", URL: "https://a.example/1", Lang: "en",
			PublishedAt: day, Feeds: []string{"cambojanews", "vod"}},
		{ID: 2, Title: "Football results", Summary: "s", Text: "the union of clubs", Feeds: []string{"sport"}},
		{ID: 3, Title: "Ministry of Interior suspends union", Feeds: []string{"cambojanews"}},
		{ID: 4, Title: "not labelled"},
	}
	labels := []store.Label{
		{StoryID: 1, Topic: "moi", Relevant: false},
		{StoryID: 1, Topic: "unions", Relevant: true},
		{StoryID: 2, Topic: "unions", Relevant: false},
		{StoryID: 3, Topic: "moi", Relevant: true},
		{StoryID: 3, Topic: "unions", Relevant: true},
	}
	feeds := []config.Feed{{ID: "cambojanews", Tags: []string{"cambodia"}}, {ID: "vod"}}
	var b bytes.Buffer
	if err := LabelledJSONL(&b, archive, labels, feeds); err != nil {
		t.Fatal(err)
	}
	var lines []LabelledStory
	var cases []evaluate.Case
	rules, err := match.Compile([]match.Topic{
		{ID: "unions", Rule: "union* AND (arrest* OR suspend* OR tag:cambodia)"},
		{ID: "moi", Rule: `"ministry of interior"`},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		var l LabelledStory
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		lines = append(lines, l)
		var in evalLine
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			t.Fatal(err)
		}
		exp, err := evaluate.ParseExpect(in.Expect)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rules.Match(&match.Story{Title: in.Title, Summary: in.Summary, Content: in.Content, Tags: in.Tags}) {
			got = append(got, r.Topic)
		}
		cases = append(cases, evaluate.Case{Expect: exp, Want: in.Topics, Got: got})
	}
	want := []LabelledStory{
		{ID: 1, Title: "Union leader arrested", Summary: "s", URL: "https://a.example/1", Source: "cambojanews",
			Published: "2026-11-20", Lang: "en", Tags: []string{"cambodia"}, Expect: "relevant", Topics: []string{"unions"}},
		{ID: 2, Title: "Football results", Summary: "s", Content: "the union of clubs", Source: "sport",
			Tags: []string{}, Expect: "not", Topics: []string{}},
		{ID: 3, Title: "Ministry of Interior suspends union", Source: "cambojanews", Tags: []string{"cambodia"},
			Expect: "relevant", Topics: []string{"moi", "unions"}},
	}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines\n%+v\nwant\n%+v", lines, want)
	}
	rep := evaluate.Score(rules.TopicIDs(), cases)
	if rep.Relevant != 2 || rep.Not != 1 || rep.Stories.TP != 2 || rep.Stories.FP != 0 {
		t.Errorf("scored %+v", rep)
	}
}
