package poll

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
)

// TestFetchesAreBoundedGloballyAndPerHost polls two hosts (127.0.0.1 and
// localhost name one server) and watches how many requests are in flight.
func TestFetchesAreBoundedGloballyAndPerHost(t *testing.T) {
	var mu sync.Mutex
	inFlight, maxFlight := map[string]int{}, map[string]int{}
	total, maxTotal := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		mu.Lock()
		inFlight[host]++
		total++
		maxFlight[host] = max(maxFlight[host], inFlight[host])
		maxTotal = max(maxTotal, total)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inFlight[host]--
		total--
		mu.Unlock()
		fmt.Fprint(w, `<rss version="2.0"><channel><title>x</title></channel></rss>`)
	}))
	defer ts.Close()
	port := ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	var feeds []config.Feed
	for i := range 8 {
		feeds = append(feeds,
			feedAt(fmt.Sprintf("ip%d", i), fmt.Sprintf("http://127.0.0.1:%s/%d", port, i)),
			feedAt(fmt.Sprintf("name%d", i), fmt.Sprintf("http://localhost:%s/%d", port, i)))
	}
	fc := testFetchConfig()
	fc.Concurrency, fc.PerHost = 3, 2
	rep := mustPoll(t, newPoller(openStore(t), fc, nil), feeds, Selection{})
	if _, failed := rep.Totals(); failed > 0 {
		t.Fatalf("%d feeds failed: %+v", failed, rep.Results)
	}
	if maxTotal != 3 {
		t.Errorf("at most %d requests in flight, want exactly the global limit of 3", maxTotal)
	}
	for host, n := range maxFlight {
		if n > 2 {
			t.Errorf("%s: %d requests in flight, want at most 2", host, n)
		}
	}
}
