package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// withKhmer gives every item of the benchmark feeds a curly apostrophe and a
// Khmer word with a subscript in its title and text, so the search folding
// (migrations/0005_search_fold.sql) has work on every story instead of
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
