package alert

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/store"
)

func webhookAlert(url string, extra string) string {
	return fmt.Sprintf(`alerts:
  - id: urgent
    topics: [unions, moi]
%s    channels:
      - webhook: %s
        secret_env: HOOK_SECRET
`, extra, url)
}

const hookSecret = "s3cret-hook-key-0123"

func hookEnv() map[string]string { return map[string]string{"HOOK_SECRET": hookSecret} }

// TestWebhookOnceSigned: a matching story stored gives one signed POST whose
// body lists it; the same feed polled again, and more deliveries, give
// nothing more.
func TestWebhookOnceSigned(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, webhookAlert(rcv.URL+"/hook", ""), hookEnv())
	it := h.item("a1", "Union leader arrested in Phnom Penh")
	it.Summary = "Police arrested the union president; សហជីព members gathered."
	h.poll("cambojanews", it, h.item("x", "Rice harvest up this year"))
	h.poll("vod", it) // the same story from a second outlet
	h.round()

	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if got, want := r.Header.Get(HeaderSignature), Sign([]byte(hookSecret), r.Body); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature %q, want %q", got, want)
	}
	if !strings.HasPrefix(r.Header.Get(HeaderSignature), "sha256=") || len(r.Header.Get(HeaderSignature)) != len("sha256=")+64 {
		t.Errorf("signature header %q is not sha256=<64 hex>", r.Header.Get(HeaderSignature))
	}
	ev := decodeEvent(t, r.Body)
	if ev.Alert != "urgent" || ev.EventID == "" || r.Header.Get(HeaderEventID) != ev.EventID {
		t.Errorf("event %q/%q, header id %q", ev.Alert, ev.EventID, r.Header.Get(HeaderEventID))
	}
	if len(ev.Stories) != 1 {
		t.Fatalf("stories %+v, want the one that matched", ev.Stories)
	}
	s := ev.Stories[0]
	if s.Title != it.Title || s.URL != it.URL || !s.FirstSeen.Equal(t0) || !s.Published.Equal(t0) ||
		!slices.Equal(s.Topics, []string{"unions"}) || !slices.Contains(s.Terms, "union*") || !slices.Contains(s.Terms, "សហជីព") {
		t.Errorf("story %+v", s)
	}
	if !slices.Equal(s.Outlets, []string{"CamboJA News", "VOD"}) {
		t.Errorf("outlets %v: both outlets carried the story, first seen on CamboJA News", s.Outlets)
	}

	// Polled again (nothing new), delivered again hours later: nothing.
	h.clock.add(3 * time.Hour)
	h.poll("cambojanews", it)
	h.round()
	h.round()
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("after a second poll the receiver has %d requests, want still 1", n)
	}
	rows := h.ledger()
	if len(rows) != 1 || rows[0].Status != store.AlertSent || rows[0].Attempts != 1 || rows[0].Stories != 1 {
		t.Errorf("ledger %+v", rows)
	}
}

// TestBurstIsBundled: twenty stories in one poll are one message; stories
// arriving within the cooldown after it wait and go out together when it
// ends, one message per alert and channel.
func TestBurstIsBundled(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, webhookAlert(rcv.URL, "    cooldown: 15m\n"), hookEnv())
	var items []feed.Item
	for i := range 20 {
		items = append(items, h.item(fmt.Sprint("b", i), fmt.Sprintf("Union federation statement %d", i)))
	}
	h.poll("cambojanews", items...)
	h.round()
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("20 stories in one poll gave %d requests, want 1", len(reqs))
	}
	if ev := decodeEvent(t, reqs[0].Body); len(ev.Stories) != 20 {
		t.Fatalf("the message carries %d stories, want 20", len(ev.Stories))
	}

	// Two more within the cooldown, in separate polls: held, then one message.
	h.clock.add(2 * time.Minute)
	h.poll("vod", h.item("c1", "Union leader detained"))
	if next := h.round(); !next.Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("next wake-up %v, want the end of the cooldown %v", next, t0.Add(15*time.Minute))
	}
	h.clock.add(5 * time.Minute)
	h.poll("vod", h.item("c2", "Ministry of Interior suspends union"))
	h.round()
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("within the cooldown the receiver got %d requests, want still 1", n)
	}
	h.clock.add(8 * time.Minute) // t0+15m: the cooldown is over
	h.deliver()
	reqs = rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("after the cooldown the receiver has %d requests, want 2", len(reqs))
	}
	ev := decodeEvent(t, reqs[1].Body)
	var titles []string
	for _, s := range ev.Stories {
		titles = append(titles, s.Title)
	}
	if !slices.Equal(titles, []string{"Union leader detained", "Ministry of Interior suspends union"}) {
		t.Errorf("bundle %v", titles)
	}
	if got := ev.Stories[1].Topics; !slices.Equal(got, []string{"unions", "moi"}) {
		t.Errorf("topics %v, want both in config order", got)
	}
}

// TestRetriesKeepEventID: a receiver answering 500 twice gets the message a
// third time, with the same event id and body, and it is recorded sent once.
func TestRetriesKeepEventID(t *testing.T) {
	rcv := newReceiver(t, status(500, "oops"), status(503, "busy"))
	h := newHarness(t, webhookAlert(rcv.URL, ""), hookEnv())
	h.poll("cambojanews", h.item("r1", "Union leader arrested"))
	next := h.round()
	if want := t0.Add(DefaultBackoff.First); !next.Equal(want) {
		t.Errorf("after a 500 the next attempt is due %v, want %v", next, want)
	}
	h.deliver() // not due yet
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("%d requests before the backoff ended, want 1", n)
	}
	h.clock.add(DefaultBackoff.First)
	next = h.deliver()
	if want := h.clock.now().Add(2 * DefaultBackoff.First); !next.Equal(want) {
		t.Errorf("after a second failure the next attempt is due %v, want %v (doubled)", next, want)
	}
	h.clock.add(2 * DefaultBackoff.First)
	h.deliver()
	h.clock.add(time.Hour)
	h.deliver()
	reqs := rcv.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for _, r := range reqs[1:] {
		if r.Header.Get(HeaderEventID) != reqs[0].Header.Get(HeaderEventID) || string(r.Body) != string(reqs[0].Body) ||
			r.Header.Get(HeaderSignature) != reqs[0].Header.Get(HeaderSignature) {
			t.Errorf("a retry differs from the first attempt: %s / %s", r.Header.Get(HeaderEventID), reqs[0].Header.Get(HeaderEventID))
		}
	}
	rows := h.ledger()
	if len(rows) != 1 || rows[0].Status != store.AlertSent || rows[0].Attempts != 3 || rows[0].LastError != "" {
		t.Errorf("ledger %+v", rows)
	}
}

// TestFailureKinds: 2xx is final, 4xx other than 408/429 is permanent and
// shown, 408/429/5xx and a dead receiver are retried; Retry-After counts.
func TestFailureKinds(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		want    store.AlertStatus
		wantErr string
		next    time.Duration // pending: from now
	}{
		{"201 is accepted", status(201, ""), store.AlertSent, "", 0},
		{"accepted then dropped", acceptAndDrop, store.AlertSent, "", 0},
		{"404 is refused", status(404, "no such hook"), store.AlertFailed, "HTTP 404", 0},
		{"401 is refused", status(401, "bad signature"), store.AlertFailed, "bad signature", 0},
		{"a redirect is refused, not followed", status(302, "", "Location", "/elsewhere"), store.AlertFailed, "HTTP 302", 0},
		{"408 is retried", status(408, ""), store.AlertPending, "HTTP 408", DefaultBackoff.First},
		{"429 waits as asked", status(429, "", "Retry-After", "600"), store.AlertPending, "HTTP 429", 10 * time.Minute},
		{"502 is retried", status(502, ""), store.AlertPending, "HTTP 502", DefaultBackoff.First},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t, tc.answer)
			h := newHarness(t, webhookAlert(rcv.URL, ""), hookEnv())
			h.poll("cambojanews", h.item("k", "Union leader arrested"))
			h.round()
			rows := h.ledger()
			if len(rows) != 1 || rows[0].Status != tc.want || !strings.Contains(rows[0].LastError, tc.wantErr) {
				t.Fatalf("ledger %+v, want %s with %q", rows, tc.want, tc.wantErr)
			}
			if tc.want == store.AlertPending && !rows[0].NextAttemptAt.Equal(t0.Add(tc.next)) {
				t.Errorf("next attempt %v, want %v", rows[0].NextAttemptAt, t0.Add(tc.next))
			}
			// A day later: nothing final is attempted again.
			h.clock.add(2 * time.Hour)
			h.deliver()
			want := 1
			if tc.want == store.AlertPending {
				want = 2
			}
			if n := len(rcv.requests()); n != want {
				t.Errorf("receiver got %d requests, want %d", n, want)
			}
		})
	}
}

// TestDeadReceiverThenRestart: a message pending when the process stops
// (its receiver was down) is sent once after a restart, by the new process.
func TestDeadReceiverThenRestart(t *testing.T) {
	rcv := newReceiver(t, hangUp)
	h := newHarness(t, webhookAlert(rcv.URL, ""), hookEnv())
	h.poll("cambojanews", h.item("p", "Union leader arrested"))
	h.round()
	rows := h.ledger()
	if len(rows) != 1 || rows[0].Status != store.AlertPending || rows[0].Attempts != 1 {
		t.Fatalf("ledger %+v, want one pending row", rows)
	}
	eventID := rows[0].EventID

	// Restart: a new store and service on the same file; the receiver
	// answers now.
	h.st.Close()
	h.open()
	h.clock.add(time.Minute)
	h.round()
	h.clock.add(time.Hour)
	h.round()
	reqs := rcv.requests()
	if len(reqs) != 2 || reqs[1].Header.Get(HeaderEventID) != eventID {
		t.Fatalf("the receiver got %d requests (want 2, the second after the restart with event id %s)", len(reqs), eventID)
	}
	if rows := h.ledger(); len(rows) != 1 || rows[0].Status != store.AlertSent {
		t.Errorf("ledger %+v", rows)
	}
}

// TestRuleAndAge: an alert's own rule narrows its topics, its terms are
// reported, and old news (published long before it matched) is left to the
// digest.
func TestRuleAndAge(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, webhookAlert(rcv.URL, "    rule: 'arrest* OR detain* OR ចាប់ខ្លួន'\n"), hookEnv())
	old := h.item("old", "Union leader arrested last month")
	old.Published = t0.Add(-30 * 24 * time.Hour)
	h.poll("cambojanews",
		h.item("yes", "Union leader arrested"),
		h.item("km", "មេដឹកនាំសហជីពត្រូវបានចាប់ខ្លួន"),
		h.item("no", "Union holds annual congress"),
		old)
	h.round()
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	ev := decodeEvent(t, reqs[0].Body)
	if len(ev.Stories) != 2 || ev.Stories[0].Title != "Union leader arrested" || ev.Stories[1].Title != "មេដឹកនាំសហជីពត្រូវបានចាប់ខ្លួន" {
		t.Fatalf("stories %+v, want the arrest stories only, the Khmer title intact", ev.Stories)
	}
	if !slices.Equal(ev.Stories[0].Terms, []string{"union*", "arrest*"}) || !slices.Contains(ev.Stories[1].Terms, "ចាប់ខ្លួន") {
		t.Errorf("terms %v / %v", ev.Stories[0].Terms, ev.Stories[1].Terms)
	}
}

// TestNewAlertDoesNotPushTheArchive: stories matched before an alert was
// configured are not pushed when it starts.
func TestNewAlertDoesNotPushTheArchive(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, webhookAlert(rcv.URL, ""), hookEnv())
	h.clock.add(-time.Hour)
	h.poll("cambojanews", h.item("before", "Union leader arrested"))
	h.clock.add(time.Hour)
	h.round()
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("%d requests for a story matched before the alert started", n)
	}
}
