package lab

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

// save stores one item as a poll at the given time would. Its link is made
// from slug as archive makes them; its GUID is the link unless given.
func save(t *testing.T, st *store.Store, feedID string, at time.Time, slug, title, guid string) {
	t.Helper()
	st.SetClock(func() time.Time { return at })
	url := "https://news.example/" + slug
	it := feed.Item{GUID: cmp.Or(guid, url), URL: url, Title: title}
	if _, err := st.SaveFetches(t.Context(), []*store.Fetch{{FeedID: feedID, StartedAt: at, Outcome: store.OutcomeOK, Items: []feed.Item{it}}}); err != nil {
		t.Fatal(err)
	}
}

// sameAnswer checks an Index's answer against one read from scratch.
func sameAnswer(t *testing.T, step string, x *Index, a Archive, req Request) *Result {
	t.Helper()
	cfg := parseConfig(t, "global", testTopics)
	got, err := x.TestRule(t.Context(), a, cfg, req)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	want, err := TestRule(t.Context(), a, cfg, req)
	if err != nil {
		t.Fatal(err)
	}
	got.Elapsed, want.Elapsed = 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: the index answers\n%+v\nreading the archive afresh gives\n%+v", step, got, want)
	}
	return got
}

// TestIndexFollowsTheArchive changes the archive between answers in every
// way polling does (a new story, an edited one, a story carried by one more
// feed) and checks that the kept Index answers as a fresh read would.
func TestIndexFollowsTheArchive(t *testing.T) {
	st := archive(t, stories...)
	clock := day(6)
	x := NewIndex(func() time.Time { return clock }, 0)
	strikes := Request{Topic: "strikes", Rule: "strike OR walkout"}
	unions := Request{Topic: "unions", Rule: "union"}

	res := sameAnswer(t, "first answer", x, st, strikes)
	if res.Scanned != 5 || res.Candidate != 3 {
		t.Fatalf("first answer: %d scanned, %d matched; want 5 and 3", res.Scanned, res.Candidate)
	}

	clock = day(7)
	save(t, st, "cam", clock.Add(-time.Hour), "walkout", "Walkout at garment factory", "")
	if res = sameAnswer(t, "a new story", x, st, strikes); res.Candidate != 4 {
		t.Fatalf("a new story: %d matched, want 4", res.Candidate)
	}

	// A poll stamps its stories when its transaction starts, which can be
	// before the index last looked even though it commits after.
	save(t, st, "cam", clock.Add(-5*time.Minute), "late", "Late strike report", "")
	if res = sameAnswer(t, "a story stamped before the last look", x, st, strikes); res.Candidate != 5 {
		t.Fatalf("a story stamped before the last look: %d matched, want 5", res.Candidate)
	}

	// Story 1 ("Garment workers strike", feed cam) is edited: it no longer
	// says strike.
	clock = day(8)
	save(t, st, "cam", clock.Add(-time.Hour), "garment-workers-strike", "Garment workers return", "")
	if res = sameAnswer(t, "an edited story", x, st, strikes); res.Candidate != 4 {
		t.Fatalf("an edited story: %d matched, want 4", res.Candidate)
	}

	// Story 2 ("Dock workers strike", feed world) is carried by cam too:
	// tag:cambodia now holds for it.
	clock = day(9)
	save(t, st, "cam", clock.Add(-time.Hour), "dock-workers-strike", "Dock workers strike", "cam-dock")
	res = sameAnswer(t, "a story carried by one more feed", x, st, Request{Topic: "strikes"})
	if res.Current != 3 {
		t.Fatalf("a story carried by one more feed: the current rule matches %d, want 3 (stories 2, 5 and late)", res.Current)
	}

	// A topic with other words: the index learns them.
	_, before := x.Stories()
	sameAnswer(t, "new words", x, st, unions)
	sameAnswer(t, "new words, NEAR", x, st, Request{Topic: "unions", Rule: "union NEAR/2 (leader OR factory)"})
	if n, after := x.Stories(); n != 7 || after <= before {
		t.Fatalf("after new words the index holds %d stories, %d occurrences (%d before)", n, after, before)
	}

	// A word in one story of seven: the sketches rule the others out, and
	// only that story is read, beside the stories listed.
	counted := &counting{Store: st}
	rare := Request{Topic: "strikes", Rule: "strike OR return"}
	got, err := x.TestRule(t.Context(), counted, parseConfig(t, "global", testTopics), rare)
	if err != nil {
		t.Fatal(err)
	}
	if listed := len(got.Gained) + len(got.Lost) + len(got.Kept); counted.periods != 0 || counted.read != 1+listed {
		t.Fatalf("a rare new word: %d reads of the period and %d stories read by id; want none and 1 + %d listed", counted.periods, counted.read, listed)
	}
	if res = sameAnswer(t, "a rare new word", x, st, rare); res.NumGained != 1 {
		t.Fatalf("a rare new word: %d gained, want 1", res.NumGained)
	}

	// A narrower period is answered from the index, a wider one reads the
	// archive again.
	if res = sameAnswer(t, "a narrower period", x, st, Request{Topic: "unions", Since: day(3)}); res.Scanned != 4 {
		t.Fatalf("a narrower period: %d scanned, want 4", res.Scanned)
	}
	x2 := NewIndex(func() time.Time { return clock }, 0)
	sameAnswer(t, "a narrow period first", x2, st, Request{Topic: "unions", Since: day(3)})
	if res = sameAnswer(t, "then a wider one", x2, st, Request{Topic: "unions"}); res.Scanned != 7 {
		t.Fatalf("then a wider one: %d scanned, want 7", res.Scanned)
	}
}

// counting is an archive that counts reads of a period and stories read
// by id.
type counting struct {
	*store.Store
	periods, read int
}

func (c *counting) ScanStories(ctx context.Context, since time.Time, fn func([]store.ScanStory) error) error {
	c.periods++
	return c.Store.ScanStories(ctx, since, fn)
}

func (c *counting) ScanStoriesByID(ctx context.Context, ids []int64) ([]store.ScanStory, error) {
	c.read += len(ids)
	return c.Store.ScanStoriesByID(ctx, ids)
}

// failing is an archive whose scans fail from the nth on.
type failing struct {
	*store.Store
	scans, failFrom int
}

var errDisk = errors.New("disk on fire")

func (f *failing) ScanStories(ctx context.Context, since time.Time, fn func([]store.ScanStory) error) error {
	f.scans++
	if f.scans >= f.failFrom {
		return errDisk
	}
	return f.Store.ScanStories(ctx, since, fn)
}

// TestIndexAfterAFailedRead checks that a read failing halfway through
// learning new words leaves no half-learnt index behind.
func TestIndexAfterAFailedRead(t *testing.T) {
	st := archive(t, stories...)
	a := &failing{Store: st, failFrom: 2}
	x := NewIndex(func() time.Time { return day(6) }, 0)
	cfg := parseConfig(t, "global", testTopics)
	if _, err := x.TestRule(t.Context(), a, cfg, Request{Topic: "strikes"}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.TestRule(t.Context(), a, cfg, Request{Topic: "strikes", Rule: "dock"}); !errors.Is(err, errDisk) {
		t.Fatalf("a failed read gave %v, want %v", err, errDisk)
	}
	if n, _ := x.Stories(); n != 0 {
		t.Fatalf("after a failed read the index still holds %d stories", n)
	}
	a.failFrom = 100
	if res := sameAnswer(t, "after a failed read", x, a, Request{Topic: "strikes", Rule: "dock"}); res.Candidate != 1 {
		t.Fatalf("after a failed read: %d matched, want 1", res.Candidate)
	}
}

func TestIndexLetsGoWhenIdle(t *testing.T) {
	st := archive(t, stories...)
	x := NewIndex(func() time.Time { return day(6) }, 20*time.Millisecond)
	sameAnswer(t, "first answer", x, st, Request{Topic: "strikes"})
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := x.Stories(); n != 0; n, _ = x.Stories() {
		if time.Now().After(deadline) {
			t.Fatalf("still holding %d stories long after its last answer", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	sameAnswer(t, "after letting go", x, st, Request{Topic: "strikes"})
}

// TestIndexDoesNotHoldTooLongAPeriod answers for a period of more stories
// than an Index may hold by reading it, and lets go of what it held.
func TestIndexDoesNotHoldTooLongAPeriod(t *testing.T) {
	st := archive(t, stories...)
	x := NewIndex(func() time.Time { return day(6) }, 0)
	sameAnswer(t, "a short period", x, st, Request{Topic: "strikes", Since: day(3)})
	if n, _ := x.Stories(); n != 2 {
		t.Fatalf("the index holds %d stories, want 2", n)
	}
	defer func(n int) { maxHeld = n }(maxHeld)
	maxHeld = 4
	if res := sameAnswer(t, "five stories, four at most held", x, st, Request{Topic: "strikes", Rule: "strike"}); res.Scanned != 5 {
		t.Fatalf("%d scanned, want 5", res.Scanned)
	}
	if n, _ := x.Stories(); n != 0 {
		t.Fatalf("the index still holds %d stories", n)
	}
	sameAnswer(t, "a short period again", x, st, Request{Topic: "strikes", Since: day(3)})
	if n, _ := x.Stories(); n != 2 {
		t.Fatalf("the index holds %d stories, want 2", n)
	}
}

// TestIndexDropsPrunedStories prunes stories the Index holds and checks
// that its next answer neither counts nor lists them, as a fresh read of
// the archive would; and that an Index that has not looked for longer than
// the deletion log reaches reads the archive again.
func TestIndexDropsPrunedStories(t *testing.T) {
	st := archive(t, stories...)
	clock := day(6)
	x := NewIndex(func() time.Time { return clock }, 0)
	strikes := Request{Topic: "strikes", Rule: "strike OR walkout"}
	if res := sameAnswer(t, "first answer", x, st, strikes); res.Scanned != 5 || res.Candidate != 3 {
		t.Fatalf("first answer: %d scanned, %d matched; want 5 and 3", res.Scanned, res.Candidate)
	}

	// Stories 1 and 2 (days 0 and 1, both saying strike) are unmatched
	// in the store: the archive was written without rules.
	clock = day(7)
	st.SetClock(func() time.Time { return clock })
	if rep, err := st.Prune(t.Context(), day(2), nil); err != nil || rep.Stories != 2 {
		t.Fatalf("prune: %+v, %v; want 2 stories deleted", rep, err)
	}
	res := sameAnswer(t, "after a prune", x, st, strikes)
	if n, _ := x.Stories(); res.Scanned != 3 || res.Candidate != 1 || n != 3 {
		t.Fatalf("after a prune: %d scanned, %d matched, %d held; want 3, 1 and 3", res.Scanned, res.Candidate, n)
	}

	// Long after: the deletion log no longer reaches the Index's last
	// look, so it reads the period again rather than trust what it holds.
	clock = day(7).Add(store.DeletionLogKeep + time.Hour)
	st.SetClock(func() time.Time { return clock })
	counted := &counting{Store: st}
	if _, err := x.TestRule(t.Context(), counted, parseConfig(t, "global", testTopics), strikes); err != nil {
		t.Fatal(err)
	}
	if counted.periods != 1 {
		t.Fatalf("after the deletion log's reach the index read the period %d times, want once", counted.periods)
	}
}
