package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

func TestSourcesFailingFirst(t *testing.T) {
	f := newFixture(t)
	at := now.Add(-time.Hour)
	if _, err := f.store.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "rasmei", StartedAt: at, Outcome: store.OutcomeError,
		Status: 503, Error: `HTTP 503 <b onmouseover=alert(5)>down</b>`, NextDue: at.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	res, body := f.get("/sources")
	if res.StatusCode != 200 {
		t.Fatalf("%d", res.StatusCode)
	}
	rasmei, camboja := strings.Index(body, `id="feed-rasmei"`), strings.Index(body, `id="feed-cambojanews"`)
	if rasmei < 0 || camboja < 0 || rasmei > camboja {
		t.Errorf("the failing feed is not listed first (rasmei at %d, cambojanews at %d)", rasmei, camboja)
	}
	row := body[rasmei:camboja]
	for _, want := range []string{`class="state-failing"`, "HTTP 503 &lt;b onmouseover=alert(5)&gt;down&lt;/b&gt;", `<td data-label="failures">1</td>`,
		"2026-11-27 11:00", // next due, local time
		"1 failing or gone"} {
		if !strings.Contains(row+body[:rasmei], want) {
			t.Errorf("sources lack %q", want)
		}
	}
	// Stories per day: rasmei carried one story two days ago and one
	// today; the bars hold seven days, today last.
	if n := strings.Count(row, `class="bar `); n != sourceDays {
		t.Errorf("%d bars, want %d", n, sourceDays)
	}
	if !strings.Contains(row, `<span class="n">1</span></span></span>`) || !strings.Contains(row, "avg 0.3/day") {
		t.Errorf("rasmei's stories per day:\n%s", row)
	}
	inert(t, "/sources", body)
}

func TestGroupByLocalDay(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Topics: []config.Topic{{ID: "unions", Name: "Unions"}, {ID: "moi", Name: "MoI"}}}
	story := func(id int64, seen time.Time, topics ...string) store.MatchedStory {
		ms := store.MatchedStory{Story: store.Story{ID: id, Title: "t", FirstSeenAt: seen}}
		for _, tp := range topics {
			ms.Matches = append(ms.Matches, store.Match{StoryID: id, Topic: tp})
		}
		return ms
	}
	// 18:00 UTC on the 26th is 01:00 on the 27th in Phnom Penh.
	stories := []store.MatchedStory{
		story(3, time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC), "moi", "unions"),
		story(2, time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC), "old-topic"),
		story(1, time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC), "unions"),
	}
	days := groupByDay(stories, cfg, "", loc)
	if len(days) != 2 || days[0].Day.Day() != 27 || days[1].Day.Day() != 26 {
		t.Fatalf("days: %+v", days)
	}
	var order []string
	for _, g := range days[0].Topics {
		order = append(order, g.ID)
	}
	if strings.Join(order, " ") != "unions moi" {
		t.Errorf("topics of the 27th in %v, want config order", order)
	}
	if got := days[1].Topics; len(got) != 2 || got[0].ID != "unions" || got[1].ID != "old-topic" || got[1].Name != "old-topic" {
		t.Errorf("the 26th: %+v; want unions, then the unconfigured topic", got)
	}
	if got := groupByDay(stories, cfg, "moi", loc); len(got[0].Topics) != 1 || got[0].Topics[0].ID != "moi" {
		t.Errorf("filtered to moi: %+v", got)
	}
}

// TestBannerOnEveryPage: while a feed fails, every page says how many of
// the enabled feeds fail and links to /sources; while none fails, no page
// does.
func TestBannerOnEveryPage(t *testing.T) {
	f := newFixture(t)
	pages := []string{"/", "/search?q=union", fmt.Sprintf("/stories/%d", f.ids["Union leader arrested in Phnom Penh"]),
		"/sources", "/rules", "/digests", "/no-such-page"}
	const banner = `<div class="banner" role="alert">`
	for _, p := range pages {
		if _, body := f.get(p); strings.Contains(body, banner) {
			t.Errorf("%s shows the banner while every feed is fine", p)
		}
	}
	at := now.Add(-time.Hour)
	if _, err := f.store.SaveFetches(t.Context(), []*store.Fetch{{FeedID: "rasmei", StartedAt: at, Outcome: store.OutcomeError,
		Status: 503, Error: "HTTP 503", NextDue: at.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		_, body := f.get(p)
		i := strings.Index(body, banner)
		if i < 0 {
			t.Errorf("%s lacks the banner", p)
			continue
		}
		got := body[i : i+strings.Index(body[i:], "</div>")]
		if !strings.Contains(got, "1 of 2 feeds failing.") || !strings.Contains(got, `<a href="/sources">`) {
			t.Errorf("%s banner: %s", p, got)
		}
	}
}
