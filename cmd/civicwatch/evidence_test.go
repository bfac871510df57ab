package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/civicwatch/civicwatch/internal/savepagenow/spntest"
)

func TestEvidenceCommands(t *testing.T) {
	var ts *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>cam</title>%s%s</channel></rss>`,
			rssItem(ts.URL+"/article/strike", "Union leader arrested", "Police arrested the union leader.", ""),
			rssItem(ts.URL+"/article/weather", "Rain in Phnom Penh", "Showers all week.", ""))
	})
	mux.HandleFunc("/article/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		headline := map[string]string{"/article/strike": "Union leader arrested", "/article/weather": "Rain in Phnom Penh"}[r.URL.Path]
		fmt.Fprintf(w, "<html><body><h1>%s</h1><p>%s</p></body></html>", headline, r.URL.Path)
	})
	ts = httptest.NewServer(mux)
	defer ts.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"cam": ts.URL + "/feed"},
		"topics:\n  - id: unions\n    rule: union*\nevidence:\n  capture: matched\n")
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}

	if code, out, errOut := cli(t, env, "evidence", "list"); code != exitFail || !strings.Contains(errOut, "no database") {
		t.Errorf("list before any poll: exit %d, %q %q; want a refusal to create a database", code, out, errOut)
	}
	if code, out, errOut := cli(t, env, "poll", "--all"); code != exitOK {
		t.Fatalf("poll: %d %s %s", code, out, errOut)
	}
	code, out, errOut := cli(t, env, "evidence", "run")
	if code != exitOK || !strings.Contains(out, "1 queued, 1 captured, 0 failed") {
		t.Fatalf("evidence run: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "evidence", "civicwatch-00001.warc.gz")); err != nil {
		t.Errorf("no WARC file beside the database: %v", err)
	}
	if _, out, _ = cli(t, env, "evidence", "run"); !strings.Contains(out, "0 queued, 0 captured, 0 failed") {
		t.Errorf("second run captured again:\n%s", out)
	}

	_, out, _ = cli(t, env, "evidence", "list", "--json")
	var line evidenceLine
	if err := json.Unmarshal([]byte(out), &line); err != nil || line.State != "captured" || line.Captures != 1 ||
		line.URL != ts.URL+"/article/strike" || line.Title != "Union leader arrested" || line.LastCapture == nil {
		t.Fatalf("list --json: %q (%v)", out, err)
	}
	_, out, _ = cli(t, env, "evidence", "list")
	if lines := strings.Split(out, "\n"); !containsLine(lines, "ID", "STATE", "CAPTURES", "LAST CHECK", "URL", "TITLE") ||
		!containsLine(lines, fmt.Sprint(line.ID), "captured", ts.URL+"/article/strike", "Union leader arrested") || !strings.Contains(out, "\n1 story\n") {
		t.Errorf("list:\n%s", out)
	}
	if _, out, _ = cli(t, env, "evidence", "list", "--state", "failed"); !strings.Contains(out, "0 stories") {
		t.Errorf("list --state failed:\n%s", out)
	}
	if code, _, _ := cli(t, env, "evidence", "list", "--state", "changed"); code != exitUsage {
		t.Errorf("unknown state: exit %d, want %d", code, exitUsage)
	}

	id := fmt.Sprint(line.ID)
	_, out, _ = cli(t, env, "evidence", "show", id)
	wantIn(t, "show", out, "state: captured", "final URL: "+ts.URL+"/article/strike", "HTTP 200", "body SHA-256: ", "civicwatch-00001.warc.gz @ 0", "text SHA-256: ")

	bundle := filepath.Join(dir, "bundle")
	if code, out, errOut = cli(t, env, "evidence", "export", id, "--out", bundle); code != exitOK {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "-c", "SHA256SUMS")
		cmd.Dir = bundle
		if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "manifest.json: OK") {
			t.Errorf("sha256sum -c: %v\n%s", err, b)
		}
	}
	if code, _, _ := cli(t, env, "evidence", "show", "999"); code != exitFail {
		t.Errorf("show of a story without evidence: exit %d", code)
	}
	if code, _, _ := cli(t, env, "evidence", "export", id); code != exitUsage {
		t.Errorf("export without --out: exit %d", code)
	}
	if code, _, _ := cli(t, env, "evidence", "nope"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

// TestEvidenceRecheckAllAndDiff: --recheck-all checks a capture that is not
// due, says how many were checked and with what result; show names the
// changed words; list ends with the archive's summary.
func TestEvidenceRecheckAllAndDiff(t *testing.T) {
	var ts *httptest.Server
	var mu sync.Mutex
	article := "Police arrested ten union leaders in Phnom Penh on Monday, their federation said in a statement to reporters."
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>cam</title>%s</channel></rss>`,
			rssItem(ts.URL+"/article/strike", "Union leaders arrested", "Police arrested union leaders.", ""))
	})
	mux.HandleFunc("/article/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "<html><body><article><h1>Union leaders arrested</h1><p>%s</p></article></body></html>", article)
	})
	ts = httptest.NewServer(mux)
	defer ts.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"cam": ts.URL + "/feed"},
		"topics:\n  - id: unions\n    rule: union*\nevidence:\n  rechecks: [7d]\n")
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}
	if code, out, errOut := cli(t, env, "poll", "--all"); code != exitOK {
		t.Fatalf("poll: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := cli(t, env, "evidence", "run"); code != exitOK || strings.Contains(out, "re-checked") {
		t.Fatalf("evidence run: exit %d\n%s%s", code, out, errOut)
	}
	mu.Lock()
	article = strings.Replace(article, "ten union leaders", "twelve union leaders", 1)
	mu.Unlock()
	if _, out, _ := cli(t, env, "evidence", "run"); strings.Contains(out, "re-checked") {
		t.Fatalf("a re-check seven days early without --recheck-all:\n%s", out)
	}
	code, out, errOut := cli(t, env, "evidence", "run", "--recheck-all")
	if code != exitOK || !strings.Contains(out, "re-checked 1: 1 edited") {
		t.Fatalf("evidence run --recheck-all: exit %d\n%s%s", code, out, errOut)
	}
	_, out, _ = cli(t, env, "evidence", "list", "--json")
	var line evidenceLine
	if err := json.Unmarshal([]byte(out), &line); err != nil || line.State != "edited" || line.Captures != 2 {
		t.Fatalf("list --json after the edit: %q (%v)", out, err)
	}
	_, out, _ = cli(t, env, "evidence", "show", fmt.Sprint(line.ID))
	wantIn(t, "show", out, "edit from capture 1 to capture 2: 1 removed, 1 inserted", "arrested [-ten-]{+twelve+} union leaders", "edited")
	_, out, _ = cli(t, env, "evidence", "list", "--state", "edited")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"evidence: 1 story, 2 captures, 1 WARC file, ", " bytes (", "on disk in " + filepath.Join(dir, "evidence"), "by state: 1 edited"} {
		if !strings.Contains(last, want) {
			t.Errorf("list's last line %q lacks %q", last, want)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "evidence", "civicwatch-00001.warc.gz"))
	if err != nil || !strings.Contains(last, fmt.Sprintf(" %d bytes ", fi.Size())) {
		t.Errorf("list's last line %q does not give the WARC file's size (%v)", last, err)
	}
}

// TestEvidenceSavePageNow: evidence run submits each capture to Save Page
// Now (a loopback fake) with the keys from the environment, show gives the
// job, and missing keys are refused naming the variable.
func TestEvidenceSavePageNow(t *testing.T) {
	var ts *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>cam</title>%s</channel></rss>`,
			rssItem(ts.URL+"/article/strike", "Union leader arrested", "Police arrested the union leader.", ""))
	})
	mux.HandleFunc("/article/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body><article><h1>Union leader arrested</h1><p>Police arrested the union leader on Monday after the march.</p></article></body></html>")
	})
	ts = httptest.NewServer(mux)
	defer ts.Close()
	fake := spntest.New(t, "AK", "SK")
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"cam": ts.URL + "/feed"},
		"topics:\n  - id: unions\n    rule: union*\nevidence:\n  save_page_now:\n    enabled: true\n    endpoint: "+fake.Endpoint()+"\n")
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}
	if code, out, errOut := cli(t, env, "poll", "--all"); code != exitOK {
		t.Fatalf("poll: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := cli(t, env, "evidence", "run"); code == exitOK || !strings.Contains(errOut, "IA_ACCESS_KEY is not set") {
		t.Errorf("run without keys: exit %d, %q; want a refusal naming IA_ACCESS_KEY", code, errOut)
	}
	env["IA_ACCESS_KEY"], env["IA_SECRET_KEY"] = "AK", "SK"
	code, out, errOut := cli(t, env, "evidence", "run")
	if code != exitOK || !strings.Contains(out, "1 captured") || !strings.Contains(out, "save page now: 1 submitted, 0 failed") {
		t.Fatalf("evidence run: exit %d\n%s%s", code, out, errOut)
	}
	if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].URL != ts.URL+"/article/strike" {
		t.Errorf("submitted %+v", reqs)
	}
	_, out, _ = cli(t, env, "evidence", "list", "--json")
	var line evidenceLine
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatal(err)
	}
	_, out, _ = cli(t, env, "evidence", "show", fmt.Sprint(line.ID))
	wantIn(t, "show", out, "Save Page Now: submitted, job spn2-0001, ")
}
