package daemon

import (
	"bufio"
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
)

// TestMemory1000Feeds measures the daemon's resident memory while it polls
// 1,000 loopback feeds (20 hosts × 50 feeds, 20 items of ~2 KB each). It is
// a measurement, not a check, so it runs only when asked:
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
		fmt.Fprintf(&body, `<item><title>Story %%[1]s-%d about a strike</title><link>https://mem.example/%%[1]s/%d</link><description>%s</description></item>`,
			i, i, strings.Repeat("Workers protested at the factory gate in Phnom Penh. ", 40))
	}
	body.WriteString(`</channel></rss>`)
	var paths []string
	var requests atomic.Int64
	for h := range hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h+1))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	cfg := writeConfig(t, dir, "", paths, "strike OR protested", "")
	// writeConfig joins base and path with a slash: drop the leading one.
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.ReplaceAll(string(b), "url: /http", "url: http")), 0o644)

	r := start(t, Options{ConfigPath: cfg, DBPath: filepath.Join(dir, "cw.db"), Tick: time.Second})
	var peak, last int
	began := time.Now()
	for time.Since(began) < run {
		time.Sleep(time.Second)
		rss := vmRSS(t)
		if time.Since(began) > run/2 { // steady state: the archive is stored, rounds repeat
			peak = max(peak, rss)
		}
		last = rss
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("1,000 feeds, %s: VmRSS steady-state peak %d MB, last %d MB; Go heap in use %d MB; %d fetches; stories %d",
		run, peak>>10, last>>10, ms.HeapInuse>>20, requests.Load(), countStories(t, filepath.Join(dir, "cw.db")))
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if peak>>10 > 150 {
		t.Errorf("steady-state RSS %d MB is over the 150 MB target", peak>>10)
	}
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
