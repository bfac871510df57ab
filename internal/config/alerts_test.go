package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAlerts(t *testing.T) {
	cfg := mustParseFile(t, "testdata/alerts.yaml", nil)
	if len(cfg.Alerts) != 2 {
		t.Fatalf("alerts %+v", cfg.Alerts)
	}
	a := cfg.Alerts[0]
	if a.ID != "urgent" || !reflect.DeepEqual(a.Topics, []string{"unions", "moi"}) || a.Cooldown != Duration(15*time.Minute) ||
		a.MaxPerDay != 6 || a.MaxAge != DefaultAlertMaxAge || a.Rules == nil {
		t.Errorf("alert %+v", a)
	}
	var keys []string
	for _, c := range a.Channels {
		keys = append(keys, c.Key())
	}
	want := []string{
		"webhook https://hooks.example.org/civicwatch", // the query, where tokens hide, is not part of the name
		"ntfy https://ntfy.example.org/cambodia-unions",
		"email staff@example.org",
		"email legal@example.org",
		"slack $CIVICWATCH_SLACK_URL",
		"telegram -1001234567890",
		"matrix !abc:example.org on https://matrix.example.org",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("channel keys\n got %q\nwant %q", keys, want)
	}
	if c := a.Channels[0]; c.SecretEnv != "CIVICWATCH_HOOK_SECRET" || c.URL != "https://hooks.example.org/civicwatch?token=abc" {
		t.Errorf("webhook %+v", c)
	}
	if c := a.Channels[1]; c.Priority != "high" {
		t.Errorf("ntfy priority %q, want the default high", c.Priority)
	}
	if c := a.Channels[5]; c.TokenEnv != "CIVICWATCH_TG_TOKEN" || c.URL != DefaultTelegramAPI {
		t.Errorf("telegram %+v", c)
	}
	if c := a.Channels[6]; c.TokenEnv != "CIVICWATCH_MX_TOKEN" || c.URL != "https://matrix.example.org" {
		t.Errorf("matrix %+v", c)
	}
	q := cfg.Alerts[1]
	if q.Cooldown != DefaultCooldown || q.MaxPerDay != 0 || q.Rules != nil || q.Channels[0].Priority != "default" {
		t.Errorf("defaults: %+v", q)
	}
}

// TestAlertMistakes: every mistake is reported with its line, and no secret
// pasted where a variable's name belongs is echoed.
func TestAlertMistakes(t *testing.T) {
	_, err := Parse(mustRead(t, "testdata/alerts_mistakes.yaml"), "alerts.yaml", nil)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	msg := errs.Error()
	for _, want := range []string{
		`alerts.yaml:8:9: alerts[0].id: invalid id "Urgent"`,
		`alerts.yaml:9:22: alerts[0].topics[1]: unknown topic "strikes"`,
		`alerts.yaml:10:25: alerts[0].rule: the rule ends where a term was expected`,
		`alerts.yaml:11:15: alerts[0].cooldown: must not be negative`,
		`alerts.yaml:12:18: alerts[0].max_per_day: must be between 1 and 10000, got 0`,
		`alerts[0].channels[0].webhook: URL "ftp://hooks.example.org/x" must be absolute and start with http:// or https://`,
		`alerts[0].channels[0].secret_env: must be the name of an environment variable`,
		`alerts[0].channels[1]: one channel per list item: found webhook and ntfy together`,
		`alerts[0].channels[2].ntfy: name the topic in the URL`,
		`alerts[0].channels[2].priority: unknown ntfy priority "loud"`,
		`alerts[0].channels[3].email: email alerts go out like the digest`,
		`alerts[0].channels[4].slack_env: must be the name of an environment variable`,
		`alerts[0].channels[5].telegram.token_env: must be the name of an environment variable`,
		`alerts[0].channels[5].telegram.chat: missing`,
		`alerts[0].channels[6].matrix.room: want a room id`,
		`alerts.yaml:24:9: alerts[0].channels[7].pager: unknown key "pager"`,
		`alerts[1].topics: missing`,
		`alerts[1].channels: missing`,
		`alerts.yaml:28:9: alerts[2].id: duplicate id "quiet" (first used at line 25)`,
		`alerts[2].channels: ntfy https://ntfy.example.org/a is listed twice`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"Very/Secret", "SECRETSLACK", "AAsecretTG"} {
		if strings.Contains(msg, secret) {
			t.Errorf("a secret (%s) is echoed:\n%s", secret, msg)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.org/x?token=1#f": "https://hooks.example.org/x",
		"http://127.0.0.1:8080/hook":                    "http://127.0.0.1:8080/hook",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
