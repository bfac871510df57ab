// Package export writes matched stories out of civicwatch: as Atom 1.0 for
// feed readers, as JSON for the console's API, as CSV for spreadsheets, and
// labelled stories as JSON lines for `civicwatch eval`. The writers are
// pure: the same stories give the same bytes, whatever the time or the
// request, so feed readers and caches see no change where there was none.
package export

import (
	"net/url"
	"slices"
	"strings"

	"github.com/civicwatch/civicwatch/internal/match"
	"github.com/civicwatch/civicwatch/internal/store"
)

// terms lists the distinct terms that fired across a story's matches, in
// topic order and then in order of first appearance.
func terms(matches []store.Match) []string {
	var out []string
	for _, m := range matches {
		for _, t := range match.Terms(m.Hits) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// httpURL returns raw when it is an absolute http or https URL, else "":
// a javascript: or data: link from a feed must not become a clickable link.
func httpURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
