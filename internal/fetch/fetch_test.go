package fetch

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestIsPublic(t *testing.T) {
	cases := map[string]bool{
		"93.184.215.14":    true,
		"2606:4700::1111":  true,
		"127.0.0.1":        false, // loopback
		"::1":              false,
		"10.1.2.3":         false, // private
		"172.16.0.1":       false,
		"192.168.1.1":      false,
		"fd00::1":          false, // unique local
		"169.254.169.254":  false, // link-local: cloud metadata
		"fe80::1":          false,
		"100.64.0.1":       false, // CGNAT
		"224.0.0.1":        false, // multicast
		"ff02::1":          false,
		"0.0.0.0":          false, // unspecified
		"::":               false,
		"::ffff:127.0.0.1": false, // loopback in IPv4-mapped form
		"::ffff:10.0.0.1":  false,
		"198.18.0.5":       false, // benchmarking
		"255.255.255.255":  false, // broadcast
	}
	for addr, want := range cases {
		if got := IsPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", addr, got, want)
		}
	}
	if err := PublicOnly("127.0.0.1:80"); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("PublicOnly(loopback) = %v, want ErrBlockedAddress", err)
	}
	if err := PublicOnly("93.184.215.14:443"); err != nil {
		t.Errorf("PublicOnly(public) = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"999999999", MaxRetryAfter},
		{"99999999999999999999", 0}, // unparseable as int64 and as a date
		{"-5", 0},
		{"Thu, 26 Nov 2026 13:00:00 GMT", time.Hour},
		{"Wed, 25 Nov 2026 13:00:00 GMT", 0}, // in the past
		{"Fri, 01 Jan 2038 00:00:00 GMT", MaxRetryAfter},
		{"soon", 0},
	}
	for _, c := range cases {
		if got := ParseRetryAfter(c.in, now); got != c.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	req := func(u string) *http.Request {
		parsed, _ := url.Parse(u)
		return &http.Request{URL: parsed}
	}
	chain := func(n int, u string) []*http.Request {
		var via []*http.Request
		for range n {
			via = append(via, req(u))
		}
		return via
	}
	cases := []struct {
		name string
		to   string
		via  []*http.Request
		want error
	}{
		{"http to https", "https://b.example/", chain(1, "http://a.example/"), nil},
		{"https to https", "https://b.example/", chain(1, "https://a.example/"), nil},
		{"https to http", "http://b.example/", chain(1, "https://a.example/"), ErrInsecureRedirect},
		{"to ftp", "ftp://b.example/", chain(1, "http://a.example/"), ErrUnsupportedScheme},
		{"fifth redirect", "https://b.example/", chain(MaxRedirects, "https://a.example/"), nil},
		{"sixth redirect", "https://b.example/", chain(MaxRedirects+1, "https://a.example/"), ErrTooManyRedirects},
	}
	for _, c := range cases {
		if err := checkRedirect(req(c.to), c.via); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFetchSendsValidatorsAndUserAgent(t *testing.T) {
	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("<rss/>"))
	}))
	defer ts.Close()
	f := New(Options{Timeout: 5 * time.Second, MaxBody: 1 << 20, UserAgent: "civicwatch/1.2.3 (+https://example.org)"})

	resp, err := f.Fetch(t.Context(), Request{URL: ts.URL})
	if err != nil || resp.NotModified || string(resp.Body) != "<rss/>" || resp.ETag != `"v1"` {
		t.Fatalf("first fetch: %+v, %v", resp, err)
	}
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "civicwatch/1.2.3") {
		t.Errorf("User-Agent = %q", ua)
	}
	resp, err = f.Fetch(t.Context(), Request{URL: ts.URL, ETag: `"v1"`, LastModified: "Wed, 25 Nov 2026 10:00:00 GMT"})
	if err != nil || !resp.NotModified {
		t.Fatalf("conditional fetch: %+v, %v; want 304", resp, err)
	}
	if got.Get("If-Modified-Since") != "Wed, 25 Nov 2026 10:00:00 GMT" {
		t.Errorf("If-Modified-Since = %q", got.Get("If-Modified-Since"))
	}
}

func TestFetchRefusesOversizedBodies(t *testing.T) {
	big := strings.Repeat("x", 4096)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
		}
		w.Write([]byte(big))
	}))
	defer ts.Close()
	f := New(Options{Timeout: 5 * time.Second, MaxBody: 1024})
	for _, path := range []string{"/declared", "/chunked"} {
		if _, err := f.Fetch(t.Context(), Request{URL: ts.URL + path}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", path, err)
		}
	}
	f = New(Options{Timeout: 5 * time.Second, MaxBody: 4096})
	if resp, err := f.Fetch(t.Context(), Request{URL: ts.URL + "/chunked"}); err != nil || len(resp.Body) != 4096 {
		t.Errorf("a body of exactly the cap: %v", err)
	}
}

func TestFetchRefusesOtherSchemes(t *testing.T) {
	f := New(Options{Timeout: time.Second})
	if _, err := f.Fetch(t.Context(), Request{URL: "file:///etc/passwd"}); !errors.Is(err, ErrUnsupportedScheme) {
		t.Errorf("file URL: %v, want ErrUnsupportedScheme", err)
	}
}
