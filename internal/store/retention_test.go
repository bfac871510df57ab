package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
)

func item(slug, title string) feed.Item {
	url := "https://news.example/" + slug
	return feed.Item{GUID: url, URL: url, Title: title, Content: title + " in full"}
}

// storyIDs lists every stored story's id.
func storyIDs(t *testing.T, s *Store) []int64 {
	t.Helper()
	all, err := s.Stories(t.Context(), StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, st := range all {
		ids = append(ids, st.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestPruneKeepsMatchedAndLabelled stores old and new stories, matched,
// labelled and neither, and checks that a prune deletes exactly the old
// unmatched unlabelled ones, that the dry run announced the same, and that
// nothing of theirs is left: not their sightings, not their words in the
// full-text index.
func TestPruneKeepsMatchedAndLabelled(t *testing.T) {
	s, _ := openTest(t)
	old := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	recent := old.Add(400 * 24 * time.Hour)
	saveItems(t, s, "cam", old, item("old-plain", "Old zebrafish story"), item("old-labelled", "Old labelled story"))
	saveMatched(t, s, "cam", "v1", old, []feed.Item{item("old-matched", "Old union story")}, results("unions"))
	saveItems(t, s, "world", old.Add(time.Hour), item("old-plain", "Old zebrafish story"), item("old-plain-2", "Another zebrafish"))
	saveItems(t, s, "cam", recent, item("new-plain", "New zebrafish story"))
	labelled := storyByTitle(t, s, "Old labelled story")
	if err := s.SetLabel(t.Context(), Label{StoryID: labelled.ID, Topic: "unions", Relevant: false}); err != nil {
		t.Fatal(err)
	}
	cutoff := recent.Add(-365 * 24 * time.Hour)
	s.SetClock(func() time.Time { return recent })

	want := []int64{storyByTitle(t, s, "Old zebrafish story").ID, storyByTitle(t, s, "Another zebrafish").ID}
	plan, err := s.PrunePlan(t.Context(), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Stories != 2 || plan.Kept != 2 || plan.Bytes == 0 || !plan.Oldest.Equal(old) || !plan.Newest.Equal(old.Add(time.Hour)) {
		t.Fatalf("dry run: %+v; want 2 stories to go (first seen %s and an hour later), 2 kept", plan, old)
	}
	if got := storyIDs(t, s); len(got) != 5 {
		t.Fatalf("the dry run deleted something: %d stories left, want 5", len(got))
	}

	var batches []int
	rep, err := s.Prune(t.Context(), cutoff, func(n int) { batches = append(batches, n) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stories != plan.Stories || rep.Bytes != plan.Bytes || rep.Kept != plan.Kept || !slices.Equal(batches, []int{2}) {
		t.Fatalf("prune %+v (batches %v) differs from its dry run %+v", rep, batches, plan)
	}
	left := storyIDs(t, s)
	for _, title := range []string{"Old union story", "Old labelled story", "New zebrafish story"} {
		if !slices.Contains(left, storyByTitle(t, s, title).ID) {
			t.Errorf("%q was deleted", title)
		}
	}
	if len(left) != 3 {
		t.Errorf("%d stories left, want 3", len(left))
	}
	if got, err := s.Search(t.Context(), "zebrafish", 10); err != nil || len(got) != 1 {
		t.Errorf("search for a word of the deleted stories finds %v (%v), want the new story alone", got, err)
	}
	var sightings int
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM sightings WHERE story_id IN (?, ?)`, want[0], want[1]).Scan(&sightings); err != nil || sightings != 0 {
		t.Errorf("%d sightings of deleted stories left (%v)", sightings, err)
	}
	if res, err := s.IntegrityCheck(t.Context()); err != nil || res != "ok" {
		t.Errorf("integrity check after prune: %q, %v", res, err)
	}
	gone, ok, err := s.DeletedStoryIDs(t.Context(), recent.Add(-time.Minute))
	if err != nil || !ok || !slices.Equal(gone, want) {
		t.Errorf("deletion log: %v, %v, %v; want %v", gone, ok, err, want)
	}
	if again, err := s.Prune(t.Context(), cutoff, nil); err != nil || again.Stories != 0 {
		t.Errorf("a second prune deleted %d (%v), want none", again.Stories, err)
	}
}

// TestDeletionLogIsTrimmed checks that log entries older than
// DeletionLogKeep go, and that asking for deletions from before then says
// the log no longer knows.
func TestDeletionLogIsTrimmed(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	saveItems(t, s, "cam", t0, item("a", "A"), item("b", "B"))
	at := t0.Add(100 * 24 * time.Hour)
	s.SetClock(func() time.Time { return at })
	if rep, err := s.Prune(t.Context(), t0.Add(time.Minute), nil); err != nil || rep.Stories != 2 {
		t.Fatalf("prune: %+v, %v", rep, err)
	}
	at = at.Add(DeletionLogKeep + time.Hour)
	if _, err := s.Prune(t.Context(), t0, nil); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM story_deletions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d log entries left (%v), want 0", n, err)
	}
	if _, ok, err := s.DeletedStoryIDs(t.Context(), at.Add(-DeletionLogKeep-time.Minute)); err != nil || ok {
		t.Errorf("deletions since before the log's reach: ok %v (%v), want false", ok, err)
	}
}

// TestPollDuringPruneWaitsOneBatch starts a poll's write while a prune's
// first batch holds the write lock, and checks that the poll's story is
// committed before the second batch starts: a poll waits for one batch at
// most, never for the whole prune.
func TestPollDuringPruneWaitsOneBatch(t *testing.T) {
	s, _ := openTest(t)
	old := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	items := make([]feed.Item, 3*PruneBatch)
	for i := range items {
		items[i] = item(fmt.Sprint("old-", i), fmt.Sprint("Old story ", i))
	}
	saveItems(t, s, "cam", old, items...)
	now := old.Add(400 * 24 * time.Hour)
	s.SetClock(func() time.Time { return now })

	var polled sync.WaitGroup
	var pollErr error
	var seenBy []int // batches that saw the poll's story committed
	s.pruneHook = func(batch int, tx *sql.Tx) {
		if batch == 1 {
			waits := s.write.Stats().WaitCount
			polled.Go(func() {
				_, pollErr = s.SaveFetches(t.Context(), []*Fetch{{FeedID: "cam", StartedAt: now, Outcome: OutcomeOK,
					Items: []feed.Item{item("fresh", "Fresh story")}}})
			})
			// Hold the batch open until the poll waits for the writer.
			for s.write.Stats().WaitCount == waits {
				time.Sleep(time.Millisecond)
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM stories WHERE url = 'https://news.example/fresh'`).Scan(&n); err != nil {
			t.Error(err)
		}
		if n == 1 {
			seenBy = append(seenBy, batch)
		}
	}
	rep, err := s.Prune(t.Context(), now.Add(-365*24*time.Hour), nil)
	polled.Wait()
	if err != nil || pollErr != nil {
		t.Fatal(err, pollErr)
	}
	if rep.Stories != 3*PruneBatch || rep.Batches != 3 {
		t.Fatalf("prune deleted %d stories in %d batches, want %d in 3", rep.Stories, rep.Batches, 3*PruneBatch)
	}
	if !slices.Equal(seenBy, []int{2, 3}) {
		t.Fatalf("the poll's story was committed when batches %v ran, want [2 3]: the poll waited for more than one batch", seenBy)
	}
}

// checkFeedCounts compares the stories count FeedHealth reports (kept by
// triggers) with a count of the sightings.
func checkFeedCounts(t *testing.T, s *Store, step string) {
	t.Helper()
	health, err := s.FeedHealth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range health {
		var n int
		if err := s.read.QueryRow(`SELECT COUNT(*) FROM sightings WHERE feed_id = ?`, f.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if f.Stories != n {
			t.Errorf("%s: feed %s reports %d stories, carries %d", step, f.ID, f.Stories, n)
		}
	}
}

// TestFeedStoryCountFollowsSightings checks the per-feed count through new
// stories, a story carried by a second feed, a repeat and a prune.
func TestFeedStoryCountFollowsSightings(t *testing.T) {
	s, _ := openTest(t)
	old := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	saveItems(t, s, "cam", old, item("a", "A"), item("b", "B"))
	saveItems(t, s, "world", old, item("a", "A"), item("c", "C"))
	saveItems(t, s, "cam", old.Add(time.Hour), item("a", "A"), item("b", "B edited"))
	checkFeedCounts(t, s, "after ingest")
	health, err := s.FeedHealth(t.Context())
	if err != nil || len(health) != 2 || health[0].Stories != 2 || health[1].Stories != 2 {
		t.Fatalf("feed health %+v (%v): want cam and world with 2 stories each", health, err)
	}
	now := old.Add(400 * 24 * time.Hour)
	s.SetClock(func() time.Time { return now })
	saveItems(t, s, "world", now, item("d", "D"))
	if _, err := s.Prune(t.Context(), now.Add(-365*24*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	checkFeedCounts(t, s, "after prune")
	health, _ = s.FeedHealth(t.Context())
	if health[0].Stories != 0 || health[1].Stories != 1 {
		t.Fatalf("after prune: %+v, want cam 0 and world 1", health)
	}
}

// Evidence is never deleted by retention: an old unmatched story that was
// captured (evidence.capture: all) stays with its capture, while its
// uncaptured neighbour goes.
func TestPruneKeepsEvidencedStories(t *testing.T) {
	s, _ := openTest(t)
	old := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	saveItems(t, s, "cam", old, item("old-captured", "Old captured story"), item("old-plain", "Old plain story"))
	captured := storyByTitle(t, s, "Old captured story")
	if _, err := s.EnqueueEvidence(t.Context(), false, old); err != nil {
		t.Fatal(err)
	}
	c := &Capture{StoryID: captured.ID, CapturedAt: old, URL: "https://news.example/a", FinalURL: "https://news.example/a",
		Status: 200, BodySHA256: strings.Repeat("ab", 32), WARCFile: "civicwatch-00001.warc.gz"}
	if err := s.SaveCapture(t.Context(), c, old.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	now := old.Add(400 * 24 * time.Hour)
	s.SetClock(func() time.Time { return now })
	rep, err := s.Prune(t.Context(), now.Add(-365*24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	left := storyIDs(t, s)
	if rep.Stories != 1 || len(left) != 1 || left[0] != captured.ID {
		t.Fatalf("prune deleted %d, left %v; want only the uncaptured story gone", rep.Stories, left)
	}
	if caps, err := s.Captures(t.Context(), captured.ID); err != nil || len(caps) != 1 {
		t.Errorf("the capture after a prune: %v, %v", caps, err)
	}
}
