package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/lab"
	"github.com/civicwatch/civicwatch/internal/store"
)

// BenchmarkRulesPage100k is the rules lab as the operator meets it: the
// whole /rules request for a typical edit (the shipped unions rule with one
// NEAR distance changed) over a 100,000-story archive, up to 500 gained and
// lost stories rendered, once the lab has answered a first time (its Index
// then holds the archive). Beside it, the baseline: an Index's TestRule
// alone on the same request, so the ratio is what the page adds. It needs
// the archive the lab's benchmark builds:
//
//	CIVICWATCH_LAB_ARCHIVE=/tmp/lab100k.db go test -run '^$' -bench TestRule100k/unions -benchtime 1x ./internal/lab/
//	CIVICWATCH_LAB_ARCHIVE=/tmp/lab100k.db go test -run '^$' -bench RulesPage100k ./internal/web/
func BenchmarkRulesPage100k(b *testing.B) {
	path := os.Getenv("CIVICWATCH_LAB_ARCHIVE")
	if path == "" {
		b.Skip("set CIVICWATCH_LAB_ARCHIVE to the archive built by internal/lab's benchmark")
	}
	cfg, err := config.Load("../../feeds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Options{Store: st, Config: func() *config.Config { return cfg }})
	if err != nil {
		b.Fatal(err)
	}
	rule := ""
	for _, t := range cfg.Topics {
		if t.ID == "unions" {
			rule = strings.Replace(t.Rule, "NEAR/8", "NEAR/10", 1)
		}
	}
	if rule == "" || !strings.Contains(rule, "NEAR/10") {
		b.Fatal("the shipped unions rule has no NEAR/8 any more: pick another edit")
	}
	b.Run("page", func(b *testing.B) {
		target := "/rules?" + url.Values{"topic": {"unions"}, "rule": {rule}, "since": {""}}.Encode()
		get := func() {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
		get() // the first answer reads the archive
		for b.Loop() {
			get()
		}
	})
	b.Run("lab-only", func(b *testing.B) {
		x := lab.NewIndex(nil, 0)
		req := lab.Request{Topic: "unions", Rule: rule, Since: time.Time{}}
		if _, err := x.TestRule(b.Context(), st, cfg, req); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := x.TestRule(b.Context(), st, cfg, req)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Scanned), "stories")
		}
	})
}
