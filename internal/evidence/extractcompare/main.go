// Command extractcompare measures article text extractors against pages
// with known main text: token-level precision, recall and F1 of each
// extractor's text against the gold text, and the time it took per page.
// It is a module of its own so that the extractor under comparison stays
// out of civicwatch's go.mod unless it wins (docs/evidence.md).
//
//	go run . -data DIR
//
// DIR holds html/<id>.html.gz and ground-truth.json ({"<id>": {"articleBody",
// "url"}}), the layout of the Zyte article extraction benchmark
// (github.com/scrapinghub/article-extraction-benchmark).
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/markusmobius/go-trafilatura"

	"github.com/civicwatch/civicwatch/internal/evidence"
)

type gold struct {
	ArticleBody string `json:"articleBody"`
	URL         string `json:"url"`
}

// trafilaturaExtractor is go-trafilatura behind evidence.Extractor.
type trafilaturaExtractor struct{ fallback bool }

func (t trafilaturaExtractor) Extract(body []byte, pageURL string) (string, error) {
	u, _ := url.Parse(pageURL)
	res, err := trafilatura.Extract(strings.NewReader(string(body)), trafilatura.Options{
		OriginalURL: u, ExcludeComments: true, EnableFallback: t.fallback})
	if err != nil {
		return "", err
	}
	return res.ContentText, nil
}

// tokens are the text's words, lower-cased: letters and digits, each other
// character a separator, so punctuation and layout do not count.
func tokens(s string) map[string]int {
	out := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r)
	}) {
		out[w]++
	}
	return out
}

// score is the bag-of-words overlap of a prediction with the gold text.
func score(pred, want map[string]int) (p, r, f float64) {
	var common, np, nw int
	for w, n := range pred {
		np += n
		common += min(n, want[w])
	}
	for _, n := range want {
		nw += n
	}
	if np > 0 {
		p = float64(common) / float64(np)
	}
	if nw > 0 {
		r = float64(common) / float64(nw)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

type result struct {
	name                string
	p, r, f             []float64
	times               []time.Duration
	failed, emptyOrFail int
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func main() {
	dir := flag.String("data", "", "directory with html/*.html.gz and ground-truth.json")
	rounds := flag.Int("rounds", 3, "times each page is extracted, for the timing (the fastest counts)")
	flag.Parse()
	raw, err := os.ReadFile(filepath.Join(*dir, "ground-truth.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var truth map[string]gold
	if err := json.Unmarshal(raw, &truth); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	extractors := []struct {
		name string
		x    evidence.Extractor
	}{
		{"readeck/go-readability v2 (current)", evidence.Readability{}},
		{"go-trafilatura v1.12.2", trafilaturaExtractor{}},
		{"go-trafilatura v1.12.2, fallback on", trafilaturaExtractor{fallback: true}},
	}
	results := make([]result, len(extractors))
	for i, e := range extractors {
		results[i].name = e.name
	}
	for _, id := range ids {
		body, err := readGz(filepath.Join(*dir, "html", id+".html.gz"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		want := tokens(truth[id].ArticleBody)
		for i, e := range extractors {
			var text string
			var xerr error
			best := time.Duration(1<<63 - 1)
			for range *rounds {
				start := time.Now()
				text, xerr = e.x.Extract(body, truth[id].URL)
				best = min(best, time.Since(start))
			}
			res := &results[i]
			res.times = append(res.times, best)
			if xerr != nil {
				res.failed++
			}
			if xerr != nil || strings.TrimSpace(text) == "" {
				res.emptyOrFail++
			}
			p, r, f := score(tokens(text), want)
			res.p, res.r, res.f = append(res.p, p), append(res.r, r), append(res.f, f)
		}
	}
	fmt.Printf("%d pages with gold text from %s\n\n", len(ids), *dir)
	fmt.Println("| extractor | precision | recall | F1 | F1 median | pages F1 < 0.5 | no text | ms/page mean | ms/page median |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fs := slices.Clone(r.f)
		slices.Sort(fs)
		ts := slices.Clone(r.times)
		slices.Sort(ts)
		var total time.Duration
		for _, t := range r.times {
			total += t
		}
		poor := 0
		for _, f := range r.f {
			if f < 0.5 {
				poor++
			}
		}
		fmt.Printf("| %s | %.3f | %.3f | %.3f | %.3f | %d | %d | %.1f | %.1f |\n", r.name, mean(r.p), mean(r.r), mean(r.f),
			fs[len(fs)/2], poor, r.emptyOrFail, float64(total.Microseconds())/1000/float64(len(r.times)),
			float64(ts[len(ts)/2].Microseconds())/1000)
	}
	// Paired: on how many pages one extractor beats the current one by a
	// clear margin, and the other way round.
	fmt.Println()
	for _, r := range results[1:] {
		better, worse := 0, 0
		for i := range r.f {
			switch d := r.f[i] - results[0].f[i]; {
			case d > 0.05:
				better++
			case d < -0.05:
				worse++
			}
		}
		fmt.Printf("%s vs the current: F1 higher by > 0.05 on %d pages, lower by > 0.05 on %d\n", r.name, better, worse)
	}
}

func readGz(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(zr)
}
