package web

import (
	"html"
	"strconv"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/export"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
	"github.com/civicwatch/civicwatch/internal/suggest"
)

// TestRulesLabSuggests: the lab shows, for the labels stored, the same
// suggestions as `rules suggest` on the exported labels, with the stories
// they change linked and a link to try each in the lab.
func TestRulesLabSuggests(t *testing.T) {
	f := newFixture(t)
	label := func(title string, relevant bool) {
		t.Helper()
		if err := f.store.SetLabel(t.Context(), store.Label{StoryID: f.ids[title], Topic: "unions", Relevant: relevant, LabelledAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	label("Union leader arrested in Phnom Penh", true)
	label(khmerTitle, true)
	label(hostileTitle, false) // matched: wrongly caught
	label("Weather in Phnom Penh", false)

	_, body := f.get("/rules?topic=unions")
	if !strings.Contains(body, `id="suggest-link"`) {
		t.Fatalf("no link to suggestions:\n%s", body)
	}
	res, body := f.get("/rules?topic=unions&since=&suggest=1")
	if res.StatusCode != 200 {
		t.Fatalf("status %d:\n%s", res.StatusCode, body)
	}
	_, sec, _ := strings.Cut(body, `id="suggest"`)

	// What rules suggest says of the same labels.
	stories, labels, err := f.store.LabelledStories(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var cases []suggest.Case
	for _, l := range export.Labelled(stories, labels, f.cfg.Feeds) {
		cases = append(cases, suggest.Case{ID: strconv.FormatInt(l.ID, 10), Expect: evaluate.Expect(l.Expect), Topics: l.Topics,
			Story: match.Story{Title: l.Title, Summary: l.Summary, Content: l.Content, Tags: l.Tags}})
	}
	topics := []match.Topic{{ID: "unions", Rule: f.cfg.Topics[0].Rule}, {ID: "moi", Rule: f.cfg.Topics[1].Rule}}
	want, err := suggest.Suggest(topics, f.cfg.Lists, cases, suggest.Options{Topic: "unions"})
	if err != nil {
		t.Fatal(err)
	}
	ts := want[0]
	if len(ts.Not) == 0 || len(ts.Caught) != 1 || ts.Caught[0] != strconv.FormatInt(f.ids[hostileTitle], 10) {
		t.Fatalf("suggest found nothing to show: %+v", ts)
	}
	wantIn(t, "suggestions", sec, "4 labelled stories; for <code>unions</code> 2 relevant and 2 not: TP 2, FP 1, FN 0, precision 0.67, recall 1.00",
		`Wrongly caught: <a href="/stories/`+ts.Caught[0]+`">`, "None: no relevant story is missed.")
	// The NOT terms in the same order, each with what it drops.
	at := 0
	for _, s := range ts.Not {
		cell := "<tr><td><code>" + html.EscapeString(s.Term) + "</code></td><td>−1 not relevant, −0 relevant</td><td>0.67 → 1.00</td><td>1.00 → 1.00</td>"
		i := strings.Index(sec[at:], cell)
		if i < 0 {
			t.Fatalf("NOT term %q missing or out of order after byte %d:\n%s", s.Term, at, sec)
		}
		at += i + len(cell)
	}
	wantIn(t, "rows", sec, `<a href="/stories/`+ts.Caught[0]+`">−`+ts.Caught[0]+`</a>`, `>try it</a>`, "3 → 2 of 6")
}
