package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// TestExportsCarryEvidence: the console's Atom feed and JSON API say, per
// story, what is kept of its page, read from the store.
func TestExportsCarryEvidence(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	if _, err := f.store.EnqueueEvidence(ctx, true, at); err != nil {
		t.Fatal(err)
	}
	// The newest story with a capture and a re-check that found it removed.
	evs, err := f.store.EvidenceList(ctx, "", 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("evidence list %d, %v", len(evs), err)
	}
	id := evs[0].StoryID
	if err := f.store.SaveCapture(ctx, &store.Capture{StoryID: id, CapturedAt: at, URL: "u", FinalURL: "u", Status: 200,
		BodySHA256: "aa", WARCFile: "w", WARCRecordID: "<urn:uuid:1>"}, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveCheck(ctx, &store.Check{StoryID: id, At: at.Add(time.Minute), Outcome: "removed", Status: 404,
		State: store.EvidenceRemoved}); err != nil {
		t.Fatal(err)
	}

	_, body := f.get("/api/matches?limit=100")
	var page struct {
		Matches []struct {
			ID       int64 `json:"id"`
			Evidence *struct {
				State        string     `json:"state"`
				Captures     int        `json:"captures"`
				FirstCapture *time.Time `json:"first_capture"`
				LastCheck    *time.Time `json:"last_check"`
				LastOutcome  string     `json:"last_outcome"`
			} `json:"evidence"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	seen := 0
	for _, m := range page.Matches {
		if m.Evidence == nil {
			t.Errorf("story %d has no evidence, though every matched story was queued", m.ID)
			continue
		}
		if m.ID != id {
			if m.Evidence.State != store.EvidenceQueued || m.Evidence.Captures != 0 {
				t.Errorf("story %d: %+v, want queued", m.ID, m.Evidence)
			}
			continue
		}
		seen++
		e := m.Evidence
		if e.State != "removed" || e.Captures != 1 || e.FirstCapture == nil || !e.FirstCapture.Equal(at) ||
			e.LastCheck == nil || !e.LastCheck.Equal(at.Add(time.Minute)) || e.LastOutcome != "removed" {
			t.Errorf("story %d: %+v", id, e)
		}
	}
	if seen != 1 {
		t.Fatalf("the captured story is listed %d times", seen)
	}
	_, atom := f.get("/feeds/all.atom")
	if !strings.Contains(atom, `<evidence xmlns="https://github.com/civicwatch/civicwatch/ns/evidence" state="removed" captures="1"`) ||
		strings.Count(atom, `state="queued"`) != strings.Count(atom, "<entry>")-1 {
		t.Errorf("atom feed's evidence:\n%s", atom)
	}
}
