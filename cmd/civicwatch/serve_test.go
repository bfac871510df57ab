package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/daemon"
	"github.com/civicwatch/civicwatch/internal/web"
)

// TestServeRefusesAnOpenConsoleWithoutAToken: on an address other machines
// can reach, serve and run stop at once with a message naming the variable.
func TestServeRefusesAnOpenConsoleWithoutAToken(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "")
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}
	for _, args := range [][]string{
		{"serve", "--listen", "0.0.0.0:8080"},
		{"serve", "--listen", ":8080"},
		{"run", "--listen", "0.0.0.0:8080"},
	} {
		code, _, errOut := cli(t, env, args...)
		if code != exitUsage || !strings.Contains(errOut, web.TokenEnv) || !strings.Contains(errOut, "refusing") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a refusal naming %s", args, code, errOut, web.TokenEnv)
		}
	}
	for _, bad := range []string{"http://lan.example/", "*.example", "lan.example:port"} {
		code, _, errOut := cli(t, env, "serve", "--allowed-host", bad)
		if code != exitUsage || !strings.Contains(errOut, "allowed-host") {
			t.Errorf("--allowed-host %q: exit %d, stderr %q; want 2 naming the flag", bad, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cw.db")); err == nil {
		t.Error("refused, yet the database was created")
	}
	env[web.TokenEnv] = strings.Repeat(" ", 16)
	if code, _, errOut := cli(t, env, "serve", "--listen", "0.0.0.0:8080"); code != exitUsage || !strings.Contains(errOut, "spaces") {
		t.Errorf("a token of 16 spaces: exit %d, stderr %q; want 2 and a refusal", code, errOut)
	}
	env[web.TokenEnv] = "short"
	if code, _, errOut := cli(t, env, "serve", "--listen", "0.0.0.0:8080"); code != exitUsage || !strings.Contains(errOut, "at least 16") {
		t.Errorf("short token: exit %d, stderr %q", code, errOut)
	}
}

// TestServeWithATokenBesideADaemon runs serve as its own process on all
// interfaces with a token, while the daemon's lock on the database is held:
// it starts, and answers 401 without the token and 200 with it.
func TestServeWithATokenBesideADaemon(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "topics:\n  - id: unions\n    rule: union\n")
	db := filepath.Join(dir, "cw.db")
	lock, err := daemon.AcquireLock(db)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()

	const token = "a-long-console-token-for-tests"
	var stderr lockedBuffer
	cmd := startMain(t, "serve --listen 0.0.0.0:0 --allowed-host lan.example --config "+cfg+" --db "+db, &stderr, web.TokenEnv+"="+token)
	portRE := regexp.MustCompile(`msg="console serving" addr=\S*:(\d+)`)
	var port string
	for deadline := time.Now().Add(20 * time.Second); port == ""; time.Sleep(20 * time.Millisecond) {
		if m := portRE.FindStringSubmatch(stderr.String()); m != nil {
			port = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
	}
	url := "http://127.0.0.1:" + port + "/"
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("without the token: %s, WWW-Authenticate %q; want 401 with a challenge", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("operator", token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("with the token: %s, want 200", res.Status)
	}
	// With the token, still only the names it answers to: the one
	// --allowed-host lists, not a rebinding attacker's.
	for host, want := range map[string]int{"lan.example:" + port: http.StatusOK, "evil.example:" + port: http.StatusMisdirectedRequest} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = host
		req.SetBasicAuth("operator", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %s with the token: %s, want %d", host, res.Status, want)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGINT: %v\n%s", err, stderr.String())
	}
}

// TestServeConfigFollowsTheFile: serve sees a rule saved to feeds.yaml, and
// keeps the last good config when the file stops loading.
func TestServeConfigFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "topics:\n  - id: unions\n    rule: union\n")
	e := &env{stderr: io.Discard, getenv: func(string) string { return "" }, global: &globals{config: path}}
	e.setLog()
	cfg, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := &configFile{path: path, cfg: cfg, log: e.log}
	c.stamp, _ = statStamp(path)
	if c.current() != cfg {
		t.Fatal("an unchanged file was loaded again")
	}
	writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "topics:\n  - id: unions\n    rule: union OR strike\n")
	if got := c.current(); got.Topics[0].Rule != "union OR strike" {
		t.Fatalf("after the file changed: rule %q", got.Topics[0].Rule)
	}
	writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "topics:\n  - id: unions\n    rule: 'union AND ('\n")
	if got := c.current(); got.Topics[0].Rule != "union OR strike" {
		t.Errorf("a broken file replaced the config: rule %q", got.Topics[0].Rule)
	}
}
