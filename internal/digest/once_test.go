package digest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Installed at 21:00, polled, sent at once: the digest carries what was
// seen since the schedule's 07:00, and the next morning's starts where it
// ended.
func TestLateSendCarriesWhatWasSeen(t *testing.T) {
	r := newRig(t, "")
	install := day1.Add(14 * time.Hour) // 21:00 in Amsterdam
	var items []feed.Item
	for i := range 29 {
		items = append(items, story(fmt.Sprintf("u%02d", i), fmt.Sprintf("Union leader %02d arrested", i), ""))
	}
	r.poll("cam", install, items...)
	a := r.send(install.Add(time.Minute))["a@example.org"]
	if a.Outcome != OutcomeSent || a.Stories != 29 {
		t.Fatalf("late send: %+v, want 29 stories sent", a)
	}
	text := mailtest.Parse(t, r.srv.To("a@example.org")[0].Data).Part("text/plain")
	if strings.Contains(text, "Nothing matched") || !strings.Contains(text, "29 stories") || !strings.Contains(text, "Union leader 07 arrested") {
		t.Errorf("the late digest does not list what matched:\n%s", text)
	}
	d := r.ledger("a@example.org", "2026-11-25")
	if !d.WindowEnd.Equal(install.Add(time.Minute)) {
		t.Errorf("window ends %v, want the moment it was built, %v", d.WindowEnd, install.Add(time.Minute))
	}

	// At 22:00 another story; the next morning's digest has it alone.
	r.poll("cam", install.Add(time.Hour), story("late", "Union federation protests", ""))
	a = r.send(day1.Add(24 * time.Hour))["a@example.org"]
	if a.Outcome != OutcomeSent || a.Stories != 1 {
		t.Fatalf("next morning: %+v, want the one story seen after the late digest", a)
	}
	if d := r.ledger("a@example.org", "2026-11-26"); !d.WindowStart.Equal(install.Add(time.Minute)) {
		t.Errorf("next window starts %v, want where the last ended, %v", d.WindowStart, install.Add(time.Minute))
	}
}

// The header's figures agree with what the console lists for the same
// window: every matched story is counted, shown, grouped or said to be
// left out.
func TestHeaderCountsAgreeWithTheArchive(t *testing.T) {
	r := newRig(t, "")
	at := day1.Add(-2 * time.Hour)
	old := story("old", "Union strike of 2019 recalled", "")
	old.Published = at.AddDate(-7, 0, 0)
	r.poll("cam", at, story("s1", "Union leader arrested after garment factory strike", ""), old,
		story("m1", "Ministry of Interior warns NGO", ""))
	r.poll("vod", at.Add(time.Minute), story("s2", "Union Leader Arrested After Garment-Factory Strike", ""))
	a := r.send(day1)["a@example.org"]
	text := strings.ReplaceAll(mailtest.Parse(t, r.srv.To("a@example.org")[0].Data).Part("text/plain"), "\r\n", "\n")

	listed, err := r.st.MatchedStories(t.Context(), store.MatchQuery{Since: day1.Add(-24 * time.Hour), Until: day1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 4 {
		t.Fatalf("the console lists %d stories, want 4", len(listed))
	}
	for _, want := range []string{"2 stories", fmt.Sprintf("%d matched your topics", len(listed)),
		"1 shown with another outlet's copy of the same news", "1 left out as published more than 7 days before"} {
		if !strings.Contains(text, want) {
			t.Errorf("header lacks %q:\n%s", want, text)
		}
	}
	if a.Stories != 3 {
		t.Errorf("ledger holds %d stories, want the 3 shown", a.Stories)
	}
}

// A server that answers 250 to the end of DATA and then drops the link:
// the message was accepted, so it is sent, once, and never again.
func TestAcceptedThenDroppedIsSentOnce(t *testing.T) {
	r := newRig(t, "")
	r.poll("cam", day1.Add(-time.Hour), story("u1", "Union leader arrested", ""),
		story("m1", "Ministry of Interior warns NGO", ""))
	r.srv.Fault("data:250-drop", "data:250-drop")
	svc := r.service()
	svc.Concurrency = 0 // both at once, as a real run does
	svc.Sender = nil    // the real SMTP path
	r.clock = day1.Add(time.Minute)
	results, err := svc.Send(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Outcome != OutcomeSent || res.Attempts != 1 {
			t.Errorf("%s: %+v, want sent at the first attempt", res.Recipient, res)
		}
	}
	for _, rcpt := range []string{"a@example.org", "b@example.org"} {
		if n := len(r.srv.To(rcpt)); n != 1 {
			t.Errorf("%s got %d copies, want 1", rcpt, n)
		}
		if d := r.ledger(rcpt, "2026-11-25"); d.Status != store.DigestSent {
			t.Errorf("%s: ledger %s, want sent", rcpt, d.Status)
		}
	}
	r.send(day1.Add(time.Hour))
	if n := len(r.srv.Messages()); n != 2 {
		t.Errorf("after a second run the server holds %d messages, want 2", n)
	}
}

// stuckRig sends over real SMTP with short timeouts, scaled down from the
// defaults so that a stuck server costs the test seconds, not minutes.
func stuckRig(t *testing.T, timeout time.Duration, retry Retry) (*rig, *Service) {
	t.Helper()
	r := newRig(t, "")
	r.cfg.SMTP.Timeout = config.Duration(timeout)
	r.poll("cam", day1.Add(-time.Hour), story("u1", "Union leader arrested", ""),
		story("m1", "Ministry of Interior warns NGO", ""))
	svc := r.service()
	svc.Concurrency, svc.Retry = 0, retry
	r.clock = day1.Add(time.Minute)
	return r, svc
}

// A server that never greets the first connection holds up nobody: the
// other recipient is served while the first waits, and the first is served
// at its next attempt, all in one run.
func TestStuckConnectionHoldsNobodyUp(t *testing.T) {
	const timeout = 2 * time.Second
	r, svc := stuckRig(t, timeout, Retry{Attempts: 3, Backoff: 50 * time.Millisecond, Budget: 20 * time.Second, Sleep: sleep})
	r.srv.Stall(1)
	start := time.Now()
	done := make(chan []Result, 1)
	go func() {
		res, err := svc.Send(t.Context())
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// While the first connection waits for a greeting that never comes,
	// the other recipient's digest arrives.
	for len(r.srv.Messages()) == 0 {
		if time.Since(start) > timeout {
			t.Fatal("nobody was served while one connection was stuck")
		}
		time.Sleep(10 * time.Millisecond)
	}
	results := <-done
	if r.srv.Stalled() != 1 {
		t.Fatalf("%d connections stalled, want 1", r.srv.Stalled())
	}
	attempts := 0
	for _, res := range results {
		if res.Outcome != OutcomeSent {
			t.Errorf("%s: %+v, want sent", res.Recipient, res)
		}
		attempts += res.Attempts
	}
	if attempts != 3 {
		t.Errorf("%d attempts in all, want 3 (one stuck, then one each)", attempts)
	}
	for _, rcpt := range []string{"a@example.org", "b@example.org"} {
		if n := len(r.srv.To(rcpt)); n != 1 {
			t.Errorf("%s got %d copies", rcpt, n)
		}
	}
}

// A server that never greets anyone: the run ends within its budget (plus
// one step's timeout), every row stays pending with the reason, and a later
// run sends them.
func TestServerThatNeverAnswersEndsTheRunInTime(t *testing.T) {
	const timeout = 500 * time.Millisecond
	retry := Retry{Attempts: 3, Backoff: 100 * time.Millisecond, Budget: 2 * time.Second, Sleep: sleep}
	r, svc := stuckRig(t, timeout, retry)
	r.srv.Stall(-1)
	start := time.Now()
	results, err := svc.Send(t.Context())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if limit := retry.Budget + timeout + time.Second; took > limit {
		t.Errorf("the run took %v against a silent server, want at most %v", took, limit)
	}
	for _, res := range results {
		if res.Outcome != OutcomePending || res.Err == nil {
			t.Errorf("%s: %+v, want pending with the reason", res.Recipient, res)
		}
		d := r.ledger(res.Recipient, "2026-11-25")
		if d.Status != store.DigestPending || !strings.Contains(d.LastError, "timeout") && !strings.Contains(d.LastError, "time for delivery ran out") {
			t.Errorf("%s: ledger %s %q, want pending with a timeout", res.Recipient, d.Status, d.LastError)
		}
	}
	r.srv.Stall(0)
	r.clock = day1.Add(time.Hour)
	results, err = svc.Send(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Outcome != OutcomeSent || !res.Resent {
			t.Errorf("%s, later run: %+v, want the stored digest sent", res.Recipient, res)
		}
	}
}

// The defaults keep a run against a silent server to about three minutes:
// the budget, plus at most one step still waiting when it runs out.
func TestDefaultsBoundARunToThreeMinutes(t *testing.T) {
	if worst := DefaultRetry.Budget + DefaultSMTPTimeout; worst > 3*time.Minute {
		t.Errorf("worst case %v", worst)
	}
	if DefaultSMTPTimeout != config.DefaultSMTPTimeout.D() {
		t.Errorf("the digest's SMTP timeout %v and the config's default %v differ", DefaultSMTPTimeout, config.DefaultSMTPTimeout)
	}
	if DefaultRetry.Budget <= 0 || DefaultSMTPTimeout > time.Minute {
		t.Errorf("unbounded defaults: %+v, %v", DefaultRetry, DefaultSMTPTimeout)
	}
}

// Over a week of random polls and sends, with downtime, mail-server
// outages and a clock change under a schedule that falls in the
// spring-forward gap, every story reaches each reader whose topics it
// matches exactly once: none in two digests, none in neither, one message
// per digest sent.
func TestEveryStoryInExactlyOneDigest(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { weekOfDigests(t, seed) })
	}
}

func weekOfDigests(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	r := newRig(t, "  schedule: \"30 2 * * *\"\n") // 02:30 does not exist on 28 March 2027
	// Thursday 25 March 2027, 03:00 in Amsterdam, after the day's send time.
	begin := time.Date(2027, 3, 25, 2, 0, 0, 0, time.UTC)
	r.send(begin) // the first digest opens the watch: its window starts the day before
	clock := begin
	var stories []string
	n := 0
	for clock.Before(begin.Add(7 * 24 * time.Hour)) {
		clock = clock.Add(time.Duration(rng.Int64N(int64(9 * time.Hour))))
		switch k := rng.IntN(10); {
		case k < 6: // a poll of one to three stories
			var items []feed.Item
			for range 1 + rng.IntN(3) {
				n++
				title := fmt.Sprintf("Union leader %d arrested", n)
				if rng.IntN(3) == 0 {
					title = fmt.Sprintf("Ministry of Interior warns NGO %d", n)
				}
				items = append(items, story(fmt.Sprintf("s%d", n), title, ""))
				stories = append(stories, fmt.Sprintf("s%d", n))
			}
			r.poll([]string{"cam", "vod"}[rng.IntN(2)], clock, items...)
		case k < 9: // a send, sometimes into a mail-server outage
			r.srv.SetDown(rng.IntN(4) == 0)
			r.send(clock)
		default: // downtime: a day or two with neither polls nor sends
			clock = clock.Add(time.Duration(24+rng.IntN(24)) * time.Hour)
		}
	}
	r.srv.SetDown(false)
	end := clock.Add(24 * time.Hour)
	r.send(end) // the last digest takes whatever is left
	checkExactlyOnce(t, r, stories, end)
}

// checkExactlyOnce checks the ledger and the server against every story
// polled: each is in exactly one sent digest of each reader whose topics it
// matches, and each sent digest reached its reader once.
func checkExactlyOnce(t *testing.T, r *rig, guids []string, end time.Time) {
	t.Helper()
	ledger, err := r.st.RecentDigests(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]map[int64]int{} // recipient → story → digests sent holding it
	for _, d := range ledger {
		if d.Status != store.DigestSent {
			continue
		}
		if in[d.Recipient] == nil {
			in[d.Recipient] = map[int64]int{}
		}
		for _, id := range d.StoryIDs {
			in[d.Recipient][id]++
		}
		got := 0
		for _, m := range r.srv.To(d.Recipient) {
			if strings.Contains(string(m.Data), "<"+d.MessageID+">") {
				got++
			}
		}
		if got != 1 {
			t.Errorf("digest %s/%s reached the server %d times", d.Recipient, d.Period, got)
		}
	}
	listed, err := r.st.MatchedStories(t.Context(), store.MatchQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(guids) {
		t.Fatalf("%d stories matched, %d polled", len(listed), len(guids))
	}
	for _, s := range listed {
		if !s.FirstSeenAt.Before(end) {
			continue
		}
		readers := []string{"a@example.org"}
		if strings.HasPrefix(s.Title, "Ministry") {
			readers = append(readers, "b@example.org")
		}
		for _, rcpt := range []string{"a@example.org", "b@example.org"} {
			want := 0
			if slices.Contains(readers, rcpt) {
				want = 1
			}
			if got := in[rcpt][s.ID]; got != want {
				t.Errorf("%q (first seen %v) is in %d digests of %s, want %d", s.Title, s.FirstSeenAt, got, rcpt, want)
			}
		}
	}
}

// The same with the shipped defaults, unscaled (30 s a step, 15 s before
// the second attempt): a first connection that is never greeted delays its
// recipient by one step's timeout and a backoff, and the run is over well
// within three minutes.
func TestStuckFirstConnectionWithTheDefaults(t *testing.T) {
	t.Parallel()
	r, svc := stuckRig(t, DefaultSMTPTimeout, DefaultRetry)
	r.srv.Stall(1)
	start := time.Now()
	results, err := svc.Send(t.Context())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Outcome != OutcomeSent {
			t.Errorf("%s: %+v, want sent", res.Recipient, res)
		}
	}
	if r.srv.Stalled() != 1 || took > 3*time.Minute {
		t.Errorf("%d stalled, run took %v; want 1 and under 3 minutes", r.srv.Stalled(), took)
	}
	t.Logf("run took %v", took)
}
