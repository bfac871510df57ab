package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// NewFeed is a feed to add to a config file.
type NewFeed struct {
	ID, Name, URL string
	Tags          []string
	Disabled      bool
}

// AddFeeds appends feeds to the feeds: list of the config file at path
// (following a symlink) and returns the path of the backup it made, the way
// SetTopicRule saves a rule: the text of the file is kept byte for byte,
// comments included, and the new entries go after the list's last entry,
// under a comment naming where they came from. Nothing is written unless
// the new file is a valid config whose feeds are the old ones followed by
// the new ones and whose other sections did not change; then the old file
// is backed up beside it and the new one renamed over it.
func AddFeeds(path string, feeds []NewFeed, source string, lookupEnv func(string) (string, bool)) (backupPath string, err error) {
	if len(feeds) == 0 {
		return "", errors.New("config: no feeds to add")
	}
	return rewrite(path, "the feeds", func(old []byte) ([]byte, error) {
		return appendFeeds(old, feeds, source)
	}, func(old, edited []byte) error {
		return checkFeedsAdded(old, edited, path, feeds, lookupEnv)
	})
}

// appendFeeds returns data with feeds written after the last entry of its
// feeds: block list.
func appendFeeds(data []byte, feeds []NewFeed, source string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a mapping of sections")
	}
	root := doc.Content[0]
	lines := lineStarts(data)
	next := len(lines) // the line of the section after feeds:, or past the end
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "feeds" {
			list = root.Content[i+1]
			if i+2 < len(root.Content) {
				next = root.Content[i+2].Line
			}
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 || len(list.Content) == 0 {
		return nil, errors.New("feeds: is not a list of entries, one per line (- id: ...); add the feeds by hand")
	}
	indent := list.Content[0].Column - 1 // the keys of an entry; the dash is two to the left
	if indent < 2 {
		return nil, errors.New("feeds: entries are not indented as expected; add the feeds by hand")
	}
	// The new entries go after the list's last line that is not blank and
	// not a comment at the margin: such comments introduce the next section.
	at := next - 1
	for at > list.Line {
		l := line(data, lines, at)
		if !blank(l) && !bytes.HasPrefix(l, []byte("#")) {
			break
		}
		at--
	}
	offset := len(data)
	if at+1 < len(lines) {
		offset = lines[at+1]
	}
	var b strings.Builder
	if offset > 0 && data[offset-1] != '\n' {
		b.WriteByte('\n')
	}
	dash := strings.Repeat(" ", indent-2)
	key := strings.Repeat(" ", indent)
	fmt.Fprintf(&b, "\n%s# Added from %s by civicwatch feeds import.\n", dash, oneLineComment(source))
	for _, f := range feeds {
		fmt.Fprintf(&b, "%s- id: %s\n", dash, f.ID)
		fmt.Fprintf(&b, "%sname: %s\n", key, yamlString(f.Name))
		fmt.Fprintf(&b, "%surl: %s\n", key, yamlString(f.URL))
		if len(f.Tags) > 0 {
			fmt.Fprintf(&b, "%stags: [%s]\n", key, strings.Join(f.Tags, ", "))
		}
		if f.Disabled {
			fmt.Fprintf(&b, "%senabled: false\n", key)
		}
	}
	return splice(data, offset, offset, b.String()), nil
}

// yamlString quotes s for YAML: a JSON string is a YAML double-quoted
// scalar, and "$" is doubled so that ${VAR} expansion gives s back.
func yamlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(strings.ReplaceAll(s, "$", "$$")) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func oneLineComment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// checkFeedsAdded proves the edit: edited is a valid config, its feeds are
// the old ones followed by the new, and nothing else changed.
func checkFeedsAdded(old, edited []byte, path string, feeds []NewFeed, lookupEnv func(string) (string, bool)) error {
	cfg, err := Parse(edited, path, lookupEnv)
	if err != nil {
		return err
	}
	n := len(cfg.Feeds) - len(feeds)
	if n < 0 {
		return fmt.Errorf("%s: the feeds could not be added; nothing was written", path)
	}
	for i, f := range feeds {
		got := cfg.Feeds[n+i]
		if got.ID != f.ID || got.Name != f.Name || got.URL != f.URL || got.Enabled == f.Disabled || !slices.Equal(got.Tags, f.Tags) {
			return fmt.Errorf("%s: feed %s could not be written exactly as given; nothing was written", path, f.ID)
		}
	}
	var before, after map[string]any
	if err := yaml.Unmarshal(old, &before); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := yaml.Unmarshal(edited, &after); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	oldFeeds, _ := before["feeds"].([]any)
	newFeeds, _ := after["feeds"].([]any)
	if len(newFeeds) != len(oldFeeds)+len(feeds) || !reflect.DeepEqual(oldFeeds, newFeeds[:len(oldFeeds)]) {
		return fmt.Errorf("%s: adding the feeds would have changed the feeds already there; nothing was written", path)
	}
	delete(before, "feeds")
	delete(after, "feeds")
	if !reflect.DeepEqual(before, after) {
		return fmt.Errorf("%s: adding the feeds would have changed other sections; nothing was written", path)
	}
	return nil
}
