package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// TestMaxPerDay: an alert sends at most max_per_day messages per channel in
// 24 hours; what matches after that is held back, and both the next message
// and the daily digest say how many stories were.
func TestMaxPerDay(t *testing.T) {
	rcv := newReceiver(t)
	dg := `digest:
  schedule: "0 7 * * *"
  from: "civicwatch <digest@example.org>"
  delivery: file
  recipients:
    - email: staff@example.org
`
	h := newHarness(t, dg+webhookAlert(rcv.URL, "    cooldown: 10m\n    max_per_day: 2\n"), hookEnv())
	story := 0
	pollOne := func() {
		story++
		h.poll("cambojanews", h.item(fmt.Sprint("m", story), fmt.Sprintf("Union leader arrested %d", story)))
		h.round()
	}
	pollOne() // 08:00: message 1
	h.clock.add(time.Hour)
	pollOne() // 09:00: message 2, the limit
	h.clock.add(time.Hour)
	pollOne() // 10:00: held back
	h.clock.add(time.Hour)
	pollOne() // 11:00: held back
	if n := len(rcv.requests()); n != 2 {
		t.Fatalf("%d messages with max_per_day 2, want 2", n)
	}

	// The daily digest (the dry run builds it as a send would) says so.
	h.clock.add(time.Minute) // its window ends when it is built: after the last story
	svc := &digest.Service{Store: h.st, Config: h.cfg, Now: h.clock.now}
	res, err := svc.DryRun(t.Context())
	if err != nil || len(res) != 1 || res[0].Message == nil {
		t.Fatalf("digest dry run: %v %+v", err, res)
	}
	want := "Urgent alert urgent reached its limit of 2 messages a day: 2 more stories matched it and were not pushed."
	if !strings.Contains(res[0].Message.Text, want) || !strings.Contains(res[0].Message.HTML, want) {
		t.Errorf("the digest does not report the held-back stories:\n%s", res[0].Message.Text)
	}

	// A day after the first message the limit frees up: the next message
	// carries the new story and reports the two held back.
	h.clock.add(21 * time.Hour) // 08:01 the next day
	pollOne()
	reqs := rcv.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d messages the next day, want 3", len(reqs))
	}
	ev := decodeEvent(t, reqs[2].Body)
	if len(ev.Stories) != 1 || ev.Stories[0].Title != "Union leader arrested 5" || ev.Overflow == nil ||
		ev.Overflow.Stories != 2 || ev.Overflow.MaxPerDay != 2 {
		t.Fatalf("next message %+v (overflow %+v)", ev.Stories, ev.Overflow)
	}
	if text := ev.Text(time.UTC, 0); !strings.Contains(text, "2 more stories matched after the limit of 2 messages a day was reached") {
		t.Errorf("text does not report the overflow:\n%s", text)
	}
	// Reported once only.
	h.clock.add(time.Hour)
	pollOne()
	reqs = rcv.requests()
	if ev := decodeEvent(t, reqs[len(reqs)-1].Body); ev.Overflow != nil {
		t.Errorf("the overflow is reported again: %+v", ev.Overflow)
	}
	rows := h.ledger()
	if rows[1].Overflow != 2 || rows[1].Status != store.AlertSent {
		t.Errorf("ledger %+v", rows[1])
	}
}
