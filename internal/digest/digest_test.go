package digest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/match"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	amsterdam, _ = time.LoadLocation("Europe/Amsterdam")
	periodEnd    = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC) // 07:00 in Amsterdam
	topics       = []Topic{{"unions", "Cambodian unions"}, {"molvt", "Ministry of Labour"}, {"moi", "Ministry of Interior"}, {"civic", "Civic space"}}
)

func hit(term string, f match.Field, text, sub string) match.Hit {
	i := strings.Index(text, sub)
	if i < 0 {
		panic("fixture: " + sub + " not in " + text)
	}
	return match.Hit{Term: term, Field: f, Start: i, End: i + len(sub)}
}

// fixtureStories is a morning's worth of matched stories, traps included.
func fixtureStories() []Story {
	s1 := Story{ID: 1, Title: "Union leader arrested after garment factory strike", URL: "https://cambojanews.com/union-leader-arrested/",
		Summary: "Police detained the president of a garment union in Phnom Penh on Monday, a day after workers walked out over unpaid wages.",
		Lang:    "en", FirstSeenAt: periodEnd.Add(-3 * time.Hour), PublishedAt: periodEnd.Add(-4 * time.Hour),
		Outlets: []string{"CamboJA News", "Khmer Times"}}
	s1.Matches = map[string][]match.Hit{
		"unions": {hit("union", match.FieldTitle, s1.Title, "Union"), hit("arrest*", match.FieldTitle, s1.Title, "arrested"), hit("union", match.FieldSummary, s1.Summary, "union")},
		"civic":  {hit("detained", match.FieldSummary, s1.Summary, "detained")},
	}
	// The same news under another URL, from a wire service: one entry.
	s2 := Story{ID: 2, Title: "Union Leader Arrested After Garment-Factory Strike", URL: "https://wire.example/kh/1234",
		Summary: "A union president was arrested in Phnom Penh.", Lang: "en",
		FirstSeenAt: periodEnd.Add(-2 * time.Hour), PublishedAt: periodEnd.Add(-2 * time.Hour), Outlets: []string{"Wire"}}
	s2.Matches = map[string][]match.Hit{"unions": {hit("union", match.FieldTitle, s2.Title, "Union")}}
	s3 := Story{ID: 3, Title: "ក្រសួង\u200bមហាផ្ទៃ ព្រមាន\u200bសមាគម\u200bមួយ", URL: "https://khmer.cambojanews.com/moi-warns/",
		Summary: "ក្រសួង\u200bមហាផ្ទៃ បាន​ព្រមាន​សមាគម​មួយ​ក្នុង​ខេត្ត​កណ្ដាល ពី​ការ​រៀបចំ​វេទិកា​សាធារណៈ។", Lang: "km",
		// Backlog: published three days before it was first seen, within max_age.
		FirstSeenAt: periodEnd.Add(-5 * time.Hour), PublishedAt: periodEnd.Add(-77 * time.Hour), Outlets: []string{"CamboJA ខ្មែរ"}}
	s3.Matches = map[string][]match.Hit{"moi": {hit("ក្រសួងមហាផ្ទៃ", match.FieldTitle, s3.Title, "ក្រសួង\u200bមហាផ្ទៃ"), hit("ក្រសួងមហាផ្ទៃ", match.FieldSummary, s3.Summary, "ក្រសួង\u200bមហាផ្ទៃ")}}
	// Hostile text: a header injection, script, a javascript: link and a
	// right-to-left override.
	s4 := Story{ID: 4, Title: "NGO suspended\r\nBcc: x@example.org <script>alert(1)</script> \u202Egnp.exe", URL: "javascript:alert(1)",
		Summary: `<img src=x onerror=alert(1)> The Ministry of Interior suspended the association.`, Lang: "en",
		FirstSeenAt: periodEnd.Add(-1 * time.Hour), PublishedAt: periodEnd.Add(-1 * time.Hour), Outlets: []string{"Hostile <b>Outlet</b>"}}
	s4.Matches = map[string][]match.Hit{"moi": {hit("Ministry of Interior", match.FieldSummary, s4.Summary, "Ministry of Interior")}}
	// Out of the window, and old news from a new feed's backlog: left out.
	s5 := Story{ID: 5, Title: "Yesterday's story", FirstSeenAt: periodEnd.Add(-30 * time.Hour), PublishedAt: periodEnd.Add(-30 * time.Hour),
		Matches: map[string][]match.Hit{"unions": nil}, Outlets: []string{"X"}}
	s6 := Story{ID: 6, Title: "A 2019 strike", FirstSeenAt: periodEnd.Add(-1 * time.Hour), PublishedAt: periodEnd.AddDate(-7, 0, 0),
		Matches: map[string][]match.Hit{"unions": nil}, Outlets: []string{"X"}}
	return []Story{s1, s2, s3, s4, s5, s6}
}

func fixtureInput(r Recipient) Input {
	return Input{Recipient: r, Topics: topics, Stories: fixtureStories(), Start: periodEnd.Add(-24 * time.Hour), End: periodEnd,
		Location: amsterdam, MaxAge: 7 * 24 * time.Hour, Generated: periodEnd,
		Health: Sources{Enabled: 24, Failing: []FeedProblem{{Feed: "Rasmei", Reason: "failing since 24 Nov 06:10 (9 attempts): HTTP 503 Service Unavailable"}},
			Silent: []FeedProblem{{Feed: "Khmer Times", Reason: "for 9 days (usually daily)"}}}}
}

func TestBuildSelectsClustersAndOrders(t *testing.T) {
	d := Build(fixtureInput(Recipient{Email: "a@example.org"}))
	if d.Total != 3 {
		t.Fatalf("total %d, want 3 entries (two stories clustered, two left out)", d.Total)
	}
	var got []string
	for _, s := range d.Sections {
		for _, e := range s.Entries {
			got = append(got, s.Topic.ID+":"+strings.Join(e.Outlets, "+"))
		}
	}
	want := "unions:CamboJA News+Khmer Times+Wire moi:Hostile <b>Outlet</b> moi:CamboJA ខ្មែរ"
	if strings.Join(got, " ") != want {
		t.Errorf("entries = %v, want %v", got, want)
	}
	e := d.Sections[0].Entries[0]
	if len(e.Badges) != 1 || e.Badges[0].ID != "civic" {
		t.Errorf("badges = %v, want civic", e.Badges)
	}
	if hostile := d.Sections[1].Entries[0]; hostile.URL != "" || strings.ContainsAny(hostile.Title, "\r\n\u202E") {
		t.Errorf("hostile entry kept %q / %q", hostile.URL, hostile.Title)
	}
	// A recipient of one topic sees only that topic.
	d = Build(fixtureInput(Recipient{Email: "b@example.org", Topics: []string{"moi"}}))
	if d.Total != 2 || len(d.Sections) != 1 || d.Sections[0].Topic.ID != "moi" {
		t.Errorf("moi-only digest: %d entries in %d sections", d.Total, len(d.Sections))
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; rerun with -update and review the diff:\n%s", name, got)
	}
}

func TestRenderGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Input
	}{
		{"digest", fixtureInput(Recipient{Email: "a@example.org"})},
		{"empty", Input{Recipient: Recipient{Email: "a@example.org", Topics: []string{"moi"}}, Topics: topics,
			Start: periodEnd.Add(-24 * time.Hour), End: periodEnd, Location: amsterdam, Health: Sources{Enabled: 3}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Render(Build(c.in), "")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".subject", r.Subject+"\n")
			golden(t, c.name+".txt", r.Text)
			golden(t, c.name+".html", r.HTML)
		})
	}
}

func TestRenderNeutralisesFeedText(t *testing.T) {
	r, err := Render(Build(fixtureInput(Recipient{Email: "a@example.org"})), "")
	if err != nil {
		t.Fatal(err)
	}
	checkSafeHTML(t, r.HTML)
	if strings.ContainsAny(r.Subject, "\r\n") || strings.Contains(r.Subject, "Bcc") {
		t.Errorf("subject %q carries feed text", r.Subject)
	}
	if strings.Contains(r.HTML, "\u202e") || strings.Contains(r.Text, "\u202e") {
		t.Error("a right-to-left override survived")
	}
	if !strings.Contains(r.HTML, "ក្រសួង\u200bមហាផ្ទៃ") || !strings.Contains(r.Text, "ក្រសួង\u200bមហាផ្ទៃ") {
		t.Error("Khmer text did not survive rendering")
	}
}

// checkSafeHTML fails on anything active or remote in a rendered digest.
func checkSafeHTML(t *testing.T, doc string) {
	t.Helper()
	mailtest.CheckSafeHTML(t, doc)
}

// TestBuildOrdersByTopicsThenOutlets pins the order within a section: a
// story matching more topics first, then one carried by more outlets, then
// the newest.
func TestBuildOrdersByTopicsThenOutlets(t *testing.T) {
	story := func(id int64, title string, hoursAgo int, outlets []string, topics ...string) Story {
		s := Story{ID: id, Title: title, URL: "https://example.org/" + title, FirstSeenAt: periodEnd.Add(-time.Duration(hoursAgo) * time.Hour),
			Outlets: outlets, Matches: map[string][]match.Hit{}}
		s.PublishedAt = s.FirstSeenAt
		for _, tp := range topics {
			s.Matches[tp] = nil
		}
		return s
	}
	stories := []Story{
		story(1, "newest one outlet", 1, []string{"A"}, "unions"),
		story(2, "older three outlets", 5, []string{"A", "B", "C"}, "unions"),
		story(3, "oldest two topics", 9, []string{"A"}, "unions", "civic"),
		story(4, "older two outlets", 4, []string{"A", "B"}, "unions"),
		story(5, "three topics", 8, []string{"A"}, "unions", "moi", "civic"),
		story(6, "older one outlet", 3, []string{"B"}, "unions"),
	}
	for _, c := range []struct {
		name      string
		recipient Recipient
		want      string
	}{
		// Topics the recipient does not take still weigh: the story
		// bears on more of civic space.
		{"every topic", Recipient{Email: "a@example.org"},
			"three topics|oldest two topics|older three outlets|older two outlets|newest one outlet|older one outlet"},
		{"unions only", Recipient{Email: "b@example.org", Topics: []string{"unions"}},
			"three topics|oldest two topics|older three outlets|older two outlets|newest one outlet|older one outlet"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := Input{Recipient: c.recipient, Topics: topics, Stories: stories, Start: periodEnd.Add(-24 * time.Hour), End: periodEnd, Location: amsterdam}
			d := Build(in)
			if len(d.Sections) == 0 || d.Sections[0].Topic.ID != "unions" {
				t.Fatalf("sections %+v, want unions first", d.Sections)
			}
			var got []string
			for _, e := range d.Sections[0].Entries {
				got = append(got, e.Title)
			}
			if strings.Join(got, "|") != c.want {
				t.Errorf("order\n got %s\nwant %s", strings.Join(got, "|"), c.want)
			}
		})
	}
}

// TestDisplayZone: the period's date is the digest's zone, the times shown
// are the display zone's, with the offset in the window line.
func TestDisplayZone(t *testing.T) {
	pp, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	in := fixtureInput(Recipient{Email: "a@example.org"})
	in.Display = pp
	d := Build(in)
	if d.Date.Location() != amsterdam || d.Display != pp {
		t.Fatalf("date in %v, display %v", d.Date.Location(), d.Display)
	}
	r, err := Render(d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Stories first seen 25 Nov 13:00 – 26 Nov 13:00 (Asia/Phnom_Penh, UTC+07:00)",
		"CamboJA ខ្មែរ · first seen 26 Nov 08:00 · published 23 Nov 08:00 (backlog)"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
}
