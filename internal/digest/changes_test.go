package digest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// fixtureChanges are a window's evidence changes, traps included: a
// story the reader had (edited, then removed), a Khmer story of theirs
// matched before the window and never sent (removed by a redirect home), an
// unreachable one, a story first seen in the window (its entry shows it
// as it is), a change of the window before, and a story of a topic the
// reader does not take.
func fixtureChanges() ([]Change, map[int64]bool) {
	before := periodEnd.Add(-72 * time.Hour)
	return []Change{
			{StoryID: 10, Title: "Union leader arrested last week", URL: "https://cambojanews.com/union-leader-last-week/", Lang: "en",
				Outlets: []string{"CamboJA News"}, FirstSeenAt: before, Topics: []string{"unions"}, State: StateEdited, At: periodEnd.Add(-10 * time.Hour)},
			{StoryID: 11, Title: "ក្រសួង\u200bមហាផ្ទៃ ផ្អាក​សមាគម", URL: "https://khmer.cambojanews.com/moi-suspends/", Lang: "km",
				Outlets: []string{"CamboJA ខ្មែរ"}, FirstSeenAt: before, Topics: []string{"moi"}, State: StateRemoved, At: periodEnd.Add(-9 * time.Hour),
				Status: 200, Error: "redirected to the site's home page"},
			{StoryID: 12, Title: "Activists detained\r\nBcc: x@example.org \u202Egnp.exe", URL: "javascript:alert(1)", Lang: "en",
				Outlets: []string{"Hostile <b>Outlet</b>"}, FirstSeenAt: before, Topics: []string{"civic"}, State: StateUnreachable, At: periodEnd.Add(-8 * time.Hour),
				Error: "dial tcp: connection refused"},
			{StoryID: 10, Title: "Union leader arrested last week", URL: "https://cambojanews.com/union-leader-last-week/", Lang: "en",
				Outlets: []string{"CamboJA News"}, FirstSeenAt: before, Topics: []string{"unions"}, State: StateRemoved, At: periodEnd.Add(-2 * time.Hour), Status: 404},
			{StoryID: 12, Title: "Activists detained\r\nBcc: x@example.org \u202Egnp.exe", URL: "javascript:alert(1)", Lang: "en",
				Outlets: []string{"Hostile <b>Outlet</b>"}, FirstSeenAt: before, Topics: []string{"civic"}, State: StateRestored, At: periodEnd.Add(-1*time.Hour - 30*time.Minute),
				Status: 200},
			{StoryID: 13, Title: "New today, edited today", FirstSeenAt: periodEnd.Add(-5 * time.Hour), Topics: []string{"unions"}, State: StateEdited, At: periodEnd.Add(-1 * time.Hour)},
			{StoryID: 14, Title: "Changed before this window", FirstSeenAt: before, Topics: []string{"unions"}, State: StateRemoved, At: periodEnd.Add(-25 * time.Hour), Status: 410},
			{StoryID: 15, Title: "Football final postponed", FirstSeenAt: before, Topics: []string{"sport"}, State: StateRemoved, At: periodEnd.Add(-3 * time.Hour), Status: 404},
		},
		map[int64]bool{10: true, 12: true, 14: true}
}

// fixtureLate is a story first seen three days ago whose captured article
// matched unions in the window, and one the reader already had.
func fixtureLate() []Story {
	s := Story{ID: 20, Title: "Hearing postponed in Kandal", URL: "https://vodenglish.news/hearing-postponed/", Lang: "en",
		Summary: "A provincial court postponed a hearing.", FirstSeenAt: periodEnd.Add(-72 * time.Hour), PublishedAt: periodEnd.Add(-73 * time.Hour),
		Outlets: []string{"VOD"}, LateTopics: []string{"unions"},
		Matches: map[string][]match.Hit{"unions": {{Term: "union", Field: match.FieldArticle, Start: 4, End: 9}}}}
	had := s
	had.ID, had.Title, had.URL = 21, "Already sent once", "https://vodenglish.news/already/"
	return []Story{s, had}
}

func changesInput(r Recipient) Input {
	in := fixtureInput(r)
	in.Changes, in.Reported = fixtureChanges()
	in.Reported[21] = true
	in.Stories = append(in.Stories, fixtureLate()...)
	return in
}

func TestChangesSection(t *testing.T) {
	for _, c := range []struct {
		name      string
		recipient Recipient
		want      string // story: states
	}{
		{"every topic", Recipient{Email: "a@example.org"}, "10:edited,removed 11:removed 12:unreachable,restored 15:removed"},
		// A story sent to the reader before is theirs whatever their
		// topics now; one never sent is theirs by topic.
		{"moi only", Recipient{Email: "b@example.org", Topics: []string{"moi"}}, "10:edited,removed 11:removed 12:unreachable,restored"},
		{"sport only", Recipient{Email: "c@example.org", Topics: []string{"sport"}}, "10:edited,removed 12:unreachable,restored 15:removed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := changesInput(c.recipient)
			in.Topics = append(in.Topics, Topic{"sport", "Sport"})
			d := Build(in)
			var got []string
			for _, e := range d.Changes {
				var states []string
				for _, ev := range e.Events {
					states = append(states, ev.State)
				}
				got = append(got, strconv.FormatInt(e.StoryID, 10)+":"+strings.Join(states, ","))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("changes %q, want %q", strings.Join(got, " "), c.want)
			}
		})
	}
	d := Build(changesInput(Recipient{Email: "a@example.org"}))
	if e := d.Changes[2]; e.URL != "" || strings.ContainsAny(e.Title, "\r\n\u202E") {
		t.Errorf("hostile change kept %q / %q", e.URL, e.Title)
	}
	if got := d.Changes[0].Events[1].Detail; got != "HTTP 404 Not Found" {
		t.Errorf("removed detail %q", got)
	}
	// The late story is in its topic's section, once, marked; the one
	// already sent is not.
	var late []string
	for _, s := range d.Sections {
		for _, e := range s.Entries {
			if e.Late {
				late = append(late, s.Topic.ID+":"+e.Title)
			}
			if e.Title == "Already sent once" {
				t.Error("a late story the reader had is sent again")
			}
		}
	}
	if strings.Join(late, " ") != "unions:Hearing postponed in Kandal" {
		t.Errorf("late entries %q", late)
	}
	if d := Build(changesInput(Recipient{Email: "b@example.org", Topics: []string{"moi"}})); strings.Contains(sectionTitles(d), "Hearing postponed") {
		t.Error("a late story reached a reader without its topic")
	}
}

func sectionTitles(d *Digest) string {
	var out []string
	for _, s := range d.Sections {
		for _, e := range s.Entries {
			out = append(out, e.Title)
		}
	}
	return strings.Join(out, "|")
}

func TestRenderChangesGolden(t *testing.T) {
	r, err := Render(Build(changesInput(Recipient{Email: "a@example.org"})), "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "changes.txt", r.Text)
	golden(t, "changes.html", r.HTML)
	checkSafeHTML(t, r.HTML)
	for _, part := range []string{r.Text, r.HTML} {
		if n := strings.Count(part, "Changed or removed since reported (3)"); n != 1 {
			t.Errorf("section heading %d times, want once", n)
		}
		if !strings.Contains(part, "ក្រសួង\u200bមហាផ្ទៃ ផ្អាក​សមាគម") || !strings.Contains(part, "https://khmer.cambojanews.com/moi-suspends/") {
			t.Error("the Khmer change lost its title or link")
		}
		if strings.Contains(part, "\u202e") || strings.Contains(part, "javascript:") {
			t.Error("hostile text survived")
		}
		if n := strings.Count(part, "first captured it is kept"); n != 3 {
			t.Errorf("the capture is said kept %d times, want 3", n)
		}
	}
	if !strings.Contains(r.Text, "edited (noticed 25 Nov 21:00; the new version is captured too), then removed (noticed 26 Nov 05:00: HTTP 404 Not Found)") {
		t.Errorf("text lacks the story's two changes:\n%s", r.Text)
	}
}

// TestChangesReportedOnceThroughTheLedger runs three mornings over a real
// store: a change is told in the digest whose window holds it (one
// noticed at the very moment a digest is built goes to the next), once,
// to the readers who had the story; a story the article made match comes
// once, in the next digest.
func TestChangesReportedOnceThroughTheLedger(t *testing.T) {
	r := newRig(t, "")
	ctx := t.Context()
	r.poll("cam", day1.Add(-2*time.Hour), story("u1", "Union leader arrested", ""), story("m1", "Ministry of Interior warns NGO", ""),
		story("t1", "Hearing postponed in Kandal", "A provincial court postponed a hearing."))
	r.send(day1)
	id := map[string]int64{}
	all, err := r.st.Stories(ctx, store.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		id[strings.TrimPrefix(s.URL, "https://news.example/")] = s.ID
	}
	if _, err := r.st.EnqueueEvidence(ctx, false, day1); err != nil {
		t.Fatal(err)
	}
	capture := func(key, text string, at time.Time) {
		t.Helper()
		c := &store.Capture{StoryID: id[key], CapturedAt: at, URL: "https://news.example/" + key, FinalURL: "https://news.example/" + key,
			Status: 200, BodySHA256: "00", WARCFile: "w", WARCRecordID: "<urn:uuid:x>", Text: text, TextSHA256: "11"}
		s, err := r.st.Story(ctx, id[key])
		if err != nil {
			t.Fatal(err)
		}
		s.Article = text
		ms := s.MatchStory([]string{"cambodia"})
		c.Rematch = &store.Rematch{Version: r.cfg.Rules.Version(), Results: r.cfg.Rules.Match(&ms), At: at}
		if err := r.st.SaveCapture(ctx, c, at.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(key, outcome, state string, status int, at time.Time) {
		t.Helper()
		c := &store.Check{StoryID: id[key], At: at, Outcome: outcome, Status: status, State: state, NextCheck: at.Add(24 * time.Hour)}
		if outcome == "edited" {
			c.Capture = &store.Capture{StoryID: id[key], CapturedAt: at, URL: "u", FinalURL: "u", Status: 200, BodySHA256: "22",
				WARCFile: "w", WARCRecordID: "<urn:uuid:y>", Text: "Union leader arrested, then freed.", TextSHA256: "33"}
		}
		if err := r.st.SaveCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	capture("u1", "Union leader arrested.", day1.Add(time.Hour))
	capture("m1", "Ministry of Interior warns NGO.", day1.Add(time.Hour))
	capture("t1", "The union leader's hearing was postponed.", day1.Add(time.Hour)) // the article brings unions
	check("u1", "edited", store.EvidenceEdited, 200, day1.Add(3*time.Hour))
	check("m1", "removed", store.EvidenceRemoved, 404, day1.Add(4*time.Hour))
	day2 := day1.Add(24 * time.Hour)
	check("t1", "removed", store.EvidenceRemoved, 410, day2) // at the moment the second digest is built: the third's

	// The store hands over the late story alone, with the topic its
	// article brought: u1 and m1, captured in the window too, brought none.
	late, err := r.st.DigestStories(ctx, day1, day2)
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 1 || late[0].ID != id["t1"] || strings.Join(late[0].LateTopics, ",") != "unions" {
		t.Fatalf("stories of the second window: %+v, want t1 late for unions", late)
	}

	texts := func(at time.Time) map[string]string {
		t.Helper()
		before := map[string]int{"a@example.org": len(r.srv.To("a@example.org")), "b@example.org": len(r.srv.To("b@example.org"))}
		r.send(at)
		out := map[string]string{}
		for rcpt, n := range before {
			msgs := r.srv.To(rcpt)
			if len(msgs) == n+1 {
				out[rcpt] = strings.ReplaceAll(mailtest.Parse(t, msgs[n].Data).Part("text/plain"), "\r\n", "\n")
			}
		}
		return out
	}
	section := func(text string) string {
		_, after, ok := strings.Cut(text, "== Changed or removed since reported")
		if !ok {
			return ""
		}
		sec, _, _ := strings.Cut(after, "\n--\n")
		return sec
	}

	d2 := texts(day2)
	a, b := section(d2["a@example.org"]), section(d2["b@example.org"])
	if !strings.Contains(a, "Union leader arrested") || !strings.Contains(a, "Ministry of Interior warns NGO") || strings.Contains(a, "Hearing postponed") {
		t.Errorf("a's second digest: changes section\n%s", a)
	}
	if !strings.Contains(b, "Ministry of Interior warns NGO") || strings.Contains(b, "Union leader") {
		t.Errorf("b's second digest: changes section\n%s", b)
	}
	if n := strings.Count(d2["a@example.org"], "Hearing postponed in Kandal"); n != 1 || !strings.Contains(d2["a@example.org"], "(matched on the captured article)") {
		t.Errorf("a's second digest has the article-matched story %d times, want once, marked:\n%s", n, d2["a@example.org"])
	}
	if strings.Contains(d2["b@example.org"], "Hearing postponed") {
		t.Error("b, who does not take unions, got the article-matched story")
	}

	// The third morning: m1 is still removed (no change), u1 unchanged;
	// t1's removal, noticed as the second digest was built, is here.
	check("m1", "removed", store.EvidenceRemoved, 404, day2.Add(time.Hour))
	check("u1", "unchanged", store.EvidenceUnchanged, 200, day2.Add(time.Hour))
	d3 := texts(day2.Add(24 * time.Hour))
	a = section(d3["a@example.org"])
	if strings.Contains(a, "Union leader") || strings.Contains(a, "Ministry of Interior") || !strings.Contains(a, "Hearing postponed in Kandal") {
		t.Errorf("a's third digest: changes section\n%s", a)
	}
	if strings.Count(d3["a@example.org"], "Hearing postponed in Kandal") != 1 {
		t.Errorf("a's third digest lists the late story again:\n%s", d3["a@example.org"])
	}
	if strings.Contains(d3["b@example.org"], "Changed or removed") {
		t.Errorf("b's third digest repeats a change:\n%s", d3["b@example.org"])
	}

	// The fourth morning: m1, which both readers were told was removed,
	// answers again. They hear it once; u1 staying unchanged is not news.
	day3 := day2.Add(24 * time.Hour)
	check("m1", "unchanged", store.EvidenceUnchanged, 200, day3.Add(time.Hour))
	check("u1", "unchanged", store.EvidenceUnchanged, 200, day3.Add(2*time.Hour))
	d4 := texts(day3.Add(24 * time.Hour))
	for _, rcpt := range []string{"a@example.org", "b@example.org"} {
		sec := section(d4[rcpt])
		if !strings.Contains(sec, "Ministry of Interior warns NGO") || !strings.Contains(sec, "restored (noticed") ||
			strings.Contains(sec, "Union leader") {
			t.Errorf("%s's fourth digest: changes section\n%s", rcpt, sec)
		}
	}
	d5 := texts(day3.Add(48 * time.Hour))
	for rcpt, text := range d5 {
		if strings.Contains(text, "restored") {
			t.Errorf("%s's fifth digest repeats the restoration:\n%s", rcpt, text)
		}
	}
}

// TestAChangeAloneIsSent: with send_empty false, a morning with no new
// story but a removed article the reader had still sends, with the section
// and nothing else; the next morning, with nothing at all, is skipped.
func TestAChangeAloneIsSent(t *testing.T) {
	r := newRig(t, "  send_empty: false\n")
	ctx := t.Context()
	r.poll("cam", day1.Add(-time.Hour), story("m1", "Ministry of Interior warns NGO", ""))
	if res := r.send(day1); res["b@example.org"].Outcome != OutcomeSent {
		t.Fatalf("first digest: %+v", res["b@example.org"])
	}
	s, err := r.st.StoryByURL(ctx, "https://news.example/m1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.EnqueueEvidence(ctx, true, day1); err != nil {
		t.Fatal(err)
	}
	if err := r.st.SaveCapture(ctx, &store.Capture{StoryID: s.ID, CapturedAt: day1, URL: "u", FinalURL: "u", Status: 200,
		BodySHA256: "aa", WARCFile: "w", WARCRecordID: "<urn:uuid:1>"}, day1.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.st.SaveCheck(ctx, &store.Check{StoryID: s.ID, At: day1.Add(2 * time.Hour), Outcome: "removed", Status: 410,
		State: store.EvidenceRemoved}); err != nil {
		t.Fatal(err)
	}
	res := r.send(day1.Add(24 * time.Hour))
	if b := res["b@example.org"]; b.Outcome != OutcomeSent || b.Stories != 0 {
		t.Fatalf("a morning with a change alone: %+v, want sent without stories", b)
	}
	msgs := r.srv.To("b@example.org")
	msg := mailtest.Parse(t, msgs[len(msgs)-1].Data)
	text := msg.Part("text/plain")
	if !strings.Contains(text, "Changed or removed since reported (1)") || !strings.Contains(text, "HTTP 410 Gone") {
		t.Errorf("the change is not told:\n%s", text)
	}
	if subj := msg.Header.Get("Subject"); subj != "civicwatch: nothing matched; 1 changed or removed since reported, 26 Nov" {
		t.Errorf("subject %q", subj)
	}
	if res := r.send(day1.Add(48 * time.Hour)); res["b@example.org"].Outcome != OutcomeSkipped {
		t.Errorf("a morning with nothing: %+v, want skipped", res["b@example.org"])
	}
}
