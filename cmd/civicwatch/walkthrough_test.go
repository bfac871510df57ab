package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// closedPort returns a loopback address with nothing listening: a feed
// there fails the way an unreachable one does, without leaving the machine.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startIn starts civicwatch with args as a child process in dir, with an
// environment free of CIVICWATCH_ settings, as on a fresh machine.
func startIn(t *testing.T, dir string, stderr *lockedBuffer, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CIVICWATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CIVICWATCH_TEST_RUN_MAIN=1", "CIVICWATCH_TEST_ARGS="+strings.Join(args, " "))
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

// listening waits for the child's log line naming the address it serves on.
func listening(t *testing.T, stderr *lockedBuffer, msg string) string {
	t.Helper()
	re := regexp.MustCompile(`msg="` + msg + `" addr=(127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", msg, stderr.String())
		}
	}
}

// TestWalkthroughUnreachableFeeds follows the README from a fresh
// directory: the shipped feeds.yaml, every feed unreachable (a loopback
// port with nothing listening), and the README's first command, civicwatch
// run (on a free port rather than 8080, which a shared machine may use).
// Within 2 × the poll interval of the start /healthz must say degraded, and
// civicwatch healthcheck must fail saying why.
func TestWalkthroughUnreachableFeeds(t *testing.T) {
	const interval = 5 * time.Second
	dir := t.TempDir()
	shipped, err := os.ReadFile("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead := closedPort(t)
	text := regexp.MustCompile(`(?m)^(    url: ).*$`).ReplaceAllString(string(shipped), "${1}http://"+dead+"/feed")
	text = regexp.MustCompile(`(?m)^    interval: .*\n`).ReplaceAllString(text, "")
	text = strings.Replace(text, "\n  interval: 30m\n", "\n  interval: 5s\n", 1)
	text = strings.Replace(text, "allow_private_networks: false", "allow_private_networks: true", 1)
	if err := os.WriteFile(filepath.Join(dir, "feeds.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	var stderr lockedBuffer
	startIn(t, dir, &stderr, "run", "--listen", "127.0.0.1:0")
	addr := listening(t, &stderr, "serving http")
	started := time.Now()
	url := "http://" + addr + "/healthz"
	var out, errOut string
	code := exitOK
	for code == exitOK || !strings.Contains(errOut, "degraded") {
		if time.Since(started) > 2*interval {
			t.Fatalf("/healthz not degraded within 2 × %s: healthcheck exit %d, %q %q\nlog:\n%s", interval, code, out, errOut, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
		code, out, errOut = cli(t, nil, "healthcheck", "--url", url)
	}
	if code != exitFail || !regexp.MustCompile(`answered 503 Service Unavailable: degraded: \d+ of \d+ enabled feeds failing`).MatchString(errOut) {
		t.Errorf("healthcheck: exit %d, stderr %q; want 1 and the reason", code, errOut)
	}
	// The round's summary is logged after its fetches are stored, which
	// /healthz may read first.
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(stderr.String(), "every feed failed in this poll round"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not warn that every feed failed:\n%s", stderr.String())
		}
	}
	t.Logf("degraded %s after start", time.Since(started).Round(time.Millisecond))
}

// TestHealthcheckAgainstServe: healthcheck --url works against serve's
// /healthz, ok while the feeds are read and failing, with the reason,
// while most fail.
func TestHealthcheckAgainstServe(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "")
	db := filepath.Join(dir, "cw.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.SyncFeeds(t.Context(), []store.FeedRef{{ID: "a", Name: "a", URL: "https://a.example/feed"}}, now); err != nil {
		t.Fatal(err)
	}
	save := func(outcome store.Outcome, at time.Time) {
		f := &store.Fetch{FeedID: "a", StartedAt: at, Outcome: outcome, Status: 200, NextDue: at.Add(time.Hour)}
		if outcome == store.OutcomeError {
			f.Status, f.Error = 503, "HTTP 503"
		}
		if _, err := st.SaveFetches(t.Context(), []*store.Fetch{f}); err != nil {
			t.Fatal(err)
		}
	}
	save(store.OutcomeNotModified, now)

	var stderr lockedBuffer
	startIn(t, dir, &stderr, "serve", "--listen", "127.0.0.1:0", "--config", cfg, "--db", db)
	url := "http://" + listening(t, &stderr, "console serving") + "/healthz"
	if code, out, errOut := cli(t, nil, "healthcheck", "--url", url); code != exitOK || out != "ok\n" {
		t.Errorf("healthcheck of a healthy serve: exit %d, %q %q", code, out, errOut)
	}
	save(store.OutcomeError, now.Add(time.Second))
	code, _, errOut := cli(t, nil, "healthcheck", "--url", url)
	if code != exitFail || !strings.Contains(errOut, "degraded: 1 of 1 enabled feeds failing") {
		t.Errorf("healthcheck of serve with its feed failing: exit %d, %q", code, errOut)
	}
	// Nothing listening: the message says what to check.
	code, _, errOut = cli(t, nil, "healthcheck", "--url", "http://"+closedPort(t)+"/healthz")
	if code != exitFail || !strings.Contains(errOut, "is civicwatch run or serve listening") {
		t.Errorf("healthcheck of nothing: exit %d, %q", code, errOut)
	}
}
