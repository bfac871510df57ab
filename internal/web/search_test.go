package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log destination the console's handlers may write from
// any goroutine.
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

// TestSearchLimitsAre400: a 2,000-word query and a 100 KB word are a clear
// 400 naming the limits (a 2,000-word query was a 500, "Expression tree is
// too large"), and the log never holds the query; at the limits the search
// runs.
func TestSearchLimitsAre400(t *testing.T) {
	var log lockedBuffer
	f := newFixture(t, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, c := range []struct {
		name, q string
		status  int
	}{
		{"2,000 words", strings.TrimSpace(strings.Repeat("secretword ", 2000)), http.StatusBadRequest},
		{"33 words", strings.TrimSpace(strings.Repeat("union ", 33)), http.StatusBadRequest},
		{"100 KB word", strings.Repeat("secretword", 10000), http.StatusBadRequest},
		{"513 bytes", strings.Repeat("u", 513), http.StatusBadRequest},
		{"32 words", strings.TrimSpace(strings.Repeat("union ", 32)), http.StatusOK},
		{"512 bytes", strings.Repeat("u", 512), http.StatusOK},
		{"an ordinary search", "union arrested", http.StatusOK},
	} {
		res, body := f.get("/search?q=" + url.QueryEscape(c.q))
		if res.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.status)
		}
		if c.status == http.StatusBadRequest && (!strings.Contains(body, "32 words") || !strings.Contains(body, "512 bytes")) {
			t.Errorf("%s: the 400 does not name the limits", c.name)
		}
	}
	if strings.Contains(log.String(), "secretword") {
		t.Errorf("the log holds the query:\n%.300s", log.String())
	}
	if _, body := f.get("/search?q=" + url.QueryEscape("union arrested")); !strings.Contains(body, "<mark>") {
		t.Error("an ordinary search found nothing")
	}
}
