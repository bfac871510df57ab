package alert

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/mailtest"
	"github.com/civicwatch/civicwatch/internal/store"
)

const khmerTitle = "ក្រសួងមហាផ្ទៃព្យួរសកម្មភាពសហជីព"

// channelAlert is an alert with one channel, given as YAML lines.
func channelAlert(channel string) string {
	return "alerts:\n  - id: urgent\n    topics: [unions, moi]\n    channels:\n" + channel
}

// pushKhmer stores one Khmer story and one English story and delivers.
func pushKhmer(h *harness) {
	h.poll("cambojanews", h.item("km1", khmerTitle), h.item("en1", "Union leader arrested"))
	h.round()
}

func TestNtfyRequest(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, channelAlert(fmt.Sprintf("      - ntfy: %s/cambodia-unions\n        token_env: NTFY_TOKEN\n", rcv.URL)),
		map[string]string{"NTFY_TOKEN": "tk_ntfy_secret"})
	pushKhmer(h)
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/cambodia-unions" {
		t.Errorf("%s %s, want POST to the topic", r.Method, r.Path)
	}
	if got := r.Header.Get("Title"); got != "civicwatch urgent: 2 new stories" {
		t.Errorf("Title %q", got)
	}
	if got := r.Header.Get("Priority"); got != "high" {
		t.Errorf("Priority %q, want the default high", got)
	}
	if got := r.Header.Get("Click"); got != "https://news.example/km1" {
		t.Errorf("Click %q, want the first story's link", got)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tk_ntfy_secret" {
		t.Errorf("Authorization %q", got)
	}
	body := string(r.Body)
	for _, want := range []string{khmerTitle, "Union leader arrested", "CamboJA News", "first seen 2026-12-03 08:00 UTC",
		"topics: unions, moi", "terms: ក្រសួងមហាផ្ទៃ, សហជីព", "https://news.example/en1"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	// One Khmer story: its title goes into the header, encoded, intact.
	h.clock.add(time.Hour)
	h.poll("vod", h.item("km2", "សហជីព "+khmerTitle))
	h.round()
	reqs = rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(reqs[1].Header.Get("Title"))
	if err != nil || dec != "civicwatch urgent: សហជីព "+khmerTitle {
		t.Errorf("Title decodes to %q (%v)", dec, err)
	}
}

func TestSlackRequest(t *testing.T) {
	rcv := newReceiver(t)
	h := newHarness(t, channelAlert("      - slack_env: SLACK_URL\n"), nil)
	h.env = map[string]string{"SLACK_URL": rcv.URL + "/services/T000/B000/XXXX"}
	pushKhmer(h)
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/services/T000/B000/XXXX" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	var msg struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, want := range []string{"*civicwatch urgent: 2 new stories*", "<https://news.example/km1|" + khmerTitle + ">",
		"<https://news.example/en1|Union leader arrested>", "terms: union*"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msg.Text)
		}
	}
	// The URL is the secret: the ledger names the variable only.
	if rows := h.ledger(); len(rows) != 1 || rows[0].Channel != "slack $SLACK_URL" || rows[0].Status != store.AlertSent {
		t.Errorf("ledger %+v", rows)
	}
}

func TestTelegramRequestAndRetryAfter(t *testing.T) {
	const token = "123456:AAbbCCddEEffGG"
	rcv := newReceiver(t, status(429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 300","parameters":{"retry_after":300}}`))
	h := newHarness(t, channelAlert(fmt.Sprintf("      - telegram: {token_env: TG_TOKEN, chat: \"-1001234567890\", api: %s}\n", rcv.URL)),
		map[string]string{"TG_TOKEN": token})
	pushKhmer(h)
	rows := h.ledger()
	if len(rows) != 1 || rows[0].Status != store.AlertPending || !rows[0].NextAttemptAt.Equal(t0.Add(300*time.Second)) {
		t.Fatalf("after a 429 with retry_after 300 the ledger has %+v", rows)
	}
	if strings.Contains(rows[0].LastError, token) || strings.Contains(h.logs.String(), token) {
		t.Errorf("the bot token leaked: %q", rows[0].LastError)
	}
	// Our own backoff (30 s, 60 s) would have tried again by now: the
	// receiver's wait counts.
	h.clock.add(2 * time.Minute)
	h.deliver()
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("%d requests 2 minutes after a 429 asking for 5, want 1", n)
	}
	h.clock.add(3 * time.Minute)
	h.deliver()
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests after retry_after, want 2", len(reqs))
	}
	r := reqs[1]
	if r.Method != "POST" || r.Path != "/bot"+token+"/sendMessage" {
		t.Errorf("%s %s, want POST /bot<token>/sendMessage", r.Method, r.Path)
	}
	var msg struct {
		ChatID string `json:"chat_id"`
		Text   string `json:"text"`
	}
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.ChatID != "-1001234567890" || !strings.Contains(msg.Text, khmerTitle) || !strings.Contains(msg.Text, "https://news.example/en1") {
		t.Errorf("sendMessage %+v", msg)
	}
	if rows := h.ledger(); rows[0].Status != store.AlertSent || rows[0].Attempts != 2 {
		t.Errorf("ledger %+v", rows)
	}
}

func TestMatrixRequest(t *testing.T) {
	rcv := newReceiver(t, status(502, ""))
	h := newHarness(t, channelAlert(fmt.Sprintf("      - matrix: {homeserver: %s, room: \"!abc:example.org\", token_env: MX_TOKEN}\n", rcv.URL)),
		map[string]string{"MX_TOKEN": "syt_matrix_secret"})
	pushKhmer(h)
	h.clock.add(time.Minute)
	h.deliver()
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (a 502, then the retry)", len(reqs))
	}
	ev := decodeEvent(t, h.ledger()[0].Payload)
	wantPath := "/_matrix/client/v3/rooms/" + url.PathEscape("!abc:example.org") + "/send/m.room.message/" + ev.EventID
	for _, r := range reqs {
		if r.Method != "PUT" || r.Path != wantPath {
			t.Errorf("%s %s, want PUT %s: the transaction id is the event id on every try", r.Method, r.Path, wantPath)
		}
		if r.Header.Get("Authorization") != "Bearer syt_matrix_secret" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
	}
	var msg map[string]string
	if err := json.Unmarshal(reqs[1].Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg["msgtype"] != "m.text" || !strings.Contains(msg["body"], khmerTitle) ||
		!strings.Contains(msg["formatted_body"], `<a href="https://news.example/en1">Union leader arrested</a>`) {
		t.Errorf("message %v", msg)
	}
}

func TestEmailThroughDigestSMTP(t *testing.T) {
	smtpd := mailtest.Start(t, nil)
	mail := fmt.Sprintf(`digest:
  from: "civicwatch <alerts@example.org>"
smtp:
  host: 127.0.0.1
  port: %d
  tls: none
`, smtpd.Port)
	h := newHarness(t, mail+channelAlert("      - email: [staff@example.org, legal@example.org]\n"), nil)
	pushKhmer(h)
	for _, to := range []string{"staff@example.org", "legal@example.org"} {
		msgs := smtpd.To(to)
		if len(msgs) != 1 {
			t.Fatalf("%s got %d messages, want 1", to, len(msgs))
		}
		data := string(msgs[0].Data)
		if !strings.Contains(data, "Subject: civicwatch urgent: 2 new stories") || !strings.Contains(data, "Message-ID: <alert.cw-") {
			t.Errorf("message to %s:\n%s", to, data)
		}
	}
	rows := h.ledger()
	if len(rows) != 2 || rows[0].Status != store.AlertSent || rows[1].Status != store.AlertSent {
		t.Errorf("ledger %+v: one row per address, sent", rows)
	}
}

// TestTestMessage: `alerts test` sends a marked message to every channel
// and reports each outcome; a test is never retried by the alerter.
func TestTestMessage(t *testing.T) {
	ok := newReceiver(t)
	bad := newReceiver(t, status(403, "forbidden"), status(403, "forbidden"))
	h := newHarness(t, channelAlert(fmt.Sprintf("      - webhook: %s/a\n      - webhook: %s/b\n        secret_env: HOOK_SECRET\n", ok.URL, bad.URL)), hookEnv())
	res, err := h.svc.Test(t.Context(), "urgent")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Outcome != store.AlertSent || res[1].Outcome != store.AlertFailed || !strings.Contains(res[1].Err.Error(), "403") {
		t.Fatalf("results %+v", res)
	}
	ev := decodeEvent(t, ok.requests()[0].Body)
	if !ev.Test || ev.Alert != "urgent" {
		t.Errorf("test event %+v", ev)
	}
	h.clock.add(time.Hour)
	h.deliver()
	if len(ok.requests()) != 1 || len(bad.requests()) != 1 {
		t.Errorf("a test message was sent again")
	}
	if _, err := h.svc.Test(t.Context(), "nope"); err == nil {
		t.Error("an unknown alert id gave no error")
	}
}

// TestSecretsStayOut: a receiver's answer echoing the secret, and a failure
// to connect with the token in the URL, leave no secret in the ledger or
// the logs.
func TestSecretsStayOut(t *testing.T) {
	const token = "987654:SECRETtokenXYZ"
	rcv := newReceiver(t, status(400, "bad request for bot"+token))
	dead := newReceiver(t)
	dead.Close()
	h := newHarness(t, channelAlert(fmt.Sprintf(`      - telegram: {token_env: TG_TOKEN, chat: "1", api: %s}
      - telegram: {token_env: TG_TOKEN, chat: "2", api: %s}
`, rcv.URL, dead.URL)), map[string]string{"TG_TOKEN": token})
	pushKhmer(h)
	rows := h.ledger()
	if len(rows) != 2 {
		t.Fatalf("ledger %+v", rows)
	}
	for _, r := range rows {
		if r.LastError == "" || strings.Contains(r.LastError, token) || strings.Contains(r.Channel, token) {
			t.Errorf("ledger row %s: %q", r.Channel, r.LastError)
		}
	}
	if logs := h.logs.String(); strings.Contains(logs, token) || !strings.Contains(logs, "alert not delivered") {
		t.Errorf("logs:\n%s", logs)
	}
}

// TestEmailAsFiles: with the digest's delivery "file", an alert is written
// beside the day's digest under a name of its own, never over it.
func TestEmailAsFiles(t *testing.T) {
	dir := t.TempDir()
	dg := fmt.Sprintf("digest:\n  from: \"civicwatch <alerts@example.org>\"\n  delivery: file\n  dir: %s\n", dir)
	digestFile := filepath.Join(dir, "2026-12-03-staff@example.org.eml")
	if err := os.WriteFile(digestFile, []byte("the digest"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dg+channelAlert("      - email: [staff@example.org]\n"), nil)
	pushKhmer(h)
	h.clock.add(time.Hour)
	h.poll("vod", h.item("later", "Union congress postponed"))
	h.round()
	files, _ := filepath.Glob(filepath.Join(dir, "2026-12-03-alert-cw-*-staff@example.org.eml"))
	if len(files) != 2 {
		t.Errorf("alert files %v, want one per message", files)
	}
	if b, _ := os.ReadFile(digestFile); string(b) != "the digest" {
		t.Error("an alert overwrote the day's digest file")
	}
}
