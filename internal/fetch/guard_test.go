package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestGuardRanges judges an address inside every refused range, written out
// here rather than taken from the guard's own tables, so that dropping a
// range from the guard fails the test; each refusal must name the range.
func TestGuardRanges(t *testing.T) {
	cases := []struct {
		addr   string
		range_ string // "" for an address the guard must let through
	}{
		// IPv4 special-purpose registry.
		{"0.1.2.3", "0.0.0.0/8"},
		{"10.1.2.3", "10.0.0.0/8"},
		{"100.64.0.1", "100.64.0.0/10"},
		{"100.127.255.254", "100.64.0.0/10"},
		{"127.0.0.1", "127.0.0.0/8"},
		{"127.255.0.9", "127.0.0.0/8"},
		{"169.254.169.254", "169.254.0.0/16"},
		{"172.16.0.1", "172.16.0.0/12"},
		{"172.31.255.1", "172.16.0.0/12"},
		{"192.0.0.9", "192.0.0.0/24"},
		{"192.0.0.170", "192.0.0.0/24"},
		{"192.0.2.1", "192.0.2.0/24"},
		{"192.31.196.1", "192.31.196.0/24"},
		{"192.52.193.1", "192.52.193.0/24"},
		{"192.88.99.1", "192.88.99.0/24"},
		{"192.168.1.1", "192.168.0.0/16"},
		{"192.175.48.6", "192.175.48.0/24"},
		{"198.18.0.5", "198.18.0.0/15"},
		{"198.19.255.1", "198.18.0.0/15"},
		{"198.51.100.7", "198.51.100.0/24"},
		{"203.0.113.9", "203.0.113.0/24"},
		{"224.0.0.1", "224.0.0.0/4"},
		{"239.255.255.250", "224.0.0.0/4"},
		{"240.0.0.1", "240.0.0.0/4"},
		{"255.255.255.255", "240.0.0.0/4"},
		// IPv6 special-purpose registry.
		{"::", "::/128"},
		{"::1", "::1/128"},
		{"64:ff9b:1::8.8.8.8", "64:ff9b:1::/48"},
		{"100::1", "100::/64"},
		{"100:0:0:1::1", "100:0:0:1::/64"},
		{"2001::1", "2001::/23"},         // Teredo
		{"2001:2::1", "2001::/23"},       // benchmarking
		{"2001:20::1", "2001::/23"},      // ORCHIDv2
		{"2001:db8::1", "2001:db8::/32"}, // documentation
		{"2620:4f:8000::1", "2620:4f:8000::/48"},
		{"3fff::1", "3fff::/20"},
		{"5f00::1", "5f00::/16"},
		{"fd00::1", "fc00::/7"},
		{"fc12::1", "fc00::/7"},
		{"fe80::1", "fe80::/10"},
		{"fe80::1%eth0", "fe80::/10"},
		{"fec0::1", "fec0::/10"},
		{"ff02::1", "ff00::/8"},
		{"4000::1", "2000::/3"}, // unassigned: outside global unicast
		// Public addresses pass.
		{"93.184.215.14", ""},
		{"8.8.8.8", ""},
		{"192.0.3.1", ""},
		{"198.20.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700::1111", ""},
		{"2a00:1450:4001::200e", ""},
	}
	for _, c := range cases {
		addr := netip.MustParseAddr(c.addr)
		r := Judge(addr)
		switch {
		case c.range_ == "" && r != nil:
			t.Errorf("Judge(%s) refused a public address: %s", c.addr, r)
		case c.range_ != "" && r == nil:
			t.Errorf("Judge(%s) let it through; want refused as in %s", c.addr, c.range_)
		case c.range_ != "" && r.Range.String() != c.range_:
			t.Errorf("Judge(%s) refused it as %s, want %s", c.addr, r.Range, c.range_)
		}
		if c.range_ == "" {
			continue
		}
		err := PublicOnly(netip.AddrPortFrom(addr, 443).String())
		if !errors.Is(err, ErrBlockedAddress) || !strings.Contains(err.Error(), addr.WithZone("").String()) || !strings.Contains(err.Error(), c.range_) {
			t.Errorf("PublicOnly(%s) = %v; want ErrBlockedAddress naming the address and %s", c.addr, err, c.range_)
		}
	}
	// Every range of the guard's tables has a row above.
	tested := map[string]bool{}
	for _, c := range cases {
		tested[c.range_] = true
	}
	for _, tables := range [][]span{refusedV4, refusedV6} {
		for _, s := range tables {
			if !tested[s.prefix.String()] {
				t.Errorf("no case for the refused range %s (%s)", s.prefix, s.name)
			}
		}
	}
}

// TestGuardEmbeddedIPv4 writes a private, a documentation and a public IPv4
// address in every IPv6 form that carries one: the guard must judge the
// address carried, refusing the first two and naming the form.
func TestGuardEmbeddedIPv4(t *testing.T) {
	forms := []struct {
		name, prefix string
		write        func(v4 netip.Addr) netip.Addr
	}{
		{"IPv4-mapped", "::ffff:0.0.0.0/96", func(v4 netip.Addr) netip.Addr { return at(v4, "::ffff:0:0", 12) }},
		{"IPv4-translated", "::ffff:0:0:0/96", func(v4 netip.Addr) netip.Addr { return at(v4, "::ffff:0:0:0", 12) }},
		{"IPv4-compatible", "::/96", func(v4 netip.Addr) netip.Addr { return at(v4, "::", 12) }},
		{"NAT64", "64:ff9b::/96", func(v4 netip.Addr) netip.Addr { return at(v4, "64:ff9b::", 12) }},
		{"6to4", "2002::/16", func(v4 netip.Addr) netip.Addr { return at(v4, "2002::", 2) }},
	}
	carried := []struct {
		v4, range_ string
	}{
		{"127.0.0.1", "127.0.0.0/8"},
		{"10.0.0.1", "10.0.0.0/8"},
		{"169.254.169.254", "169.254.0.0/16"},
		{"100.64.1.1", "100.64.0.0/10"},
		{"192.0.2.10", "192.0.2.0/24"},
		{"198.51.100.10", "198.51.100.0/24"},
		{"203.0.113.10", "203.0.113.0/24"},
		{"198.18.1.1", "198.18.0.0/15"},
		{"240.1.2.3", "240.0.0.0/4"},
		{"93.184.215.14", ""},
	}
	for _, f := range forms {
		for _, c := range carried {
			v6 := f.write(netip.MustParseAddr(c.v4))
			if !netip.MustParsePrefix(f.prefix).Contains(v6) {
				t.Fatalf("%s: %s is not in %s", f.name, v6, f.prefix)
			}
			r := Judge(v6)
			if c.range_ == "" {
				if r != nil {
					t.Errorf("%s %s carrying public %s refused: %s", f.name, v6, c.v4, r)
				}
				continue
			}
			if r == nil {
				t.Errorf("%s %s carrying %s let through", f.name, v6, c.v4)
				continue
			}
			if r.Range.String() != c.range_ || r.Embedded.String() != c.v4 || r.Via.String() != f.prefix {
				t.Errorf("%s %s: refused as %s via %s carrying %s; want %s via %s carrying %s",
					f.name, v6, r.Range, r.Via, r.Embedded, c.range_, f.prefix, c.v4)
			}
			msg := r.String()
			for _, want := range []string{v6.String(), c.v4, c.range_, f.prefix} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %q does not name %s", f.name, msg, want)
				}
			}
		}
	}
}

// at writes v4 into the IPv6 address base at byte offset off.
func at(v4 netip.Addr, base string, off int) netip.Addr {
	b := netip.MustParseAddr(base).As16()
	a := v4.As4()
	copy(b[off:], a[:])
	return netip.AddrFrom16(b)
}

// TestGuardRefusesBeforeConnecting points a guarded Fetcher at a loopback
// server: the refusal must come from the dialer's Control hook, so the
// server never sees a connection, and the error names address and range.
func TestGuardRefusesBeforeConnecting(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(net.Conn, http.ConnState) { conns.Add(1) }
	srv.Start()
	defer srv.Close()

	f := New(Options{Timeout: 5 * time.Second, MaxBody: 1 << 20, PerHost: 1, UserAgent: "test", Guard: PublicOnly})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := f.Fetch(ctx, Request{URL: srv.URL + "/feed"})
	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("fetch of %s: %v, want ErrBlockedAddress", srv.URL, err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "127.0.0.0/8") {
		t.Errorf("error %q does not name the address and its range", err)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the server saw %d connections; the guard must refuse before connecting", n)
	}
}

// FuzzJudge: any 16 bytes, read as IPv6 and (the last four) as IPv4, are
// judged without panicking, and an IPv4 address is judged the same in
// every IPv6 form that carries it.
func FuzzJudge(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1})
	f.Add([]byte{0x20, 0x02, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 16 {
			return
		}
		Judge(netip.AddrFrom16([16]byte(b)))
		v4 := netip.AddrFrom4([4]byte(b[12:]))
		want := Judge(v4) == nil
		for _, form := range []string{"::ffff:0:0", "::ffff:0:0:0", "64:ff9b::"} {
			if got := Judge(at(v4, form, 12)) == nil; got != want {
				t.Fatalf("%s is public=%v, but in the form %s public=%v", v4, want, at(v4, form, 12), got)
			}
		}
		if got := Judge(at(v4, "2002::", 2)) == nil; got != want {
			t.Fatalf("%s is public=%v, but as 6to4 public=%v", v4, want, got)
		}
	})
}
