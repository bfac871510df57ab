package web

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
)

func TestHostCheck(t *testing.T) {
	listed := func(hosts ...string) func() []string { return func() []string { return hosts } }
	for _, tc := range []struct {
		listen string
		listed []string
		host   string
		tls    bool
		ok     bool
	}{
		// Bound to loopback: its address and localhost forms, that port.
		{"127.0.0.1:8080", nil, "127.0.0.1:8080", false, true},
		{"127.0.0.1:8080", nil, "localhost:8080", false, true},
		{"127.0.0.1:8080", nil, "LOCALHOST.:8080", false, true},
		{"127.0.0.1:8080", nil, "[::1]:8080", false, true},
		{"127.0.0.1:8080", nil, "evil.example:8080", false, false},
		{"127.0.0.1:8080", nil, "evil.example", false, false},
		{"127.0.0.1:8080", nil, "localhost.evil.example:8080", false, false},
		{"127.0.0.1:8080", nil, "127.0.0.1.nip.io:8080", false, false},
		{"127.0.0.1:8080", nil, "localhost:9090", false, false},
		{"127.0.0.1:8080", nil, "", false, false},
		{"127.0.0.1:8080", nil, "localhost:", false, false},
		{"127.0.0.1:80", nil, "localhost", false, true},
		{"127.0.0.1:443", nil, "localhost", true, true},
		{"127.0.0.1:8080", nil, "localhost", false, false},
		{"[::1]:8080", nil, "[::1]:8080", false, true},
		{"localhost:8080", nil, "localhost:8080", false, true},
		// Names the operator listed: bare names on any port, name:port on that one.
		{"127.0.0.1:8080", []string{"watch.example.org"}, "watch.example.org", true, true},
		{"127.0.0.1:8080", []string{"watch.example.org"}, "Watch.Example.Org:8443", false, true},
		{"127.0.0.1:8080", []string{"watch.example.org:8443"}, "watch.example.org:8443", false, true},
		{"127.0.0.1:8080", []string{"watch.example.org:8443"}, "watch.example.org:9000", false, false},
		{"127.0.0.1:8080", []string{"watch.example.org"}, "evil.watch.example.org", false, false},
		// Bound to every interface: listed names, and loopback forms on any
		// port (a container's port published elsewhere on the host).
		{"0.0.0.0:8080", nil, "evil.example:8080", false, false},
		{"0.0.0.0:8080", nil, "192.168.1.5:8080", false, false},
		{"0.0.0.0:8080", nil, "127.0.0.1:9000", false, true},
		{"0.0.0.0:8080", []string{"192.168.1.5"}, "192.168.1.5:8080", false, true},
		{"[::]:8080", []string{"lan.example"}, "lan.example:8080", false, true},
		{"[::]:8080", []string{"[fd00::5]:8080"}, "[fd00::5]:8080", false, true},
		// Bound to one LAN address: that address with its port.
		{"192.168.1.5:8080", nil, "192.168.1.5:8080", false, true},
		{"192.168.1.5:8080", nil, "192.168.1.5:9090", false, false},
		{"192.168.1.5:8080", nil, "rebind.evil.example:8080", false, false},
		// Not yet bound (a bare handler): localhost forms on any port.
		{"", nil, "127.0.0.1:51234", false, true},
		{"", nil, "evil.example:51234", false, false},
	} {
		hc := newHostCheck(tc.listen, listed(tc.listed...))
		if got := hc.allowed(tc.host, tc.tls); got != tc.ok {
			t.Errorf("listen %s, listed %v: Host %q (tls %v) allowed = %v, want %v", tc.listen, tc.listed, tc.host, tc.tls, got, tc.ok)
		}
	}
}

// TestRebindingRefused is the attack: a page on a rebinding name reaches
// the console on its real loopback listener, with the attacker's name in
// Host, and tries to read a page and to post a rule save with a form token
// it lifted, with the Origin the browser would send (its own, which then
// matches Host). Every request is refused with 421 before any handler or
// the token check runs; with the token on too, and with the token given.
func TestRebindingRefused(t *testing.T) {
	const token = "0123456789abcdef-console"
	for _, withToken := range []bool{false, true} {
		t.Run(fmt.Sprintf("token=%v", withToken), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			_, port, _ := net.SplitHostPort(addr)
			f := newFixture(t, func(o *Options) {
				o.Listen, o.AllowedHosts = addr, nil
				o.Health = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
				if withToken {
					o.Token = token
				}
			})
			srv := httptest.NewUnstartedServer(f.server)
			srv.Listener.Close()
			srv.Listener = ln
			srv.Start()
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			before, _ := f.store.Labels(t.Context(), nil)

			send := func(method, path, host string, form url.Values) (int, string) {
				t.Helper()
				var body io.Reader
				if form != nil {
					body = strings.NewReader(form.Encode())
				}
				req, err := http.NewRequest(method, "http://"+addr+path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Host = host
				req.Header.Set("Origin", "http://"+host)
				if form != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if withToken {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			id := f.ids["Union leader arrested in Phnom Penh"]
			label := url.Values{"csrf": {f.server.csrf.token}, "topic": {"unions"}, "verdict": {"relevant"}}
			save := url.Values{"csrf": {f.server.csrf.token}, "topic": {"unions"}, "rule": {"union"}}
			evil := "evil.example:" + port
			for _, r := range []struct {
				method, path string
				form         url.Values
			}{
				{"GET", "/", nil}, {"GET", "/rules", nil}, {"GET", "/healthz", nil}, {"GET", "/feeds/all.atom", nil},
				{"GET", "/static/console.js", nil}, {"GET", "/nope", nil},
				{"POST", fmt.Sprintf("/stories/%d/label", id), label}, {"POST", "/rules/save", save},
			} {
				code, body := send(r.method, r.path, evil, r.form)
				if code != http.StatusMisdirectedRequest {
					t.Errorf("%s %s with Host %s: %d, want 421", r.method, r.path, evil, code)
				}
				if strings.Contains(body, f.server.csrf.token) || strings.Contains(body, "Union leader") {
					t.Errorf("%s %s with Host %s leaked the page", r.method, r.path, evil)
				}
			}
			if after, _ := f.store.Labels(t.Context(), nil); len(after) != len(before) {
				t.Errorf("a refused label post was stored: %+v", after)
			}
			// The console's own names still work.
			for _, host := range []string{addr, "localhost:" + port} {
				if code, _ := send("GET", "/rules", host, nil); code != http.StatusOK {
					t.Errorf("GET /rules with Host %s: %d, want 200", host, code)
				}
			}
			if code, _ := send("POST", fmt.Sprintf("/stories/%d/label", id), addr, label); code != http.StatusSeeOther {
				t.Errorf("label post with Host %s: %d, want 303", addr, code)
			}
			// A name the operator lists in the config is served.
			cfg := *f.cfg
			cfg.Console = config.Console{Hosts: []string{"watch.example.org"}}
			f.cfg = &cfg
			if code, _ := send("GET", "/rules", "watch.example.org", nil); code != http.StatusOK {
				t.Errorf("GET /rules with a listed Host: %d, want 200", code)
			}
		})
	}
}

// TestLinksIgnoreHost: the Atom self link comes from console.base_url or
// the listen address, never from the request's Host, even a listed one;
// redirects are relative, so they cannot carry a Host either.
func TestLinksIgnoreHost(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Listen, o.AllowedHosts = "127.0.0.1:8080", []string{"lan.example"} })
	atom := func() string {
		req := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
		req.Host = "lan.example:8080"
		res, body := f.do(req)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("atom: %d %s", res.StatusCode, body)
		}
		return body
	}
	if body := atom(); !strings.Contains(body, `href="http://127.0.0.1:8080/feeds/all.atom"`) || strings.Contains(body, "lan.example") {
		t.Errorf("atom self link does not come from the listen address:\n%.600s", body)
	}
	cfg := *f.cfg
	cfg.Console = config.Console{BaseURL: "https://watch.example.org/cw"}
	f.cfg = &cfg
	if body := atom(); !strings.Contains(body, `href="https://watch.example.org/cw/feeds/all.atom"`) || strings.Contains(body, "lan.example") {
		t.Errorf("atom self link does not come from console.base_url:\n%.600s", body)
	}
	id := f.ids["Union leader arrested in Phnom Penh"]
	req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/stories/%d/label", id),
		strings.NewReader(url.Values{"csrf": {f.server.csrf.token}, "topic": {"unions"}, "verdict": {"relevant"}}.Encode()))
	req.Host = "lan.example:8080"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, _ := f.do(req)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/stories/") {
		t.Errorf("label redirect: %d Location %q; want a path with no host", res.StatusCode, loc)
	}
}

// FuzzHostCheck: whatever a client puts in Host, the check does not panic,
// and what it lets in is a loopback literal, localhost, or the name listed.
func FuzzHostCheck(f *testing.F) {
	for _, h := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "evil.example:8080", "[::ffff:127.0.0.1]:8080",
		"lan.example", "LAN.EXAMPLE.:8080", "[fe80::1%25eth0]:8080", "", ":", "[", "]:80", "a:b:c"} {
		f.Add(h)
	}
	hc := newHostCheck("127.0.0.1:8080", func() []string { return []string{"lan.example"} })
	f.Fuzz(func(t *testing.T, host string) {
		if !hc.allowed(host, false) {
			return
		}
		name, _, ok := splitHost(host, false)
		if !ok {
			t.Fatalf("%q let in, but it does not parse", host)
		}
		ip, err := netip.ParseAddr(name)
		if name != "localhost" && name != "lan.example" && (err != nil || !ip.Unmap().IsLoopback()) {
			t.Fatalf("%q let in as %q", host, name)
		}
	})
}
