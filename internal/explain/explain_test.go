package explain

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

func loadConfig(t *testing.T, topics string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feeds.yaml")
	yaml := "feeds:\n  - id: cam\n    url: https://cam.example/feed\n    tags: [cambodia]\n  - id: world\n    url: https://world.example/feed\n" + topics
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const topics = `lists:
  traps: [European Union]
topics:
  - id: unions
    name: Unions
    rule: (union* EXCEPT @traps) AND tag:cambodia
  - id: eu
    rule: union* AND NOT @traps
`

func TestNew(t *testing.T) {
	cfg := loadConfig(t, topics)
	s := &store.Story{ID: 7, Title: "European Union envoy meets union leaders", Summary: "Talks went on.", Text: "Talks went on.", Feeds: []string{"cam"}}
	ms := s.MatchStory([]string{"cambodia"})
	var stored []store.Match
	for _, r := range cfg.Rules.Match(&ms) {
		stored = append(stored, store.Match{StoryID: 7, Topic: r.Topic, Hits: r.Hits})
	}
	rep := New(cfg, s, nil, stored)
	if !slices.Equal(rep.Tags, []string{"cambodia"}) || len(rep.Topics) != 2 || len(rep.Stale) != 0 {
		t.Fatalf("report %+v", rep)
	}
	unions, eu := rep.Topics[0], rep.Topics[1]
	if !unions.Matched || !unions.Stored || unions.Name != "Unions" || !slices.Equal(unions.Why(), []string{"union*"}) {
		t.Errorf("unions %+v, why %v", unions, unions.Why())
	}
	var apart []string
	for _, h := range unions.Apart() {
		apart = append(apart, h.Text+": "+h.Note())
	}
	if want := []string{"European Union: trap, of (union* EXCEPT @traps)", "Union: vetoed by (union* EXCEPT @traps)"}; !slices.Equal(apart, want) {
		t.Errorf("apart %q, want %q", apart, want)
	}
	// Only the counted union of "union leaders" is marked.
	var marked []string
	for _, seg := range unions.Marked(match.FieldTitle, s.Title) {
		if seg.Mark {
			marked = append(marked, seg.Text)
		}
	}
	if !slices.Equal(marked, []string{"union"}) {
		t.Errorf("marked %q", marked)
	}
	if eu.Matched || eu.Missing != "vetoed by NOT @traps" || len(eu.Counted()) != 0 || eu.Stored {
		t.Errorf("eu %+v", eu)
	}
}

func TestNewSaysWhatIsStale(t *testing.T) {
	cfg := loadConfig(t, topics)
	s := &store.Story{ID: 7, Title: "Union leaders meet", Feeds: []string{"world"}}
	// Stored under an older config: unions with another hit, a topic gone.
	stored := []store.Match{
		{Topic: "eu", Hits: []match.Hit{{Term: "union", Field: match.FieldTitle, Start: 0, End: 5}}},
		{Topic: "unions", Hits: []match.Hit{{Term: "union*", Field: match.FieldTitle, Start: 0, End: 5}}},
		{Topic: "strikes"},
	}
	rep := New(cfg, s, nil, stored)
	want := []string{
		"unions: stored as a match, no longer matches", // the world feed has no cambodia tag
		"eu: matches with other terms than stored",
		"strikes: stored as a match, no longer a topic of the config",
	}
	if !slices.Equal(rep.Stale, want) {
		t.Errorf("stale\n%s\nwant\n%s", strings.Join(rep.Stale, "\n"), strings.Join(want, "\n"))
	}
}

// TestNewExplainsTheArticle: a topic matched on the captured article shows
// its hits in the field article, with their text, and a story without its
// article would not match.
func TestNewExplainsTheArticle(t *testing.T) {
	cfg := loadConfig(t, "topics:\n  - id: unions\n    rule: article:union* AND tag:cambodia\n")
	s := &store.Story{ID: 8, Title: "Hearing postponed", Summary: "A court postponed a hearing.", Feeds: []string{"cam"},
		Article: "The trial of the union's president was postponed."}
	rep := New(cfg, s, nil, nil)
	u := rep.Topics[0]
	if !u.Matched || len(u.Hits) != 1 {
		t.Fatalf("unions %+v: want matched on the article", u)
	}
	if h := u.Hits[0]; h.Field != match.FieldArticle || h.Text != "union" {
		t.Errorf("hit %+v, want the article's %q", h, "union")
	}
	ms := rep.MatchStory()
	if FieldOf(&ms, match.FieldArticle) != s.Article {
		t.Error("FieldOf does not give the article")
	}
	s.Article = ""
	if New(cfg, s, nil, nil).Topics[0].Matched {
		t.Error("matched without the article")
	}
}

// TestNewGivesThePlaceApart explains a topic whose test of place is a
// given: condition: the place word is shown apart as a condition, never in
// Why nor marked, and the story still matches.
func TestNewGivesThePlaceApart(t *testing.T) {
	cfg := loadConfig(t, `lists:
  cambodia: [Cambodia, Phnom Penh]
  traps: [European Union]
topics:
  - id: unions
    rule: (union EXCEPT @traps) NEAR/3 arrested AND given:(@cambodia OR tag:cambodia)
`)
	s := &store.Story{ID: 8, Title: "In Phnom Penh, union leader arrested; European Union concerned", Feeds: []string{"world"}}
	ms := s.MatchStory(nil)
	var stored []store.Match
	for _, r := range cfg.Rules.Match(&ms) {
		stored = append(stored, store.Match{StoryID: 8, Topic: r.Topic, Hits: r.Hits})
	}
	rep := New(cfg, s, nil, stored)
	u := rep.Topics[0]
	if !u.Matched || !slices.Equal(u.Why(), []string{"union", "arrested"}) || len(rep.Stale) != 0 {
		t.Fatalf("unions %+v, why %v, stale %v", u, u.Why(), rep.Stale)
	}
	var apart []string
	for _, h := range u.Apart() {
		apart = append(apart, h.Text+": "+h.Note())
	}
	// The vetoed and the trap first, though the place comes first in the
	// text.
	if want := []string{"European Union: trap, of (union EXCEPT @traps)", "Union: vetoed by (union EXCEPT @traps)",
		"Phnom Penh: a condition, not a reason: given:(@cambodia OR tag:cambodia)"}; !slices.Equal(apart, want) {
		t.Errorf("apart %q, want %q", apart, want)
	}
	for _, seg := range u.Marked(match.FieldTitle, s.Title) {
		if seg.Mark && strings.Contains(seg.Text, "Phnom") {
			t.Errorf("the place is marked as a reason: %q", seg.Text)
		}
	}
}
