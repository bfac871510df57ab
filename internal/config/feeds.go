package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Feed is one polled source.
type Feed struct {
	ID       string   // stable key in the database: [a-z0-9-]+, unique
	Name     string   // for people; defaults to ID
	URL      string   // absolute http or https URL
	Tags     []string // lower-cased, [a-z0-9-]+, for rules such as tag:cambodia
	Interval Duration // defaults to Fetch.Interval
	Enabled  bool     // false keeps the feed configured but not polled
	Line     int      // line of the feed in the file, for messages
}

// rawFeed is one feeds[] item as decoded.
type rawFeed struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name"`
	URL      string    `yaml:"url"`
	Tags     []string  `yaml:"tags"`
	Interval *Duration `yaml:"interval"`
	Enabled  *bool     `yaml:"enabled"` // nil: absent, so enabled
}

const maxIDLen = 64

var (
	idRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	tagRE = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// resolveFeeds resolves every feed and checks that ids are unique.
func resolveFeeds(raws []rawFeed, fetch Fetch, p *problems) []Feed {
	if len(raws) == 0 {
		p.add("feeds", "no feeds configured: add at least one under feeds:")
		return nil
	}
	feeds := make([]Feed, 0, len(raws))
	firstLine := map[string]int{} // id → line of its first use
	for i, r := range raws {
		field := fmt.Sprintf("feeds[%d]", i)
		f := r.resolve(field, fetch, p)
		if f.ID != "" {
			idField := field + ".id"
			if line, dup := firstLine[f.ID]; dup {
				p.add(idField, "duplicate id %q (first used at line %d)", f.ID, line)
			} else {
				firstLine[f.ID] = p.where(idField).line
			}
		}
		feeds = append(feeds, f)
	}
	return feeds
}

func (r rawFeed) resolve(field string, fetch Fetch, p *problems) Feed {
	f := Feed{
		ID:       r.ID,
		Name:     cmp.Or(r.Name, r.ID),
		URL:      r.URL,
		Tags:     resolveTags(r.Tags, field+".tags", p),
		Interval: setting(p, field+".interval", r.Interval, fetch.Interval),
		Enabled:  setting(p, field+".enabled", r.Enabled, true),
		Line:     p.where(field).line,
	}
	if err := checkID(f.ID); err != nil {
		p.add(field+".id", "%v", err)
	}
	if err := checkURL(f.URL); err != nil {
		p.add(field+".url", "%v", err)
	}
	checkDuration(p, field+".interval", f.Interval, minInterval)
	return f
}

func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("missing: every feed needs an id")
	case len(id) > maxIDLen:
		return fmt.Errorf("id %q is longer than %d characters", id, maxIDLen)
	case !idRE.MatchString(id):
		return fmt.Errorf("invalid id %q: use lower-case letters, digits and hyphens, starting with a letter or digit", id)
	}
	return nil
}

// checkURL accepts absolute http(s) URLs with a host: anything else cannot
// be fetched, and a relative URL is surely a copy-paste accident.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("missing: every feed needs a url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q must be absolute and start with http:// or https://", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("URL %q has no host", raw)
	}
	return nil
}

// Bounds on a feed's tags: every story the feed carries is matched with
// them, and the console and exports show them, so they are bounded like
// the fields of a story.
const (
	maxTags   = 32
	maxTagLen = 64
)

// resolveTags lower-cases tags so rules match regardless of how the file
// spells them, and drops repeats.
func resolveTags(raw []string, field string, p *problems) []string {
	if len(raw) > maxTags {
		p.add(field, "%d tags: at most %d", len(raw), maxTags)
		return nil
	}
	var tags []string
	for i, t := range raw {
		tag := strings.ToLower(t)
		if len(tag) > maxTagLen {
			p.add(fmt.Sprintf("%s[%d]", field, i), "tag of %d characters: at most %d", len(tag), maxTagLen)
			continue
		}
		if !tagRE.MatchString(tag) {
			p.add(fmt.Sprintf("%s[%d]", field, i), "invalid tag %q: use letters, digits and hyphens", t)
			continue
		}
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	return tags
}
