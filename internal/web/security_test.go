package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/store"
)

func TestCheckListen(t *testing.T) {
	const token = "0123456789abcdef0123"
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"127.0.0.2:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"[::]:8080", "", false},
		{"192.168.1.10:8080", "", false},
		{"example.org:8080", "", false},
		{"0.0.0.0:8080", token, true},
		{"0.0.0.0:8080", "short", false},
		{"127.0.0.1:8080", "short", false},
		{"0.0.0.0:8080", strings.Repeat(" ", 16), false}, // sixteen spaces are no secret
		{"127.0.0.1:8080", strings.Repeat(" ", 20), false},
		{"0.0.0.0:8080", strings.Repeat("\t", 16), false},
		{"0.0.0.0:8080", token + " ", false},
		{"0.0.0.0:8080", "0123456789\nabcdef0123", false},
		{"0.0.0.0:8080", "0123456789\u00a0abcdef0123", false}, // a no-break space is a space too
	} {
		err := CheckListen(tc.addr, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %q) = %v; want ok=%v", tc.addr, tc.token, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), TokenEnv) {
			t.Errorf("CheckListen(%q): %v does not name %s", tc.addr, err, TokenEnv)
		}
		if err != nil && tc.token == "" && !errors.Is(err, ErrNoToken) {
			t.Errorf("CheckListen(%q): %v is not ErrNoToken", tc.addr, err)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	const token = "s3cret-console-token-0123"
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"unhealthy","digests":[{"recipient":"staff@example.org"}]}`)
	})
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "civicwatch_up 1\n") })
	f := newFixture(t, func(o *Options) { o.Token, o.Health, o.Metrics = token, health, metrics })

	for _, path := range []string{"/", "/search?q=union", "/sources", "/rules", "/digests", "/feeds/all.atom", "/api/matches", "/matches.csv", "/labels.jsonl", "/feeds.opml", "/static/console.css", "/metrics", "/nope"} {
		res, _ := f.get(path)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d, want 401", path, res.StatusCode)
		}
		if !strings.Contains(strings.Join(res.Header.Values("WWW-Authenticate"), " "), "Basic") {
			t.Errorf("%s: 401 without a Basic challenge: %v", path, res.Header.Values("WWW-Authenticate"))
		}
		wantHeaders(t, path+" (401)", res)
		if res, _ := f.get(path, "Authorization", "Bearer wrong-token-of-some-length"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", path, res.StatusCode)
		}
	}
	if res, _ := f.get("/", "Authorization", "Bearer "+token); res.StatusCode != http.StatusOK {
		t.Errorf("bearer token: %d, want 200", res.StatusCode)
	}
	req := httptest.NewRequest(http.MethodGet, "/sources", nil)
	req.SetBasicAuth("operator", token)
	if res, _ := f.do(req); res.StatusCode != http.StatusOK {
		t.Errorf("basic auth with the token as password: %d, want 200", res.StatusCode)
	}
	if res, body := f.get("/metrics", "Authorization", "Bearer "+token); res.StatusCode != 200 || !strings.Contains(body, "civicwatch_up") {
		t.Errorf("metrics with the token: %d %q", res.StatusCode, body)
	}

	// /healthz stays open for container health checks, but tells a
	// stranger only the status.
	res, body := f.get("/healthz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"unhealthy"`) || strings.Contains(body, "staff@example.org") {
		t.Errorf("healthz without the token: %d %s; want 503 with the status only", res.StatusCode, body)
	}
	wantHeaders(t, "/healthz", res)
	if res, body := f.get("/healthz", "Authorization", "Bearer "+token); res.StatusCode != 503 || !strings.Contains(body, "staff@example.org") {
		t.Errorf("healthz with the token: %d %s; want the full document", res.StatusCode, body)
	}
}

func TestWritesNeedTheFormTokenAndSameOrigin(t *testing.T) {
	f := newFixture(t)
	id := f.ids["Union leader arrested in Phnom Penh"]
	path := fmt.Sprintf("/stories/%d/label", id)
	good := map[string]string{"csrf": f.server.csrf.token, "topic": "unions", "verdict": "relevant"}
	noToken := map[string]string{"topic": "unions", "verdict": "relevant"}
	wrongToken := map[string]string{"csrf": "nope", "topic": "unions", "verdict": "relevant"}

	for _, tc := range []struct {
		name   string
		form   map[string]string
		hdr    []string
		status int
	}{
		{"no token", noToken, nil, http.StatusForbidden},
		{"wrong token", wrongToken, nil, http.StatusForbidden},
		{"cross-origin Origin", good, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", good, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"same origin", good, []string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
	} {
		res, body := f.post(path, tc.form, tc.hdr...)
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, res.StatusCode, tc.status, body)
		}
		wantHeaders(t, tc.name, res)
		labels, err := f.store.Labels(t.Context(), []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		if tc.status == http.StatusForbidden && len(labels) != 0 {
			t.Fatalf("%s: refused, yet a label was stored: %+v", tc.name, labels)
		}
	}
	if res, _ := f.post("/rules/save", map[string]string{"topic": "unions", "rule": "union"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("rule save without the token: %d, want 403", res.StatusCode)
	}
	for _, page := range []string{fmt.Sprintf("/stories/%d", id), "/rules?topic=unions&rule=union"} {
		_, body := f.get(page)
		forms := strings.Count(body, `method="post"`)
		if forms == 0 || strings.Count(body, `name="csrf" value="`+f.server.csrf.token+`"`) != forms {
			t.Errorf("%s: %d posting forms, not each with the token", page, forms)
		}
	}
}

func TestLabels(t *testing.T) {
	f := newFixture(t)
	id := f.ids[hostileTitle]
	label := func(verdict string) {
		t.Helper()
		res, body := f.post(fmt.Sprintf("/stories/%d/label", id), map[string]string{"csrf": f.server.csrf.token, "topic": "unions", "verdict": verdict})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/stories/%d#topic-unions", id) {
			t.Fatalf("label %s: %d %s %s", verdict, res.StatusCode, res.Header.Get("Location"), body)
		}
	}
	label("not")
	_, body := f.get(fmt.Sprintf("/stories/%d", id))
	if !strings.Contains(body, "Labelled <strong>not relevant</strong>") {
		t.Errorf("story page does not show the label")
	}
	res, export := f.get("/labels.jsonl")
	if res.StatusCode != 200 || !strings.Contains(export, `"expect":"not"`) || strings.Count(export, "\n") != 1 {
		t.Errorf("labels export: %d %s", res.StatusCode, export)
	}
	if !strings.Contains(export, `"tags":["cambodia","en"]`) {
		t.Errorf("labels export lacks the feed's tags: %s", export)
	}
	label("relevant")
	_, export = f.get("/labels.jsonl")
	if !strings.Contains(export, `"expect":"relevant"`) || !strings.Contains(export, `"topics":["unions"]`) {
		t.Errorf("relabelled export: %s", export)
	}
	label("clear")
	if ls, _ := f.store.Labels(t.Context(), nil); len(ls) != 0 {
		t.Errorf("cleared, yet labels remain: %+v", ls)
	}
	for _, tc := range []struct {
		form   map[string]string
		path   string
		status int
	}{
		{map[string]string{"topic": "nope", "verdict": "not"}, fmt.Sprintf("/stories/%d/label", id), 404},
		{map[string]string{"topic": "unions", "verdict": "maybe"}, fmt.Sprintf("/stories/%d/label", id), 400},
		{map[string]string{"topic": "unions", "verdict": "not"}, "/stories/99999/label", 404},
	} {
		tc.form["csrf"] = f.server.csrf.token
		if res, body := f.post(tc.path, tc.form); res.StatusCode != tc.status {
			t.Errorf("%s %v: %d, want %d: %s", tc.path, tc.form, res.StatusCode, tc.status, body)
		}
	}
	_ = store.Label{}
}

// TestHealthDegradedWithoutToken: a degraded watch tells a caller without
// the token that it is degraded and why (the reason names no feed), and
// never the rest of the document.
func TestHealthDegradedWithoutToken(t *testing.T) {
	const token = "s3cret-console-token-0123"
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"degraded","reason":"2 of 2 enabled feeds failing","failing_feeds":[{"id":"secret-feed"}]}`)
	})
	f := newFixture(t, func(o *Options) { o.Token, o.Health = token, health })
	res, body := f.get("/healthz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"degraded"`) ||
		!strings.Contains(body, `"reason":"2 of 2 enabled feeds failing"`) || strings.Contains(body, "secret-feed") {
		t.Errorf("healthz without the token: %d %s; want 503 degraded with the reason only", res.StatusCode, body)
	}
}
