package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/civicwatch/civicwatch/internal/snippet"
	"github.com/civicwatch/civicwatch/internal/store"
)

// searchLimit caps the results of a search: past this many, the operator
// needs a better query, not a longer page.
const searchLimit = 50

type searchData struct {
	Query   string
	Results []storyRow
	Limited bool
}

// handleSearch searches titles and text. The words are marked in the
// headline and in a snippet of the text around the first one found, so
// the operator sees why each story came up; Khmer is found as typed, with
// or without zero-width spaces (snippet.Find).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Query: q}
	if err := store.CheckQuery(q); err != nil {
		s.badRequest(w, r, fmt.Sprintf("This search is too long: at most %d words and %d bytes. Search for fewer, shorter words.",
			store.MaxQueryWords, store.MaxQueryBytes))
		return
	}
	if q != "" {
		ctx, cancel := s.ctx(r)
		defer cancel()
		ids, err := s.opts.Store.Search(ctx, q, searchLimit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Limited = len(ids) == searchLimit
		words := searchWords(q)
		stories, err := s.opts.Store.StoriesByID(ctx, ids)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i := range stories {
			ms := &stories[i]
			// Listings leave the text out; the snippet is cut from it,
			// since that is where most hits are.
			full, err := s.opts.Store.Story(ctx, ms.ID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			row := baseRow(&ms.Story)
			row.Topics = ms.Topics()
			row.Title = snippet.Mark(ms.Title, snippet.Find(ms.Title, words))
			text := full.Text
			if spans := snippet.Find(text, words); len(spans) > 0 || ms.Summary == "" {
				row.Snippet = snippet.Around(text, spans, snippetWidth)
			} else {
				row.Snippet = snippet.Around(ms.Summary, snippet.Find(ms.Summary, words), snippetWidth)
			}
			d.Results = append(d.Results, row)
		}
	}
	title := "Search"
	if q != "" {
		title = "Search: " + q
	}
	s.render(w, r, http.StatusOK, "search", view{Title: title, Nav: "search", Query: q, Data: d})
}

// searchWords splits a query as store.Search does, so the words marked are
// the words searched.
func searchWords(q string) []string {
	return strings.Fields(strings.NewReplacer("%", " ", "_", " ").Replace(q))
}
