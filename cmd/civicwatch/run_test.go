package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// lockedBuffer is a bytes.Buffer a child process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunCommand runs the daemon as its own process: a second `run` on the
// same database is refused at once, `healthcheck` finds the first healthy,
// and SIGTERM stops it cleanly.
func TestRunCommand(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>x</title><item><title>Union leader freed</title><link>https://run.example/1</link></item></channel></rss>`))
	}))
	defer ts.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": ts.URL}, "")
	db := filepath.Join(dir, "cw.db")

	var stderr lockedBuffer
	cmd := startMain(t, "run --listen 127.0.0.1:0 --log-format json --config "+cfg+" --db "+db, &stderr)
	addrRE := regexp.MustCompile(`"msg":"serving http","addr":"([^"]+)"`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not start serving:\n%s", stderr.String())
		}
	}

	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": db}
	code, _, errOut := cli(t, env, "run", "--listen", "")
	if code != exitFail || !strings.Contains(errOut, db+".lock") || !strings.Contains(errOut, "pid ") {
		t.Errorf("second run: exit %d, stderr %q; want 1 naming the lock file and its holder", code, errOut)
	}
	// The lock follows the file, whatever it is called: a symlink and a
	// hard link to the daemon's database are refused, naming its PID.
	other := t.TempDir()
	sym, hard := filepath.Join(other, "alias.db"), filepath.Join(other, "hard.db")
	if err := os.Symlink(db, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	pid := fmt.Sprintf("pid %d", cmd.Process.Pid)
	sender := writeConfig(t, other, map[string]string{"a": ts.URL}, "digest:\n  delivery: file\n  dir: "+other+
		"\n  from: \"cw <cw@example.org>\"\n  recipients:\n    - email: a@example.org\n")
	for _, alias := range []string{sym, hard} {
		code, _, errOut := cli(t, nil, "run", "--listen", "", "--config", cfg, "--db", alias)
		if code != exitFail || !strings.Contains(errOut, pid) || !strings.Contains(errOut, alias) {
			t.Errorf("run --db %s: exit %d, stderr %q; want 1 naming it and %s", alias, code, errOut, pid)
		}
		code, _, errOut = cli(t, nil, "digest", "--send", "--config", sender, "--db", alias)
		if code != exitFail || !strings.Contains(errOut, pid) {
			t.Errorf("digest --send --db %s: exit %d, stderr %q; want 1 naming %s", alias, code, errOut, pid)
		}
	}
	if code, out, errOut := cli(t, nil, "healthcheck", "--url", "http://"+addr+"/healthz"); code != exitOK {
		t.Errorf("healthcheck: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := cli(t, nil, "healthcheck", "--url", "http://"+addr+"/nowhere"); code != exitFail {
		t.Errorf("healthcheck of a 404: exit %d, want 1", code)
	}
	// The daemon's console answers only to its own address: a rebinding
	// page's name is refused (421), on /healthz too.
	_, port, _ := net.SplitHostPort(addr)
	for _, path := range []string{"/", "/healthz"} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Host = "evil.example:" + port
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with Host %s: %s, want 421", path, req.Host, res.Status)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("daemon still running 10s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}

// TestRunSIGTERMMidPoll sends SIGTERM to the daemon while slow feeds are
// being fetched: it exits within 10 s, the database is sound, no feed is
// stored by halves, and the next start stores the rest.
func TestRunSIGTERMMidPoll(t *testing.T) {
	const feeds, items = 40, 20
	var served atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(50 * time.Millisecond)
		n := strings.TrimPrefix(r.URL.Path, "/")
		var b strings.Builder
		b.WriteString(`<rss version="2.0"><channel><title>t</title>`)
		for i := range items {
			fmt.Fprintf(&b, `<item><title>Story %d of %s</title><link>https://term.example/%s/%d</link><description>%s</description></item>`,
				i, n, n, i, strings.Repeat("Workers protested. ", 20))
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	}))
	defer ts.Close()
	dir := t.TempDir()
	urls := map[string]string{}
	for i := range feeds {
		urls[fmt.Sprintf("t%02d", i)] = fmt.Sprintf("%s/t%02d", ts.URL, i)
	}
	cfg := writeConfig(t, dir, urls, "")
	db := filepath.Join(dir, "cw.db")
	daemon := func() *exec.Cmd { return startMain(t, "run --listen= --config "+cfg+" --db "+db, nil) }
	cmd := daemon()
	for deadline := time.Now().Add(20 * time.Second); served.Load() < feeds/4; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the poll did not start")
		}
	}
	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("daemon after SIGTERM: %v", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("exit took %s after SIGTERM, bound is 10s", took)
	}
	stories := func() int {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if res, err := st.IntegrityCheck(context.Background()); err != nil || res != "ok" {
			t.Fatalf("integrity_check: %q, %v", res, err)
		}
		all, err := st.Stories(context.Background(), store.StoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	partial := stories()
	if partial%items != 0 || partial >= feeds*items {
		t.Fatalf("%d stories after SIGTERM: want whole feeds, and not all of them", partial)
	}
	cmd = daemon()
	for deadline := time.Now().Add(20 * time.Second); stories() < feeds*items; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the next start stored %d of %d stories", stories(), feeds*items)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	t.Logf("SIGTERM with %d of %d stories stored; the next start completed the rest", partial, feeds*items)
}
