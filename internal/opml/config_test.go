package opml

import (
	"reflect"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
)

func TestPlan(t *testing.T) {
	configured := []config.Feed{
		{ID: "cambojanews", URL: "https://cambojanews.com/feed/"},
		{ID: "vod-english", URL: "https://other.example/feed"},
	}
	in := []Feed{
		// The same address written differently: tracking parameter, case, default port.
		{Title: "CamboJA", URL: "HTTPS://CamboJANews.com:443/feed/?utm_source=reader"},
		{Title: "VOD English", URL: "https://vodenglish.news/feed/", Categories: []string{"Cambodia", "en", "Asia News"}},
		{Title: "VOD English", URL: "https://vodenglish.news/feed/"}, // twice in the same file
		{Title: "", URL: "https://www.khmertimeskh.com/feed/", Disabled: true},
		{Title: "Mail", URL: "mailto:someone@example.org"},
		{Title: "Exported", URL: "https://exported.example/feed", ID: "kept-id"},
		{Title: "Taken", URL: "https://taken.example/feed", ID: "cambojanews"},
		{Title: "Bad id", URL: "https://bad.example/feed", ID: "Not An Id"},
	}
	add, skipped := Plan(configured, in, []string{"imported", "en"})
	want := []config.NewFeed{
		{ID: "vod-english-2", Name: "VOD English", URL: "https://vodenglish.news/feed/", Tags: []string{"cambodia", "en", "imported"}},
		{ID: "khmertimeskh-com", Name: "khmertimeskh-com", URL: "https://www.khmertimeskh.com/feed/", Tags: []string{"imported", "en"}, Disabled: true},
		{ID: "kept-id", Name: "Exported", URL: "https://exported.example/feed", Tags: []string{"imported", "en"}},
		{ID: "cambojanews-2", Name: "Taken", URL: "https://taken.example/feed", Tags: []string{"imported", "en"}},
		{ID: "bad-id", Name: "Bad id", URL: "https://bad.example/feed", Tags: []string{"imported", "en"}},
	}
	if !reflect.DeepEqual(add, want) {
		t.Errorf("add:\n got %+v\nwant %+v", add, want)
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.Feed.Title+": "+s.Reason)
	}
	wantSkipped := []string{"CamboJA: already configured as cambojanews", "VOD English: already configured as vod-english-2"}
	if len(reasons) != 3 || !reflect.DeepEqual(reasons[:2], wantSkipped) || reasons[2][:len("Mail: not a usable feed address")] != "Mail: not a usable feed address" {
		t.Errorf("skipped: %q", reasons)
	}
}
