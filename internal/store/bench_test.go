package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

var benchWords = strings.Fields(`union workers strike garment factory ministry labour interior minimum wage
federation protest arrested court police association NGO rights activists Phnom Penh Kandal province
president leader members dismissed court appeal statement petition investigation registration law`)

func benchText(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchWords[r.IntN(len(benchWords))])
	}
	return b.String()
}

// benchFetches builds feeds × 30 items of the size of a 50 KB feed.
func benchFetches(feeds int) ([]*Fetch, []FeedRef) {
	var recs []*Fetch
	var refs []FeedRef
	for i := range feeds {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		id := fmt.Sprintf("f%d", i)
		refs = append(refs, FeedRef{ID: id, Name: id, URL: "https://" + id + ".example/feed"})
		f := &Fetch{FeedID: id, StartedAt: time.Now(), Outcome: OutcomeOK}
		for j := range 30 {
			f.Items = append(f.Items, feed.Item{GUID: fmt.Sprintf("%d-%d", i, j), URL: fmt.Sprintf("https://%s.example/%d", id, j),
				Title: benchText(r, 10), Summary: benchText(r, 30), Content: benchText(r, 135)})
		}
		recs = append(recs, f)
	}
	return recs, refs
}

// saveBenchFetches stores the fetches 8 feeds a transaction, as a poll
// round of the daemon does.
func saveBenchFetches(b *testing.B, s *Store, recs []*Fetch) {
	for i := 0; i < len(recs); i += 8 {
		if _, err := s.SaveFetches(context.Background(), recs[i:min(i+8, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveFetches stores 200 feeds of 30 new items, 8 feeds a
// transaction, with the full-text index and, as the baseline that shows the
// index's share, with the index replaced by a plain table that only copies
// what the index would be given.
func BenchmarkSaveFetches(b *testing.B) {
	recs, refs := benchFetches(200)
	for _, withIndex := range []bool{true, false} {
		name := map[bool]string{true: "indexed", false: "plain-copy"}[withIndex]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
				if err != nil {
					b.Fatal(err)
				}
				if !withIndex {
					for _, q := range []string{"DROP TRIGGER stories_fts_update", "DROP TRIGGER stories_fts_delete",
						"DROP TABLE stories_fts", "CREATE TABLE stories_fts (id INTEGER PRIMARY KEY, title TEXT, text TEXT)"} {
						if _, err := s.write.Exec(q); err != nil {
							b.Fatal(err)
						}
					}
					s.ingest.close()
					if s.ingest, err = prepareIngest(context.Background(), s.write); err != nil {
						b.Fatal(err)
					}
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
		})
	}
}

// BenchmarkQuickCheck opens the database of 6,000 stories (a 15 MB file)
// as `poll` does, without and with the quick_check that
// run and poll now make at start, so the check's price shows beside the
// open it is added to.
func BenchmarkQuickCheck(b *testing.B) {
	recs, refs := benchFetches(200)
	path := filepath.Join(b.TempDir(), "b.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SyncFeeds(context.Background(), refs, time.Now()); err != nil {
		b.Fatal(err)
	}
	saveBenchFetches(b, s, recs)
	s.Close()
	for _, check := range []bool{false, true} {
		b.Run(map[bool]string{false: "open", true: "open+quick_check"}[check], func(b *testing.B) {
			for range b.N {
				s, err := Open(context.Background(), path)
				if err != nil {
					b.Fatal(err)
				}
				if check {
					if err := s.QuickCheck(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				s.Close()
			}
		})
	}
}
