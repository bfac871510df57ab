package daemon

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/evidence"
	"github.com/civicwatch/civicwatch/internal/store"
)

// TestMemory1000Feeds measures the daemon's resident memory while it polls
// 1,000 loopback feeds (20 hosts × 50 feeds, 20 items of ~2 KB each) with
// evidence capture on: every item links to an article page on its own
// loopback host, every story matches, and the daily budget is large, so
// the evidence loop captures (fetch, WARC, extraction) all through the
// run. It is a measurement, not a check, so it runs only when asked:
//
//	CIVICWATCH_MEMTEST=60s go test -run TestMemory1000Feeds -v ./internal/daemon/
//
// The feed servers run in the same process, so the figure is an upper bound
// for the daemon alone. Servers send no validators: every round downloads
// and hashes every body (the "unchanged" path), the costly steady state.
func TestMemory1000Feeds(t *testing.T) {
	spec := os.Getenv("CIVICWATCH_MEMTEST")
	if spec == "" {
		t.Skip("set CIVICWATCH_MEMTEST=60s to measure memory over 1,000 feeds")
	}
	run, err := time.ParseDuration(spec)
	if err != nil {
		t.Fatal(err)
	}
	const hosts, perHost, items = 20, 50, 20
	var body strings.Builder
	body.WriteString(`<rss version="2.0"><channel><title>mem</title>`)
	for i := range items {
		fmt.Fprintf(&body, `<item><title>Story %%[1]s-%d about a strike</title><link>http://%%[1]s/art/%d</link><description>%s</description></item>`,
			i, i, strings.Repeat("Workers protested at the factory gate in Phnom Penh. ", 40))
	}
	body.WriteString(`</channel></rss>`)
	var article strings.Builder
	article.WriteString(`<html><head><title>Strike</title></head><body><nav>Home News</nav><article><h1>Strike</h1>`)
	for range 12 {
		article.WriteString(`<p>` + strings.Repeat("Garment workers walked out after their union leader was dismissed. ", 6) + `</p>`)
	}
	article.WriteString(`</article><footer>© News</footer></body></html>`)
	var paths []string
	var requests, articles atomic.Int64
	for h := range hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h+1))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/art/") {
				articles.Add(1)
				fmt.Fprint(w, article.String())
				return
			}
			requests.Add(1)
			fmt.Fprintf(w, body.String(), r.Host+r.URL.Path)
		}))
		ts.Listener = ln
		ts.Start()
		defer ts.Close()
		for f := range perHost {
			paths = append(paths, fmt.Sprintf("%s/f%d", ts.URL, f))
		}
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "", paths, "strike OR protested", "evidence:\n  capture: matched\n  daily_budget: 1000000\n")
	// writeConfig joins base and path with a slash: drop the leading one.
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.ReplaceAll(string(b), "url: /http", "url: http")), 0o644)

	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), Tick: time.Second})
	var peak, overall, last int
	var heapPeak uint64
	began := time.Now()
	for time.Since(began) < run {
		time.Sleep(time.Second)
		rss := vmRSS(t)
		if time.Since(began) > run/2 { // steady state: the archive is stored, rounds repeat
			peak = max(peak, rss)
		}
		overall = max(overall, rss)
		last = rss
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapPeak = max(heapPeak, ms.HeapInuse)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "cw.db")
	u, err := evidence.DiskUsage(filepath.Join(dir, "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 feeds, %s, evidence capture on: VmRSS steady-state peak %d MB, whole-run peak %d MB, last %d MB; "+
		"Go heap in use %d MB (peak %d MB); %d feed fetches; stories %d; %d article fetches, %d captures, %d MB of WARC",
		run, peak>>10, overall>>10, last>>10, ms.HeapInuse>>20, heapPeak>>20, requests.Load(), countStories(t, db),
		articles.Load(), countCaptures(t, db), u.Bytes>>20)
	if peak>>10 > 150 {
		t.Errorf("steady-state RSS %d MB is over the 150 MB target", peak>>10)
	}
}

func countCaptures(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := st.EvidenceSummary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum.Captures
}

// vmRSS reads the process's resident set size in KiB.
func vmRSS(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: ", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
