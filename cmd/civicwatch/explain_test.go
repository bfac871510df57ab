package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/store"
)

// Khmer: សហជីព (union), ចាប់ខ្លួន (arrested). Sites often put a zero-width
// space inside a word, as the archive's Khmer story has in its union.
const (
	kmUnion    = "សហជីព"
	kmUnionZW  = "សហ\u200Bជីព"
	kmArrested = "ចាប់ខ្លួន"
)

// archive is a database filled by polling an RSS feed tagged cambodia and
// an untagged one, with the topics of consoleTopics.
type archive struct {
	dir, cfg, db string
	env          map[string]string
}

const consoleTopics = `topics:
  - id: unions
    name: Trade unions
    rule: (union* OR សហជីព) AND tag:cambodia
  - id: strikes
    rule: strike* AND NOT (football OR striker*)
`

func newArchive(t *testing.T) *archive {
	t.Helper()
	return newArchiveOf(t, consoleItems(), consoleTopics, 5)
}

func consoleItems() map[string][]string {
	return map[string][]string{
		"cam": {
			rssItem("https://news.example/a", "Union leader arrested", "Police arrested the union leader at dawn, a strike was called.", ""),
			rssItem("https://news.example/km", "មេដឹកនាំ"+kmUnionZW+kmArrested, "ប្រធាន"+kmUnionZW+"ត្រូវបានចាប់ខ្លួននៅភ្នំពេញ។", ""),
			rssItem("https://news.example/football", "Football strike talk", "The striker missed.", ""),
			rssItem("https://news.example/cyr", "ПРОФСОЮЗ and the ministry", "Лидер профсоюза задержан.", ""),
		},
		"world": {
			rssItem("https://world.example/eu", "Unions in Europe", "A general strike in Brussels.", "<p>The unions of Europe met.</p>"),
		},
	}
}

// newArchiveOf polls feeds "cam" (tagged cambodia) and "world" serving
// items into a new database under the given topics, and checks that it
// stored n new stories.
func newArchiveOf(t *testing.T, items map[string][]string, topics string, n int) *archive {
	t.Helper()
	mux := http.NewServeMux()
	for id, its := range items {
		mux.HandleFunc("/"+id, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>%s</title>%s</channel></rss>`, id, strings.Join(its, ""))
		})
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	a := &archive{dir: t.TempDir()}
	a.cfg = a.writeConfig(t, ts.URL, topics)
	a.db = filepath.Join(a.dir, "cw.db")
	a.env = map[string]string{"CIVICWATCH_CONFIG": a.cfg, "CIVICWATCH_DB": a.db}
	if code, out, errOut := cli(t, a.env, "poll", "--all"); code != exitOK || !strings.Contains(out, fmt.Sprintf("%d new", n)) {
		t.Fatalf("poll: exit %d\n%s%s", code, out, errOut)
	}
	return a
}

func (a *archive) writeConfig(t *testing.T, base, topics string) string {
	t.Helper()
	cfg := fmt.Sprintf(`fetch:
  timeout: 5s
  allow_private_networks: true
feeds:
  - id: cam
    name: Cambodia News
    url: %[1]s/cam
    tags: [cambodia]
  - id: world
    url: %[1]s/world
%s`, base, topics)
	path := filepath.Join(a.dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func rssItem(link, title, desc, content string) string {
	s := fmt.Sprintf(`<item><guid>%s</guid><link>%s</link><title>%s</title><description>%s</description><pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate>`,
		link, link, title, desc)
	if content != "" {
		s += "<content:encoded><![CDATA[" + content + "]]></content:encoded>"
	}
	return s + "</item>"
}

// storyID finds a stored story's id by its URL.
func (a *archive) storyID(t *testing.T, url string) int64 {
	t.Helper()
	st, err := store.Open(t.Context(), a.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.StoryByURL(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func TestExplain(t *testing.T) {
	a := newArchive(t)
	id := a.storyID(t, "https://news.example/a")

	code, out, errOut := cli(t, a.env, "explain", fmt.Sprint(id))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantIn(t, "explain", out,
		fmt.Sprintf("story %d\n", id),
		"title:       Union leader arrested",
		"url:         https://news.example/a",
		"published:   2026-11-20 08:00 +00:00",
		"tags:        cambodia",
		"cam (Cambodia News)  first seen ",
		"item https://news.example/a",
		"Police arrested the union leader at dawn",
		"unions (Trade unions): MATCHED",
		"union*               title        0-5     »Union« leader arrested",
		"union*               summary     20-25    Police arrested the »union« leader",
		"strikes: MATCHED",
		"strike*              summary",
	)
	if strings.Contains(out, "differ") {
		t.Errorf("stored and live matches agree, yet:\n%s", out)
	}

	// A NOT clause that kept a story out is named.
	code, out, _ = cli(t, a.env, "explain", "https://news.example/football")
	if code != exitOK || !strings.Contains(out, "strikes: not matched\n    vetoed by NOT (football OR striker*)") {
		t.Errorf("veto: exit %d\n%s", code, out)
	}
	// Tags come from the feeds that carried the story: the world feed has none.
	code, out, _ = cli(t, a.env, "explain", "https://world.example/eu")
	if code != exitOK || !strings.Contains(out, "unions (Trade unions): not matched") || !strings.Contains(out, "tags:        -") {
		t.Errorf("untagged feed: exit %d\n%s", code, out)
	}
}

func TestExplainFindsByCanonicalURL(t *testing.T) {
	a := newArchive(t)
	// Tracking parameters, upper-case host and a default port are not part
	// of the stored URL.
	code, out, errOut := cli(t, a.env, "explain", "HTTPS://News.Example:443/a?utm_source=x")
	if code != exitOK || !strings.Contains(out, "Union leader arrested") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
}

func TestExplainUnknownStory(t *testing.T) {
	a := newArchive(t)
	for _, tc := range []struct {
		arg  string
		code int
		want string
	}{
		{"999", exitFail, "no story with id 999"},
		{"https://news.example/nope?utm_source=x", exitFail, "no story stored under https://news.example/nope (the canonical form of https://news.example/nope?utm_source=x)"},
		{"https://news.example/nope", exitFail, "no story stored under https://news.example/nope in"},
		{"javascript:alert(1)", exitUsage, `"javascript:alert(1)" is neither a story id nor an http(s) URL`},
	} {
		code, out, errOut := cli(t, a.env, "explain", tc.arg)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("explain %s: exit %d, stdout %q, stderr %q; want %d and %q", tc.arg, code, out, errOut, tc.code, tc.want)
		}
	}
	if code, _, errOut := cli(t, a.env, "explain"); code != exitUsage || !strings.Contains(errOut, "one story id or URL") {
		t.Errorf("no argument: exit %d, %q", code, errOut)
	}
}

func TestExplainKhmerAndJSON(t *testing.T) {
	a := newArchive(t)
	code, out, errOut := cli(t, a.env, "explain", "--json", "https://news.example/km")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep explained
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Story.Title != "មេដឹកនាំ"+kmUnionZW+kmArrested || rep.Story.Lang != "" && rep.Story.Lang != "km" {
		t.Errorf("story %+v", rep.Story)
	}
	if len(rep.Sightings) != 1 || rep.Sightings[0].Feed != "cam" || rep.Sightings[0].ItemKey != "https://news.example/km" {
		t.Errorf("sightings %+v", rep.Sightings)
	}
	if len(rep.Topics) != 2 || rep.Topics[0].Topic != "unions" || !rep.Topics[0].Matched || !rep.Topics[0].Stored {
		t.Fatalf("topics %+v", rep.Topics)
	}
	var texts []string
	for _, h := range rep.Topics[0].Hits {
		texts = append(texts, string(h.Field)+":"+h.Text)
	}
	if !strings.Contains(strings.Join(texts, " "), "title:"+kmUnionZW) {
		t.Errorf("hits %v: want the Khmer word as written in the title", texts)
	}
	if len(rep.Stale) != 0 {
		t.Errorf("stale %v", rep.Stale)
	}
}

func TestExplainNotesChangedRules(t *testing.T) {
	a := newArchive(t)
	// The unions topic narrows to arrests, strikes goes, civic comes.
	a.writeConfig(t, "http://127.0.0.1:1", `topics:
  - id: unions
    rule: union* AND NOT arrest*
  - id: civic
    rule: police
`)
	code, out, errOut := cli(t, a.env, "explain", "https://news.example/a")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantIn(t, "output", out,
		"unions: not matched\n    vetoed by NOT arrest*",
		"the stored matches differ from the current rules",
		"unions: stored as a match, no longer matches",
		"civic: matches now, not stored as a match",
		"strikes: stored as a match, no longer a topic of the config",
		"run `civicwatch rematch`",
	)
	if code, out, _ := cli(t, a.env, "rematch", "--all"); code != exitOK {
		t.Fatalf("rematch: %d %s", code, out)
	}
	if _, out, _ := cli(t, a.env, "explain", "https://news.example/a"); strings.Contains(out, "differ") {
		t.Errorf("after rematch the stored matches still differ:\n%s", out)
	}
}

// TestExplainTellsTheTruth: hits that counted are shown apart from a hit
// cut out by EXCEPT or turned away by NOT (vetoed, naming the clause, never
// among the reasons), from the trap's own hits, and from a hit whose NEAR
// partner was too far; a topic that does not match says why in one line.
func TestExplainTellsTheTruth(t *testing.T) {
	items := map[string][]string{"cam": {rssItem("https://news.example/eu",
		"European Union envoy meets union leaders",
		"Police arrested a union organiser at dawn, the envoy said, and talks with the union went on for weeks.", "")}}
	a := newArchiveOf(t, items, `topics:
  - id: unions
    rule: (union* EXCEPT "European Union") NEAR/3 arrest* AND tag:cambodia
  - id: eu
    rule: union* AND NOT "European Union"
  - id: civic
    rule: (defender* OR union*) AND court
`, 1)
	code, out, errOut := cli(t, a.env, "explain", "https://news.example/eu")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, unions, _ := strings.Cut(out, "topics under the current rules")
	unions, eu, _ := strings.Cut(unions, "  eu: ")
	eu, civic, _ := strings.Cut(eu, "  civic: ")
	wantIn(t, "unions", unions,
		"  unions: MATCHED\n    why: arrest*, union*\n",
		"    arrest*              summary      7-13    Police »arrest«ed a union organiser",
		"    union*               summary     18-23    Police arrested a »union« organiser",
		"    not reasons:\n",
		"    European Union       title        0-14    »European Union« envoy meets union leaders\n      trap, of (union* EXCEPT \"European Union\")\n",
		"    union*               title        9-14    European »Union« envoy meets union leaders\n      vetoed by (union* EXCEPT \"European Union\")\n",
		"    union*               title       27-32    … Union envoy meets »union« leaders\n      not counted: (union* EXCEPT \"European Union\") NEAR/3 arrest* not met\n",
		"    union*               summary     78-83    … and talks with the »union« went on for weeks.\n      not counted: (union* EXCEPT \"European Union\") NEAR/3 arrest* not met\n",
	)
	why, _, _ := strings.Cut(unions, "not reasons")
	if strings.Contains(why, "European Union") || strings.Contains(why, "»Union«") {
		t.Errorf("a vetoed hit is shown among the reasons:\n%s", why)
	}
	wantIn(t, "eu", eu,
		"not matched\n    vetoed by NOT \"European Union\"\n",
		"      vetoed by NOT \"European Union\"\n",
		"      trap, of NOT \"European Union\"\n")
	if strings.Contains(eu, "why:") {
		t.Errorf("a vetoed topic gives reasons:\n%s", eu)
	}
	wantIn(t, "civic", civic, "not matched\n    no hit of court\n")

	// The same, as JSON: every hit with its state, the reasons apart.
	_, out, _ = cli(t, a.env, "explain", "--json", "https://news.example/eu")
	var rep explained
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, h := range rep.Topics[0].Hits {
		states[string(h.State)]++
	}
	if fmt.Sprint(states) != "map[counted:2 trap:1 unmet:2 vetoed:1]" || strings.Join(rep.Topics[0].Why, ",") != "arrest*,union*" {
		t.Errorf("unions hits by state %v, why %v", states, rep.Topics[0].Why)
	}
	if rep.Topics[1].Missing != `vetoed by NOT "European Union"` || rep.Topics[2].Missing != "no hit of court" {
		t.Errorf("missing: %q, %q", rep.Topics[1].Missing, rep.Topics[2].Missing)
	}
}

// TestExplainShowsTheCreditedOutlet polls an aggregator's result over
// loopback: the story is stored without the outlet's name in its headline,
// and explain (text and JSON) names the outlet it credits.
func TestExplainShowsTheCreditedOutlet(t *testing.T) {
	item := strings.Replace(rssItem("https://news.example/g1", "Union leader arrested - Radio Free Asia", "Union leader arrested  Radio Free Asia", ""),
		"</item>", `<source url="https://rfa.example">Radio Free Asia</source></item>`, 1)
	a := newArchiveOf(t, map[string][]string{"world": {item}}, consoleTopics, 1)
	code, out, errOut := cli(t, a.env, "explain", "https://news.example/g1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "credited") || !strings.Contains(out, "Radio Free Asia (the outlet the aggregator names)") || strings.Contains(out, "arrested - Radio") {
		t.Errorf("explain does not show the credited outlet apart from the headline:\n%s", out)
	}
	_, js, _ := cli(t, a.env, "explain", "--json", "https://news.example/g1")
	if !strings.Contains(js, `"credited": "Radio Free Asia"`) || !strings.Contains(js, `"title": "Union leader arrested"`) {
		t.Errorf("JSON lacks the credited outlet or keeps it in the title:\n%s", js)
	}
}
