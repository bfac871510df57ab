package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/lab"
)

func TestRulesLab(t *testing.T) {
	f := newFixture(t)
	try := func(q url.Values) (int, string) {
		t.Helper()
		res, body := f.get("/rules?" + q.Encode())
		wantHeaders(t, "/rules", res)
		inert(t, "/rules", body)
		return res.StatusCode, body
	}

	// Dropping strike and the NOT: gains the football story, loses the
	// hostile one, whose title is shown as text.
	code, body := try(url.Values{"topic": {"unions"}, "rule": {"@union AND (arrest* OR ចាប់ខ្លួន OR football)"}, "since": {""}})
	if code != 200 {
		t.Fatalf("status %d\n%s", code, body)
	}
	gained, lost, _ := strings.Cut(body[strings.Index(body, `id="gained"`):], `id="lost"`)
	if !strings.Contains(gained, "Gained: 1") || !strings.Contains(gained, "<mark>Football</mark>") || !strings.Contains(gained, "<code>football</code>") {
		t.Errorf("gained section:\n%s", gained)
	}
	if !strings.Contains(lost, "Lost: 1") || !strings.Contains(lost, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(lost, "<code>strike*</code>") {
		t.Errorf("lost section:\n%s", lost)
	}
	if !strings.Contains(body, `action="/rules/save"`) {
		t.Error("a changed rule of a topic offers no save")
	}

	// The period bounds the archive: in the last 12 hours the hostile
	// story (a day old) is not there to lose.
	_, body = try(url.Values{"topic": {"unions"}, "rule": {"@union AND (arrest* OR ចាប់ខ្លួន OR football)"}, "since": {"12h"}})
	if !strings.Contains(body, "Lost: 0") {
		t.Errorf("since 1d still loses the older story")
	}

	// The current rule against itself: nothing to save.
	_, body = try(url.Values{"topic": {"unions"}})
	if !strings.Contains(body, "Gained: 0") || !strings.Contains(body, "Lost: 0") || strings.Contains(body, `action="/rules/save"`) {
		t.Errorf("the unchanged rule:\n%s", body)
	}

	// A rule of no topic: everything it matches is gained, nothing saved.
	_, body = try(url.Values{"rule": {`"Ministry of Interior"`}, "since": {""}})
	if !strings.Contains(body, "Gained: 1") || strings.Contains(body, `action="/rules/save"`) {
		t.Errorf("a rule of no topic:\n%s", body)
	}

	// A syntax error: 422, the message with its column, the place marked.
	code, body = try(url.Values{"topic": {"unions"}, "rule": {"union AND (strike"}})
	if code != 422 || !strings.Contains(body, "column") || !strings.Contains(body, `class="err-at"`) ||
		!strings.Contains(body, `aria-invalid="true"`) || strings.Contains(body, `action="/rules/save"`) {
		t.Errorf("syntax error: %d\n%s", code, body)
	}
	_, body = try(url.Values{"rule": {"union AND </textarea><script>alert(4)</script>"}})
	if strings.Contains(body, "<script>alert(4)") || !strings.Contains(body, "&lt;/textarea&gt;&lt;script&gt;alert(4)") {
		t.Errorf("the rule text is not escaped in the editor")
	}
	if code, _ := try(url.Values{"topic": {"unions"}, "since": {"last tuesday"}}); code != 400 {
		t.Errorf("bad period: %d", code)
	}
}

func TestSplitAt(t *testing.T) {
	for _, tc := range []struct {
		rule      string
		line, col int
		want      ruleLine
	}{
		{"union AND (", 1, 11, ruleLine{"union AND ", "(", ""}},
		{"a\nសហជីព x", 2, 3, ruleLine{"សហ", "ជ", "ីព x"}},
		{"union AND", 1, 10, ruleLine{"union AND", " ", ""}},
	} {
		got := splitAt(tc.rule, &lab.RuleError{Line: tc.line, Column: tc.col})
		if got != tc.want {
			t.Errorf("splitAt(%q, %d:%d) = %+v, want %+v", tc.rule, tc.line, tc.col, got, tc.want)
		}
	}
}

func TestRuleSave(t *testing.T) {
	f := newFixture(t)
	before, err := os.ReadFile(f.cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	rule := "@union AND (arrest* OR ចាប់ខ្លួន)"
	res, body := f.post("/rules/save", map[string]string{"csrf": f.server.csrf.token, "topic": "unions",
		"rule": url.QueryEscape(rule), "since": "30d"})
	if res.StatusCode != 303 {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Path != "/rules" || loc.Query().Get("topic") != "unions" || loc.Query().Get("saved") == "" {
		t.Fatalf("redirected to %q", res.Header.Get("Location"))
	}
	backup := loc.Query().Get("saved")
	if b, err := os.ReadFile(backup); err != nil || string(b) != string(before) {
		t.Errorf("backup %s: %v; want the old file", backup, err)
	}
	cfg, err := config.Load(f.cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Topics[0].Rule != rule {
		t.Errorf("saved rule %q, want %q", cfg.Topics[0].Rule, rule)
	}
	_, page := f.get(res.Header.Get("Location"))
	if !strings.Contains(page, "Saved to feeds.yaml") || !strings.Contains(page, backup) {
		t.Errorf("the page after saving does not report the backup")
	}

	// A rule that does not compile is not written.
	saved, _ := os.ReadFile(f.cfg.Path)
	res, body = f.post("/rules/save", map[string]string{"csrf": f.server.csrf.token, "topic": "unions", "rule": url.QueryEscape("union AND (")})
	if res.StatusCode != 422 || !strings.Contains(body, "Not saved") {
		t.Errorf("broken rule: %d", res.StatusCode)
	}
	if now, _ := os.ReadFile(f.cfg.Path); string(now) != string(saved) {
		t.Error("a broken rule was written")
	}
	if res, _ := f.post("/rules/save", map[string]string{"csrf": f.server.csrf.token, "topic": "nope", "rule": "union"}); res.StatusCode != 404 {
		t.Errorf("unknown topic: %d", res.StatusCode)
	}
}

// TestRuleSaveOverTheCap: a form over its 1 MiB cap is answered 413 with
// what is wrong, not as a form whose token is stale (the token sits first
// in the form and is valid); a form under the cap still reaches the save.
func TestRuleSaveOverTheCap(t *testing.T) {
	f := newFixture(t)
	before, err := os.ReadFile(f.cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	post := func(rule string) (int, string) {
		body := "csrf=" + f.server.csrf.token + "&topic=unions&rule=" + rule
		req := httptest.NewRequest(http.MethodPost, "/rules/save", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, b := f.do(req)
		return res.StatusCode, b
	}
	code, body := post(strings.Repeat("union+OR+", maxFormBytes/9+1))
	if code != http.StatusRequestEntityTooLarge || strings.Contains(body, "stale") || !strings.Contains(body, "1024 KiB") {
		t.Errorf("a 1 MiB rule: %d %q; want 413 saying the form is too large", code, body)
	}
	if after, _ := os.ReadFile(f.cfg.Path); string(after) != string(before) {
		t.Error("feeds.yaml changed after a refused save")
	}
	if code, body := post("union+AND+("); code == http.StatusForbidden || code == http.StatusRequestEntityTooLarge {
		t.Errorf("a short rule: %d %q; want it to reach the lab", code, body)
	}
}
