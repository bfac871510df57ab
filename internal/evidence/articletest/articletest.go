// Package articletest serves synthetic news article pages on loopback for
// the capture benchmarks (evidence, and polls with capture on).
package articletest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var vocabulary = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage
federation protest arrested court police association NGO rights activists Phnom Penh Kandal province
president leader members dismissed appeal statement petition investigation registration law the of and to in`)

// Page renders article i as a news site serves it under headline: a header
// and navigation, the article (the headline, a byline and fifteen
// paragraphs), a sidebar of links and a footer; about 25 KB, the size of a
// real article page's HTML without its scripts. The same i gives the same
// page.
func Page(i int, headline string) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 11))
	sentence := func(n int) string {
		w := make([]string, n)
		for j := range w {
			w[j] = vocabulary[r.IntN(len(vocabulary))]
		}
		return strings.Join(w, " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title></head><body>`, headline)
	b.WriteString(`<header><nav><ul>`)
	for j := range 25 {
		fmt.Fprintf(&b, `<li><a href="/section/%d">%s</a></li>`, j, sentence(2))
	}
	b.WriteString(`</ul></nav></header><main><article>`)
	fmt.Fprintf(&b, `<h1>%s</h1><p class="byline">By %s</p>`, headline, sentence(2))
	for range 15 {
		fmt.Fprintf(&b, `<p>%s.</p>`, sentence(60))
	}
	b.WriteString(`</article><aside><h2>Most read</h2><ul>`)
	for j := range 20 {
		fmt.Fprintf(&b, `<li><a href="/news/%d">%s</a></li>`, j, sentence(9))
	}
	b.WriteString(`</ul></aside></main><footer>`)
	for range 6 {
		fmt.Fprintf(&b, `<p>%s</p>`, sentence(12))
	}
	b.WriteString(`</footer></body></html>`)
	return []byte(b.String())
}

// NewServer serves pages /a0 … /a(n-1) on loopback, each under the headline
// given in its query (?h=…), else under headline, as an article page
// carries its story's (the capture checks it does).
func NewServer(tb testing.TB, n int, headline string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/a%d", &i); err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		h := headline
		if q := r.URL.Query().Get("h"); q != "" {
			h = q
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(Page(i, h))
	}))
	tb.Cleanup(srv.Close)
	return srv
}
