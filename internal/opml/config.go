package opml

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
)

// Export writes the configured feeds as OPML 2.0, tags as categories and a
// disabled feed as a commented-out outline.
func Export(w io.Writer, feeds []config.Feed, now time.Time) error {
	out := make([]Feed, 0, len(feeds))
	for _, f := range feeds {
		out = append(out, Feed{Title: f.Name, URL: f.URL, Categories: f.Tags, ID: f.ID, Disabled: !f.Enabled})
	}
	return Write(w, "civicwatch feeds", now, out)
}

// Skipped is an OPML feed that import leaves out, and why.
type Skipped struct {
	Feed   Feed
	Reason string
}

// Plan decides what importing feeds into a config adds: each feed whose
// canonical URL is not configured yet (nor earlier in the same file), with
// an id made from its title, its categories that are valid tags, and
// extraTags; a feed exported by civicwatch keeps its id unless taken. The feeds already there, and those whose URL is not a usable
// http(s) address, are skipped with the reason.
func Plan(configured []config.Feed, feeds []Feed, extraTags []string) (add []config.NewFeed, skipped []Skipped) {
	have := map[string]string{} // canonical URL → feed id
	ids := map[string]bool{}
	for _, f := range configured {
		ids[f.ID] = true
		if c, err := feed.CanonicalURL(f.URL, nil); err == nil {
			have[c] = f.ID
		}
	}
	for _, f := range feeds {
		canon, err := feed.CanonicalURL(f.URL, nil)
		if err != nil {
			skipped = append(skipped, Skipped{f, fmt.Sprintf("not a usable feed address: %v", err)})
			continue
		}
		if id, ok := have[canon]; ok {
			skipped = append(skipped, Skipped{f, "already configured as " + id})
			continue
		}
		base := f.ID
		if !idRE.MatchString(base) {
			base = slug(f.Title, canon)
		}
		id := uniqueID(base, ids)
		ids[id], have[canon] = true, id
		add = append(add, config.NewFeed{ID: id, Name: strings.TrimSpace(f.Title), URL: f.URL,
			Tags: tags(f.Categories, extraTags), Disabled: f.Disabled})
		if add[len(add)-1].Name == "" {
			add[len(add)-1].Name = id
		}
	}
	return add, skipped
}

var (
	notSlug = regexp.MustCompile(`[^a-z0-9]+`)
	idRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`) // as config checks ids
)

// slug makes a feed id ([a-z0-9-]+) from a title, else from the URL's host.
func slug(title, canonURL string) string {
	s := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if s == "" {
		host := canonURL[strings.Index(canonURL, "//")+2:]
		host = strings.TrimPrefix(host[:strings.IndexByte(host+"/", '/')], "www.")
		s = strings.Trim(notSlug.ReplaceAllString(host, "-"), "-")
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "feed"
	}
	return s
}

func uniqueID(base string, taken map[string]bool) string {
	id := base
	for i := 2; taken[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	return id
}

var tagRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// tags keeps the categories that are valid tags once lower-cased (a folder
// called "Cambodia" is the tag cambodia; "Asia News" is not a tag), then
// adds extra, without duplicates.
func tags(categories, extra []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range append(append([]string(nil), categories...), extra...) {
		c = strings.ToLower(strings.TrimSpace(c))
		if tagRE.MatchString(c) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
