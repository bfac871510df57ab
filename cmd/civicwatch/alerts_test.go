package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/civicwatch/civicwatch/internal/alert"
)

// TestAlertsCommands: `alerts test` reports each channel's outcome and
// fails when one refused; `alerts` lists the ledger; no secret is printed.
func TestAlertsCommands(t *testing.T) {
	const secret, token = "cli-hook-secret-77", "4242:TGsecretTOKEN"
	var signed atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		signed.Store(r.Header.Get(alert.HeaderSignature) == alert.Sign([]byte(secret), body))
	}))
	defer hook.Close()
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, http.StatusUnauthorized)
	}))
	defer tg.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, fmt.Sprintf(`topics:
  - id: unions
    rule: union
alerts:
  - id: urgent
    topics: [unions]
    channels:
      - webhook: %s/hook
        secret_env: CW_SECRET
      - telegram: {token_env: CW_TG, chat: "-100", api: %s}
`, hook.URL, tg.URL))
	env := map[string]string{"CIVICWATCH_CONFIG": cfg, "CIVICWATCH_DB": filepath.Join(dir, "cw.db"), "CW_SECRET": secret, "CW_TG": token}

	code, out, errOut := cli(t, env, "alerts")
	if code != exitFail || !strings.Contains(errOut, "no database") {
		t.Fatalf("alerts without a database: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cli(t, env, "alerts", "test", "urgent")
	if code != exitFail {
		t.Errorf("alerts test with a refusing channel: exit %d, want %d", code, exitFail)
	}
	printed := []string{out, errOut}
	lines := strings.Split(out, "\n")
	if !containsLine(lines, "webhook "+hook.URL+"/hook", "sent") || !containsLine(lines, "telegram -100", "failed", "HTTP 401") {
		t.Errorf("alerts test output:\n%s", out)
	}
	if !signed.Load() {
		t.Error("the test message was not signed with the secret")
	}
	if !strings.Contains(errOut, "1 of 2 channels did not accept the test message") {
		t.Errorf("stderr %q", errOut)
	}
	code, out, _ = cli(t, env, "alerts", "--limit", "5")
	printed = append(printed, out)
	lines = strings.Split(out, "\n")
	if code != exitOK || !containsLine(lines, "urgent", "sent (test)") || !containsLine(lines, "urgent", "failed (test)", "HTTP 401") {
		t.Errorf("alerts: exit %d\n%s", code, out)
	}
	code, _, errOut = cli(t, env, "alerts", "test", "nope")
	if code != exitUsage || !strings.Contains(errOut, `no such alert in the config: "nope"`) {
		t.Errorf("alerts test nope: exit %d, %s", code, errOut)
	}
	code, _, _ = cli(t, env, "alerts", "bogus")
	if code != exitUsage {
		t.Errorf("alerts bogus: exit %d, want %d", code, exitUsage)
	}
	code, checkOut, _ := cli(t, env, "check")
	for _, o := range append(printed, errOut, checkOut) {
		if strings.Contains(o, secret) || strings.Contains(o, token) {
			t.Errorf("a secret is printed:\n%s", o)
		}
	}
	if code != exitOK {
		t.Errorf("check: exit %d\n%s", code, checkOut)
	}
}
