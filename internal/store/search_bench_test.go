package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withKhmer gives every item of the benchmark feeds a curly apostrophe and a
// Khmer word with a subscript in its title and text, so the search folding
// (migrations/0014_search_form.sql) has work on every story instead of
// passing ASCII text through.
func withKhmer(recs []*Fetch) []*Fetch {
	for _, f := range recs {
		for i := range f.Items {
			f.Items[i].Title += " union’s ក្រសួងការងារ"
			f.Items[i].Content += " workers’ បណ្ដុះបណ្ដាល"
		}
	}
	return recs
}

// BenchmarkSaveFetchesKhmer is BenchmarkSaveFetches/indexed with text that
// is not ASCII alone, so every story is folded on its way into the index.
func BenchmarkSaveFetchesKhmer(b *testing.B) {
	recs, refs := benchFetches(200)
	recs = withKhmer(recs)
	for range b.N {
		b.StopTimer()
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SyncFeeds(context.Background(), refs, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		saveBenchFetches(b, s, recs)
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(recs)*30*b.N)/b.Elapsed().Seconds(), "stories/s")
}

// BenchmarkSearch searches the 6,000 stories of the ingest benchmark, ASCII
// alone or with Khmer in every story. The benchmark vocabulary is small, so
// the words below occur in most stories: every one of them is a candidate
// that LIKE confirms against the folded text, the worst case for a search.
func BenchmarkSearch(b *testing.B) {
	for _, corpus := range []string{"ascii", "khmer"} {
		recs, refs := benchFetches(200)
		if corpus == "khmer" {
			recs = withKhmer(recs)
		}
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), corpus+".db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SyncFeeds(context.Background(), refs, time.Now()); err != nil {
			b.Fatal(err)
		}
		saveBenchFetches(b, s, recs)
		queries := []string{"union", "garment factory", "nothingatall"}
		if corpus == "khmer" {
			queries = append(queries, "ក្រសួងការងារ")
		}
		for _, q := range queries {
			b.Run(corpus+"/"+q, func(b *testing.B) {
				for range b.N {
					if _, err := s.Search(context.Background(), q, 50); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		s.Close()
	}
}

// BenchmarkSearchLongWord compares words at the query limit with the
// baseline of short ones, on 1,200 stories of which three are hostile runs
// of a letter or two (up to 200 KiB). A long word asks the index for its
// first bytes only and confirms the rest with one pass per candidate, so it
// must cost about what a short word does; before that bound, a 506-byte
// word of common letters took 25 times as long as "union".
func BenchmarkSearchLongWord(b *testing.B) {
	recs, refs := benchFetches(40)
	recs[0].Items[0].Content = strings.Repeat("a", 200<<10)
	recs[0].Items[1].Content = strings.Repeat("ab", 100<<10)
	recs[0].Items[2].Content = strings.Repeat("ក្ក", 20<<10)
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SyncFeeds(context.Background(), refs, time.Now()); err != nil {
		b.Fatal(err)
	}
	saveBenchFetches(b, s, recs)
	for _, q := range []struct{ name, query string }{
		{"baseline/union", "union"},
		{"baseline/ab", "ab"}, // two letters: no trigram, a scan
		{"long/a", strings.Repeat("a", 511) + "b"},
		{"long/ab", strings.Repeat("ab", 255) + "ba"},
		{"long/common", strings.Repeat("unionstrike", 46)},
		{"long/khmer", strings.Repeat("ក្ក", 56) + "ខ"},
	} {
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				if _, err := s.Search(context.Background(), q.query, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
