package web

import (
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// TestAlertsPage: the ledger with each message's state, and the channels
// failing for over an hour called out; error text from receivers is shown
// as text.
func TestAlertsPage(t *testing.T) {
	f := newFixture(t)
	if _, body := f.get("/alerts"); !strings.Contains(body, "No alert has been sent yet") {
		t.Errorf("empty /alerts:\n%s", body)
	}
	ctx := t.Context()
	id := f.ids[hostileTitle]
	created := time.Now().Add(-3 * time.Hour).UTC()
	ok, err := f.store.CreateAlertMessage(ctx, store.AlertMessage{EventID: "cw-ok", Alert: "urgent", Channel: "webhook https://hooks.example.org/x",
		Payload: []byte(`{}`), Stories: 3, Overflow: 2, CreatedAt: created}, []int64{id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.AlertSent(ctx, ok.ID, created.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	bad, err := f.store.CreateAlertMessage(ctx, store.AlertMessage{EventID: "cw-bad", Alert: "urgent", Channel: "telegram -100",
		Payload: []byte(`{}`), Stories: 1, CreatedAt: created.Add(time.Minute)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.AlertAttemptFailed(ctx, bad.ID, "temporary failure (HTTP 502): <script>alert(1)</script>", false,
		created.Add(time.Minute), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, body := f.get("/alerts")
	if res.StatusCode != 200 {
		t.Fatalf("/alerts: %d", res.StatusCode)
	}
	for _, want := range []string{"webhook https://hooks.example.org/x", "cw-ok", "3 (+2 held back)", "telegram -100", "cw-bad",
		"Channels failing for over an hour", "&lt;script&gt;alert(1)&lt;/script&gt;", `href="/alerts" aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/alerts lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "cw-bad") > strings.Index(body, "cw-ok") {
		t.Error("/alerts does not list the newest first")
	}
	inert(t, "alerts", body)
	wantHeaders(t, "alerts", res)
}
