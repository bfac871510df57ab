package export

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/rematch"
	"github.com/civicwatch/civicwatch/internal/store"
)

// LabelledStory is a line of the labelled JSON-lines format of
// shared/corpus (README.md there), which `civicwatch eval` scores.
type LabelledStory struct {
	ID        int64    `json:"id"` // the story's id in the database
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Content   string   `json:"content"`
	URL       string   `json:"url"`
	Source    string   `json:"source"`    // the id of the first feed that carried it
	Published string   `json:"published"` // YYYY-MM-DD (UTC), as in the corpus; "" when unknown
	Lang      string   `json:"lang"`
	Tags      []string `json:"tags"`
	Expect    string   `json:"expect"` // "relevant" or "not"
	Topics    []string `json:"topics"` // the topics labelled relevant
}

// LabelledJSONL writes one line per labelled story, in the order of
// stories (stories without a label are skipped): "relevant" with the topics
// labelled relevant when any label says so, else "not". The tags are those
// of the configured feeds that carried a story, which rules see as tag:X.
func LabelledJSONL(w io.Writer, stories []store.Story, labels []store.Label, feeds []config.Feed) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // a file for eval, not a page: keep Khmer and & readable
	for _, line := range Labelled(stories, labels, feeds) {
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("labelled story %d: %w", line.ID, err)
		}
	}
	return nil
}

// Labelled is LabelledJSONL's lines: the labelled stories as eval and rules
// suggest read them.
func Labelled(stories []store.Story, labels []store.Label, feeds []config.Feed) []LabelledStory {
	feedTags := rematch.FeedTags(feeds)
	byStory := make(map[int64][]store.Label)
	for _, l := range labels {
		byStory[l.StoryID] = append(byStory[l.StoryID], l)
	}
	var out []LabelledStory
	for _, s := range stories {
		ls := byStory[s.ID]
		if len(ls) == 0 {
			continue
		}
		line := LabelledStory{ID: s.ID, Title: s.Title, Summary: s.Summary, URL: s.URL, Lang: s.Lang,
			Expect: "not", Topics: []string{}, Tags: []string{}}
		// What the rules saw when the story was stored: the text is the
		// content, or the summary again when the item had no content.
		if s.Text != s.Summary {
			line.Content = s.Text
		}
		if len(s.Feeds) > 0 {
			line.Source = s.Feeds[0]
		}
		if !s.PublishedAt.IsZero() {
			line.Published = s.PublishedAt.UTC().Format("2006-01-02")
		}
		if t := rematch.StoryTags(s.Feeds, feedTags); t != nil {
			line.Tags = t
		}
		for _, l := range ls {
			if l.Relevant {
				line.Expect = "relevant"
				line.Topics = append(line.Topics, l.Topic)
			}
		}
		out = append(out, line)
	}
	return out
}
