package savepagenow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/savepagenow"
	"github.com/civicwatch/civicwatch/internal/savepagenow/spntest"
)

func TestSubmit(t *testing.T) {
	fake := spntest.New(t, "AK", "SK")
	c := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "SK", UserAgent: "civicwatch-test"}
	job, err := c.Submit(t.Context(), "https://news.example/a?x=1&y=2")
	if err != nil || job != "spn2-0001" {
		t.Fatalf("Submit = %q, %v", job, err)
	}
	req := fake.Requests()[0]
	if req.Method != "POST" || req.Path != "/save" || req.Auth != "LOW AK:SK" || req.Accept != "application/json" || req.URL != "https://news.example/a?x=1&y=2" {
		t.Errorf("request %+v: want POST /save, LOW AK:SK, JSON, the URL as form field url", req)
	}
	if got := c.StatusURL("spn2-0001"); got != fake.Endpoint()+"/status/spn2-0001" {
		t.Errorf("StatusURL = %q", got)
	}

	tests := []struct {
		name, answer string
		check        func(error) bool
		want         string
	}{
		{"rate limited with Retry-After", "429-after-30", func(err error) bool {
			rl, ok := savepagenow.RateLimited(err)
			return ok && rl.RetryAfter == 30*time.Second
		}, "HTTP 429"},
		{"rate limited", "429", func(err error) bool { _, ok := savepagenow.RateLimited(err); return ok }, "limit of active sessions"},
		{"server error", "500", func(err error) bool { return err != nil && !savepagenow.IsAuth(err) }, "HTTP 502"},
		{"refused URL", "no-job", func(err error) bool { return err != nil }, "error:invalid-url-syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Then(tt.answer)
			_, err := c.Submit(t.Context(), "https://news.example/b")
			if !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Submit: %v; want it to say %q", err, tt.want)
			}
		})
	}

	bad := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "wrong"}
	_, err = bad.Submit(t.Context(), "https://news.example/c")
	if !savepagenow.IsAuth(err) || !strings.Contains(err.Error(), "refused the credentials (HTTP 401)") ||
		!strings.Contains(err.Error(), "access_key_env") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong keys: %v; want a clear auth error naming the settings and never the secret", err)
	}
}

// TestSubmitSpacing: requests are spaced MinInterval apart, the published
// rate limit turned into a gap.
func TestSubmitSpacing(t *testing.T) {
	fake := spntest.New(t, "AK", "SK")
	c := &savepagenow.Client{Endpoint: fake.Endpoint(), AccessKey: "AK", SecretKey: "SK", MinInterval: 150 * time.Millisecond}
	for range 3 {
		if _, err := c.Submit(t.Context(), "https://news.example/a"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fake.Requests()
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].At.Sub(reqs[i-1].At); gap < 140*time.Millisecond {
			t.Errorf("requests %d and %d %s apart, want at least 150ms", i, i+1, gap)
		}
	}
}
