package web

import (
	"net/http"
	"strings"

	"github.com/civicwatch/civicwatch/internal/store"
)

// digestsShown is how many ledger rows the digests page lists.
const digestsShown = 200

type digestsData struct {
	Digests []store.DigestRecord
}

// handleDigests lists the ledger: each recipient's digest per period and
// where its delivery stands.
func (s *Server) handleDigests(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	list, err := s.opts.Store.RecentDigests(ctx, digestsShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "digests", view{Title: "Digests", Nav: "digests", Data: digestsData{Digests: list}})
}

func (s *Server) digestFor(w http.ResponseWriter, r *http.Request) *store.DigestRecord {
	ctx, cancel := s.ctx(r)
	defer cancel()
	d, err := s.opts.Store.Digest(ctx, r.PathValue("recipient"), r.PathValue("period"))
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	if d == nil {
		s.notFound(w, r, "no digest for "+r.PathValue("recipient")+" in period "+r.PathValue("period"))
	}
	return d
}

// handleDigest shows one digest as it was sent: the stored message's text
// part, the headers that matter, and a link to its HTML part.
func (s *Server) handleDigest(w http.ResponseWriter, r *http.Request) {
	d := s.digestFor(w, r)
	if d == nil {
		return
	}
	s.render(w, r, http.StatusOK, "digest", view{Title: "Digest " + d.Period + " for " + d.To, Nav: "digests",
		Data: struct {
			D       *store.DigestRecord
			Stories int
		}{d, len(d.StoryIDs)}})
}

// digestPolicy lets the HTML part show as the mail client would (its
// styles are inline) and nothing more: sandboxed, so no script runs, no
// form posts and the page gets no origin of its own, and nothing loads.
const digestPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// handleDigestHTML serves the stored HTML part on its own, under a policy
// of its own: it was rendered for mail, with inline styles.
func (s *Server) handleDigestHTML(w http.ResponseWriter, r *http.Request) {
	d := s.digestFor(w, r)
	if d == nil {
		return
	}
	if strings.TrimSpace(d.HTML) == "" {
		s.notFound(w, r, "this digest has no HTML part")
		return
	}
	w.Header().Set("Content-Security-Policy", digestPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(d.HTML))
}
