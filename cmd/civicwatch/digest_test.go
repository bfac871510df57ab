package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/daemon"
	"github.com/civicwatch/civicwatch/internal/digest"
	"github.com/civicwatch/civicwatch/internal/mailtest"
)

// Feeds of the digest tests. One article is carried by both outlets under
// the same URL; one is in Khmer; one matches no topic.
var digestFeeds = map[string]string{
	"/cam": `<item><guid>c1</guid><title>Union leader arrested after garment strike</title>
<link>https://news.example/union-arrest?utm_source=rss</link>
<description>Police detained the union president in Phnom Penh.</description></item>
<item><guid>c2</guid><title>ក្រសួងមហាផ្ទៃ ព្រមានសមាគមមួយ</title><link>https://cam.example/km-moi</link>
<description>ក្រសួងមហាផ្ទៃ បានព្រមានសមាគមមួយ។</description></item>
<item><guid>c3</guid><title>Football: Angkor Tiger win the derby</title><link>https://cam.example/football</link></item>`,
	"/vod": `<item><guid>v1</guid><title>Union leader arrested after garment strike</title>
<link>https://news.example/union-arrest</link><description>The union president was detained.</description></item>
<item><guid>v2</guid><title>Ministry of Interior suspends labour NGO</title><link>https://vod.example/moi-ngo</link>
<description>The Ministry of Interior suspended the association for three months.</description></item>`,
}

// feedServer serves items as RSS at their paths.
func feedServer(t *testing.T, items map[string]string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>%s</channel></rss>`, items[r.URL.Path])
	}))
	t.Cleanup(ts.Close)
	return ts
}

// digestConfig writes a feeds.yaml with the two outlets, two topics, two
// recipients (a@ reads everything, b@ the MoI only) and the SMTP server at
// port; extra goes into the digest section.
func digestConfig(t *testing.T, dir, base string, port int, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`fetch:
  timeout: 5s
  allow_private_networks: true
feeds:
  - id: cam
    name: CamboJA News
    url: %[1]s/cam
    tags: [cambodia]
  - id: vod
    name: VOD
    url: %[1]s/vod
    tags: [cambodia]
topics:
  - id: unions
    name: Cambodian unions
    rule: union OR សហជីព
  - id: moi
    name: Ministry of Interior
    rule: '"Ministry of Interior" OR ក្រសួងមហាផ្ទៃ'
digest:
  from: "civicwatch <digest@example.org>"
%[3]s  recipients:
    - email: a@example.org
      name: Staff A
    - email: b@example.org
      topics: [moi]
smtp:
  host: 127.0.0.1
  port: %[2]d
  tls: none
`, base, port, extra)
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// digestClock sets the digest clock to a minute after at, the send time of
// the period under test, an hour from now: its window (the 24 hours before
// it) holds what is polled now, whatever the time of day. Retries are made
// instant.
func digestClock(t *testing.T) (at time.Time, schedule string) {
	t.Helper()
	at = time.Now().UTC().Truncate(time.Minute).Add(time.Hour)
	oldNow, oldRetry := digestNow, digestRetry
	digestNow = func() time.Time { return at.Add(time.Minute) }
	digestRetry = digest.Retry{Attempts: 3, Backoff: time.Millisecond, Sleep: func(context.Context, time.Duration) error { return nil }}
	t.Cleanup(func() { digestNow, digestRetry = oldNow, oldRetry })
	return at, fmt.Sprintf("  schedule: \"%d %d * * *\"\n", at.Minute(), at.Hour())
}

// digestSetup polls the feeds and returns the environment for the CLI and
// the send time of the period.
func digestSetup(t *testing.T, items map[string]string, srv *mailtest.Server, extra string) (map[string]string, time.Time) {
	t.Helper()
	at, schedule := digestClock(t)
	dir := t.TempDir()
	ts := feedServer(t, items)
	env := map[string]string{"CIVICWATCH_CONFIG": digestConfig(t, dir, ts.URL, srv.Port, schedule+extra),
		"CIVICWATCH_DB": filepath.Join(dir, "cw.db")}
	if code, out, errOut := cli(t, env, "poll"); code != exitOK {
		t.Fatalf("poll: exit %d\n%s%s", code, out, errOut)
	}
	return env, at
}

func TestDigestEndToEnd(t *testing.T) {
	srv := mailtest.Start(t, nil)
	env, at := digestSetup(t, digestFeeds, srv, "")

	code, out, errOut := cli(t, env, "digest", "--send")
	if code != exitOK {
		t.Fatalf("digest --send: exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	period := at.Format(time.DateOnly)
	lines := strings.Split(out, "\n")
	for _, want := range [][]string{{"a@example.org", period, "sent", "3", "1"}, {"b@example.org", period, "sent", "2", "1"}, {"digests: 2 sent"}} {
		if !containsFields(lines, want...) {
			t.Errorf("output lacks %q", want)
		}
	}
	if len(srv.Messages()) != 2 || srv.RcptCount() != 2 {
		t.Fatalf("server got %d messages, %d RCPTs; want one each for two recipients", len(srv.Messages()), srv.RcptCount())
	}
	a := mailtest.Parse(t, srv.To("a@example.org")[0].Data)
	b := mailtest.Parse(t, srv.To("b@example.org")[0].Data)
	if strings.Join(a.Types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text/plain then text/html", a.Types)
	}
	if want := "<" + digest.MessageID("a@example.org", period, "digest@example.org") + ">"; a.Header.Get("Message-Id") != want {
		t.Errorf("Message-ID %q, want %q", a.Header.Get("Message-Id"), want)
	}
	if !strings.HasPrefix(a.Subject(), "civicwatch: 3 stories (1 Cambodian unions, 2 Ministry of Interior)") {
		t.Errorf("Subject %q", a.Subject())
	}
	text, html := a.Part("text/plain"), a.Part("text/html")
	for _, title := range []string{"Union leader arrested after garment strike", "ក្រសួងមហាផ្ទៃ ព្រមានសមាគមមួយ", "Ministry of Interior suspends labour NGO"} {
		if strings.Count(text, title) != 1 || strings.Count(html, title) != 1 {
			t.Errorf("%q appears %d times in the text and %d in the HTML, want once each", title, strings.Count(text, title), strings.Count(html, title))
		}
	}
	// Both outlets, first sighting first: the feeds are fetched concurrently.
	if !regexp.MustCompile(`(CamboJA News, VOD|VOD, CamboJA News) ·`).MatchString(text) {
		t.Errorf("the story both outlets carried does not name both:\n%s", text)
	}
	if strings.Contains(text, "Football") {
		t.Error("a story that matched no topic is in the digest")
	}
	mailtest.CheckSafeHTML(t, html)

	// b@ reads the MoI only: another digest.
	bText := b.Part("text/plain")
	if strings.Contains(bText, "Union leader") || !strings.Contains(bText, "Ministry of Interior suspends labour NGO") || b.Subject() == a.Subject() {
		t.Errorf("b@'s digest is not the MoI one:\n%s", bText)
	}

	// The same period again sends nothing.
	code, out, _ = cli(t, env, "digest", "--send")
	if code != exitOK || !strings.Contains(out, "digests: 2 already sent") || len(srv.Messages()) != 2 {
		t.Errorf("second run: exit %d, %d messages on the server:\n%s", code, len(srv.Messages()), out)
	}
	code, out, _ = cli(t, env, "digests")
	if code != exitOK || !containsFields(strings.Split(out, "\n"), period, "a@example.org", "sent", "1", "civicwatch: 3 stories") {
		t.Errorf("digests: exit %d\n%s", code, out)
	}
}

func TestDigestFaults(t *testing.T) {
	srv := mailtest.Start(t, nil)
	env, _ := digestSetup(t, digestFeeds, srv, "")
	// a@ hits a 451 and a dropped connection before getting through; b@ is
	// refused for good.
	srv.Fault("rcpt:451", "data:drop")
	srv.Reject("b@example.org")
	code, out, errOut := cli(t, env, "digest", "--send")
	if code != exitOK {
		t.Fatalf("a failed recipient must not fail the run: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(out, "\n")
	if !containsFields(lines, "a@example.org", "sent", "3", "3") || !containsFields(lines, "b@example.org", "failed", "550") {
		t.Errorf("output:\n%s", out)
	}
	t.Log("\n" + out)
	got := srv.To("a@example.org")
	if len(got) != 2 || string(got[0].Data) != string(got[1].Data) {
		t.Errorf("a@ got %d copies, which must be the same message", len(got))
	}
	code, out, _ = cli(t, env, "digests")
	lines = strings.Split(out, "\n")
	if code != exitOK || !containsFields(lines, "a@example.org", "sent", "3") || !containsFields(lines, "b@example.org", "failed", "1", "-", "550") {
		t.Errorf("digests:\n%s", out)
	}
}

func TestDigestServerDownThenBack(t *testing.T) {
	srv := mailtest.Start(t, nil)
	env, at := digestSetup(t, digestFeeds, srv, "")
	srv.SetDown(true)
	code, out, _ := cli(t, env, "digest", "--send")
	if code != exitOK || !containsFields(strings.Split(out, "\n"), "a@example.org", "pending", "3", "3") ||
		!strings.Contains(out, "sent, unchanged, by the next run") {
		t.Fatalf("server down: exit %d\n%s", code, out)
	}
	_, list, _ := cli(t, env, "digests")
	if !containsFields(strings.Split(list, "\n"), "a@example.org", "pending", "3", "-") {
		t.Errorf("digests:\n%s", list)
	}

	srv.SetDown(false)
	code, out, _ = cli(t, env, "digest", "--send")
	if code != exitOK || !containsFields(strings.Split(out, "\n"), "a@example.org", "sent (stored by an earlier run)", "3", "1") {
		t.Fatalf("server back: exit %d\n%s", code, out)
	}
	m := mailtest.Parse(t, srv.To("a@example.org")[0].Data)
	if want := "<" + digest.MessageID("a@example.org", at.Format(time.DateOnly), "digest@example.org") + ">"; m.Header.Get("Message-Id") != want {
		t.Errorf("resent Message-ID %q, want %q", m.Header.Get("Message-Id"), want)
	}
}

// A mail server that accepts connections and never says a word: the run
// ends within its budget, the digests stay pending, and `digests` says why
// and which window each covers. Timeouts are scaled down from the defaults
// (30 s a step, 150 s a run).
func TestDigestSilentServer(t *testing.T) {
	srv := mailtest.Start(t, nil)
	env, _ := digestSetup(t, digestFeeds, srv, "")
	cfg, err := os.ReadFile(env["CIVICWATCH_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env["CIVICWATCH_CONFIG"], append(cfg, "  timeout: 300ms\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	digestRetry = digest.Retry{Attempts: 3, Backoff: 100 * time.Millisecond, Budget: 1500 * time.Millisecond,
		Sleep: digest.DefaultRetry.Sleep}
	srv.Stall(-1)
	began := time.Now()
	code, out, errOut := cli(t, env, "digest", "--send")
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("digest --send against a silent server took %v, want within its 1.5 s budget and one 300 ms step", took)
	}
	lines := strings.Split(out, "\n")
	if code != exitOK || !containsFields(lines, "a@example.org", "pending") || !containsFields(lines, "b@example.org", "pending") {
		t.Fatalf("silent server: exit %d\n%s%s", code, out, errOut)
	}
	_, list, _ := cli(t, env, "digests")
	for _, rcpt := range []string{"a@example.org", "b@example.org"} {
		if !containsFields(strings.Split(list, "\n"), rcpt, "pending") {
			t.Errorf("digests does not list %s as pending:\n%s", rcpt, list)
		}
	}
	if !strings.Contains(list, "timeout") && !strings.Contains(list, "time for delivery ran out") || !strings.Contains(list, "WINDOW") || !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d`).MatchString(list) {
		t.Errorf("digests does not show why they wait, or their windows:\n%s", list)
	}
	srv.Stall(0)
	if code, out, _ := cli(t, env, "digest", "--send"); code != exitOK || !containsFields(strings.Split(out, "\n"), "a@example.org", "sent (stored by an earlier run)") {
		t.Errorf("server back: exit %d\n%s", code, out)
	}
}

func TestDigestHostileFeedText(t *testing.T) {
	srv := mailtest.Start(t, nil)
	items := map[string]string{
		"/cam": `<item><guid>h1</guid>
<title>Ministry of Interior suspends NGO&#13;&#10;Bcc: x@example.org &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &#x202E;gnp.exe</title>
<link>javascript:alert(1)</link>
<description>&amp;lt;img src=x onerror=alert(1)&amp;gt; The Ministry of Interior acted. &amp;lt;a href="javascript:alert(2)"&amp;gt;more&amp;lt;/a&amp;gt;</description></item>
<item><guid>h2</guid><title>Ministry of Interior audits union</title><link>https://cam.example/audit</link></item>`,
	}
	// The subject quotes headlines, so feed text does reach a header.
	env, _ := digestSetup(t, items, srv, "  subject: \"civicwatch: {{range .Sections}}{{range .Entries}}{{.Title}} | {{end}}{{end}}\"\n")
	if code, out, errOut := cli(t, env, "digest", "--send"); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	got := srv.To("b@example.org")
	if len(got) != 1 || len(got[0].To) != 1 || srv.RcptCount() != 2 {
		t.Fatalf("b@: %d messages; server saw %d RCPTs for two recipients", len(got), srv.RcptCount())
	}
	raw := strings.ReplaceAll(string(got[0].Data), "\r\n", "\n")
	head, _, _ := strings.Cut(raw, "\n\n")
	if n := len(regexp.MustCompile(`(?mi)^Subject:`).FindAllString(head, -1)); n != 1 {
		t.Errorf("%d Subject headers:\n%s", n, head)
	}
	if regexp.MustCompile(`(?mi)^Bcc:`).MatchString(head) {
		t.Errorf("feed text added a Bcc header:\n%s", head)
	}
	m := mailtest.Parse(t, got[0].Data)
	if subj := m.Subject(); !strings.Contains(subj, "Bcc: x@example.org") || strings.ContainsAny(subj, "\r\n\u202e") {
		t.Errorf("Subject %q: want the headline on one line, without the override", subj)
	}
	html, text := m.Part("text/html"), m.Part("text/plain")
	mailtest.CheckSafeHTML(t, html)
	if strings.Contains(html, "\u202e") || strings.Contains(text, "\u202e") {
		t.Error("a right-to-left override survived")
	}
	// Feed text that reads as markup is shown, never run.
	if !strings.Contains(html, "&lt;script&gt;alert(1)") || !strings.Contains(text, "<script>alert(1)") {
		t.Errorf("the headline's <script> is not shown as text:\n%s", text)
	}
}

func TestDigestDryRun(t *testing.T) {
	srv := mailtest.Start(t, nil)
	env, at := digestSetup(t, digestFeeds, srv, "")
	code, out, _ := cli(t, env, "digest", "--dry-run")
	if code != exitOK || !strings.Contains(out, "== a@example.org · "+at.Format(time.DateOnly)+" · would send · 3 stories · Subject: civicwatch: 3 stories") ||
		!strings.Contains(out, "Union leader arrested after garment strike") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	dir := filepath.Join(t.TempDir(), "preview")
	code, out, _ = cli(t, env, "digest", "--dry-run", "--out", dir)
	if code != exitOK {
		t.Fatalf("dry run --out: exit %d\n%s", code, out)
	}
	for _, ext := range []string{".eml", ".html", ".txt"} {
		path := filepath.Join(dir, at.Format(time.DateOnly)+"-b@example.org"+ext)
		if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), "Ministry of Interior") || !strings.Contains(out, path) {
			t.Errorf("%s: %v\n%s", path, err, out)
		}
	}
	if _, list, _ := cli(t, env, "digests"); !strings.Contains(list, "no digests yet") || len(srv.Messages()) != 0 {
		t.Errorf("a dry run recorded or sent something: %s, %d messages", list, len(srv.Messages()))
	}
}

func TestDigestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	// The shipped config has no digest section: nothing to do, and fine.
	code, out, _ := cli(t, map[string]string{"CIVICWATCH_CONFIG": "../../feeds.yaml", "CIVICWATCH_DB": db}, "digest", "--send")
	if code != exitOK || !strings.Contains(out, "no recipients configured") {
		t.Errorf("no digest section: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"digest"}, {"digest", "--send", "--dry-run"}, {"digest", "--send", "--out", dir}, {"digests", "--limit", "0"}} {
		if code, _, _ := cli(t, map[string]string{"CIVICWATCH_CONFIG": "../../feeds.yaml", "CIVICWATCH_DB": db}, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}

	srv := mailtest.Start(t, nil)
	_, schedule := digestClock(t)
	cfg := digestConfig(t, dir, "http://127.0.0.1:1", srv.Port, schedule)
	// An unusable database: the run could not happen.
	if code, _, _ := cli(t, map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": dir}, "digest", "--send"); code != exitFail {
		t.Errorf("database is a directory: exit %d, want %d", code, exitFail)
	}
	// A password variable that is not set stops the run at send time, and
	// only then: check passes on a machine without secrets.
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, "  username: digest\n  password_env: CW_TEST_SMTP_PASSWORD\n"...), 0o644)
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}
	if code, out, _ := cli(t, env, "check"); code != exitOK {
		t.Errorf("check without the password: exit %d\n%s", code, out)
	}
	code, _, errOut := cli(t, env, "digest", "--send")
	if code != exitFail || !strings.Contains(errOut, "CW_TEST_SMTP_PASSWORD is not set") {
		t.Errorf("missing password: exit %d, stderr %q", code, errOut)
	}
	// With it set the run goes on to deliver. (go-mail will not send a
	// password unencrypted, so AUTH itself is tested over STARTTLS in
	// package digest.)
	env["CW_TEST_SMTP_PASSWORD"] = "s3cret"
	// While a daemon holds the database, --send stands aside rather than
	// race it for the same pending digest.
	held, err := daemon.AcquireLock(db)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, env, "digest", "--send")
	held.Release()
	if code != exitFail || !strings.Contains(errOut, "another civicwatch daemon is running") {
		t.Errorf("--send beside a daemon: exit %d, stderr %q", code, errOut)
	}
	if got := srv.Messages(); len(got) != 0 {
		t.Errorf("--send beside a daemon delivered %d messages", len(got))
	}
	if code, out, errOut := cli(t, env, "digest", "--send"); code != exitOK || strings.Contains(errOut, "not set") || !strings.Contains(out, "a@example.org") {
		t.Errorf("with the password: exit %d\n%s%s", code, out, errOut)
	}
}

func TestDigestToFiles(t *testing.T) {
	srv := mailtest.Start(t, nil) // configured, but delivery file does not use it
	dir := filepath.Join(t.TempDir(), "out")
	env, at := digestSetup(t, digestFeeds, srv, "  delivery: file\n  dir: "+dir+"\n")
	if code, out, errOut := cli(t, env, "digest", "--send"); code != exitOK || !strings.Contains(out, "digests: 2 sent") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, ext := range []string{".eml", ".html"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "*-a@example.org"+ext))
		if len(matches) != 1 {
			t.Fatalf("%s files for a@: %v", ext, matches)
		}
		data, _ := os.ReadFile(matches[0])
		if !strings.Contains(string(data), "Union leader arrested") && ext == ".html" {
			t.Errorf("%s lacks the story", matches[0])
		}
	}
	eml, _ := filepath.Glob(filepath.Join(dir, "*-a@example.org.eml"))
	data, _ := os.ReadFile(eml[0])
	if m := mailtest.Parse(t, data); !strings.Contains(m.Subject(), "3 stories") || m.Header.Get("Message-Id") !=
		"<"+digest.MessageID("a@example.org", at.Format(time.DateOnly), "digest@example.org")+">" {
		t.Errorf("the .eml is not the digest: %q %q", m.Subject(), m.Header.Get("Message-Id"))
	}
	if len(srv.Messages()) != 0 {
		t.Error("delivery file sent mail")
	}
}
