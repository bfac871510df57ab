package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for the civicwatch binary, so tests
// can run it as a separate process (and kill it).
func TestMain(m *testing.M) {
	if os.Getenv("CIVICWATCH_TEST_RUN_MAIN") == "1" {
		os.Args = append([]string{"civicwatch"}, strings.Fields(os.Getenv("CIVICWATCH_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// startMain starts civicwatch with args as a child process (the test binary
// through TestMain), with extra environment variables; the child is killed
// when the test ends, if it still runs.
func startMain(t *testing.T, args string, stderr io.Writer, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "CIVICWATCH_TEST_RUN_MAIN=1", "CIVICWATCH_TEST_ARGS="+args), env...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd
}

// cli runs civicwatch in-process with the given args and environment.
func cli(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cliIn(t, env, "", args...)
}

// cliIn is cli with stdin.
func cliIn(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestCheckReportsEveryMistakeWithItsLine(t *testing.T) {
	code, out, _ := cli(t, nil, "check", "--config", "testdata/three-mistakes.yaml")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "check output", out,
		"testdata/three-mistakes.yaml:3:",  // timeout: thirty seconds
		"testdata/three-mistakes.yaml:9:",  // colour: unknown key
		"testdata/three-mistakes.yaml:10:", // duplicate id
	)
	if !strings.Contains(out, "3 problem(s)") {
		t.Errorf("check output does not count 3 problems:\n%s", out)
	}
}

func TestCheckShippedConfig(t *testing.T) {
	code, out, errOut := cli(t, nil, "check", "--config", "../../feeds.yaml")
	if code != exitOK || !strings.Contains(out, ": ok: ") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("check of the shipped feeds.yaml: exit %d, stdout %q, stderr %q; want a one-line ok", code, out, errOut)
	}
}

func TestGlobalFlagsFromEnvironmentAndUsage(t *testing.T) {
	code, _, errOut := cli(t, map[string]string{"CIVICWATCH_CONFIG": "testdata/does-not-exist.yaml"}, "check")
	if code != exitUsage || !strings.Contains(errOut, "does-not-exist.yaml") {
		t.Errorf("CIVICWATCH_CONFIG ignored? exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := cli(t, nil, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := cli(t, nil, "poll", "--no-such-flag"); code != exitUsage {
		t.Errorf("bad flag: exit %d, want %d", code, exitUsage)
	}
}

// writeConfig writes a feeds.yaml pointing at the given feed URLs.
func writeConfig(t *testing.T, dir string, urls map[string]string, extra string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("fetch:\n  timeout: 5s\n  concurrency: 4\n  per_host: 4\n  allow_private_networks: true\nfeeds:\n")
	for id, u := range urls {
		fmt.Fprintf(&b, "  - id: %s\n    url: %s\n", id, u)
	}
	b.WriteString(extra)
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPollAndFeedsCommands(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><title>ok</title><item><title>Union leader freed</title><link>https://ok.example/1</link></item></channel></rss>`)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"okfeed": ts.URL + "/ok", "downfeed": ts.URL + "/down"}, "")
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}

	code, out, errOut := cli(t, env, "poll")
	if code != exitOK {
		t.Fatalf("poll exit %d (a failing feed must not fail the run): %s %s", code, out, errOut)
	}
	wantIn(t, "poll output", out, "okfeed", "downfeed", "HTTP 503", "total: 2 feeds polled, 1 failed; 1 items, 1 new")
	code, out, _ = cli(t, env, "feeds")
	if code != exitOK {
		t.Fatalf("feeds exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if !containsLine(lines, "okfeed", "ok", "1") || !containsLine(lines, "downfeed", "failing", "HTTP 503") {
		t.Errorf("feeds output does not show health:\n%s", out)
	}
	// --feed names an unknown feed: a usage error, not a silent no-op.
	if code, _, errOut := cli(t, env, "poll", "--feed", "nope"); code != exitUsage || !strings.Contains(errOut, "nope") {
		t.Errorf("poll --feed nope: exit %d, stderr %q", code, errOut)
	}
	// An unusable database is a failure of the run.
	bad := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": dir} // a directory
	if code, _, _ := cli(t, bad, "poll"); code != exitFail {
		t.Errorf("poll into a directory: exit %d, want %d", code, exitFail)
	}
}

func containsLine(lines []string, words ...string) bool {
	for _, l := range lines {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// wantIn checks that a command's output holds every one of wants.
func wantIn(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, out)
		}
	}
}

// TestCheckNotesTermsThatMatchTheSame: a valid config with list terms that
// match exactly what another term of their list does passes, with a note
// naming each pair; terms that only look alike (a prefix and a word, two
// lists) get none.
func TestCheckNotesTermsThatMatchTheSame(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "feeds.yaml")
	text := "feeds:\n  - id: a\n    url: https://a.example/feed\n" +
		"lists:\n" +
		"  gatherings: [ហាមមិនឲ្យ, ហាមមិនអោយ, Trade-Union*, trade union*, union, union*]\n" +
		"  other: [ហាមមិនឱ្យ]\n" +
		"topics:\n  - id: civic\n    rule: '@gatherings OR @other'\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, nil, "check", "--config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0", code, out, errOut)
	}
	wantIn(t, "check output", out, ": ok: 1 feeds",
		`note: lists.gatherings: "ហាមមិនអោយ" matches what "ហាមមិនឲ្យ" does; one of them can go`,
		`note: lists.gatherings: "trade union*" matches what "Trade-Union*" does`)
	if n := strings.Count(out, "note:"); n != 2 {
		t.Errorf("%d notes, want 2 (union and union* differ; lists are apart):\n%s", n, out)
	}
}
