package fetch

import (
	"fmt"
	"net/netip"
)

// span is a range the guard refuses, with the name an operator reading the
// error needs to see why.
type span struct {
	prefix netip.Prefix
	name   string
}

func refused(prefix, name string) span { return span{netip.MustParsePrefix(prefix), name} }

// refusedV4 is every IPv4 range no public feed lives in: the whole IANA
// IPv4 special-purpose address registry (globally reachable anycast entries
// such as AS112 included, since no feed is served from a DNS sink), plus
// multicast, which that registry leaves to its own.
var refusedV4 = []span{
	refused("0.0.0.0/8", `"this network" (RFC 791)`),
	refused("10.0.0.0/8", "private-use (RFC 1918)"),
	refused("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
	refused("127.0.0.0/8", "loopback (RFC 1122)"),
	refused("169.254.0.0/16", "link-local (RFC 3927)"),
	refused("172.16.0.0/12", "private-use (RFC 1918)"),
	refused("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
	refused("192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"),
	refused("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
	refused("192.52.193.0/24", "AMT (RFC 7450)"),
	refused("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
	refused("192.168.0.0/16", "private-use (RFC 1918)"),
	refused("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
	refused("198.18.0.0/15", "benchmarking (RFC 2544)"),
	refused("198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"),
	refused("203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"),
	refused("224.0.0.0/4", "multicast (RFC 5771)"),
	refused("240.0.0.0/4", "reserved (RFC 1112), limited broadcast included"),
}

// refusedV6 is the IANA IPv6 special-purpose address registry, plus
// multicast and the deprecated site-local range. The forms that carry an
// IPv4 address in a known place (embeddings below) are not listed: they
// are judged by the address they carry.
var refusedV6 = []span{
	refused("::/128", "unspecified (RFC 4291)"),
	refused("::1/128", "loopback (RFC 4291)"),
	refused("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
	refused("100::/64", "discard-only (RFC 6666)"),
	refused("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
	refused("2001::/23", "IETF protocol assignments, Teredo included (RFC 2928)"),
	refused("2001:db8::/32", "documentation (RFC 3849)"),
	refused("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"),
	refused("3fff::/20", "documentation (RFC 9637)"),
	refused("5f00::/16", "segment routing SIDs (RFC 9602)"),
	refused("fc00::/7", "unique-local (RFC 4193)"),
	refused("fe80::/10", "link-local unicast (RFC 4291)"),
	refused("fec0::/10", "deprecated site-local (RFC 3879)"),
	refused("ff00::/8", "multicast (RFC 4291)"),
}

// globalUnicast is the only IPv6 space IANA hands out for public hosts;
// what lies outside it and is neither listed nor an embedding is reserved
// by the IETF. A refusal names the range the address is not in.
var globalUnicast = refused("2000::/3", "global unicast (RFC 4291); the rest is reserved by the IETF")

// embedding is an IPv6 form that carries an IPv4 address at a fixed place.
// Dialling it reaches that IPv4 host (through NAT64, a 6to4 relay or the
// kernel's own mapping), so the guard judges the IPv4 address inside.
type embedding struct {
	span
	at int // byte offset of the IPv4 address in the 16-byte form
}

var embeddings = []embedding{
	{refused("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"), 12},
	{refused("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"), 12},
	{refused("64:ff9b::/96", "NAT64 well-known prefix (RFC 6052)"), 12},
	{refused("2002::/16", "6to4 (RFC 3056)"), 2},
	// Last: ::/96 also holds :: and ::1, which refusedV6 names exactly.
	{refused("::/96", "IPv4-compatible, deprecated (RFC 4291)"), 12},
}

// Refusal says why the guard refuses an address: the range it falls in,
// and for an IPv6 form that carries an IPv4 address, that form and the
// address it carries.
type Refusal struct {
	Addr     netip.Addr
	Range    netip.Prefix // the refused range, of Embedded when that is valid
	Name     string
	Via      netip.Prefix // the IPv6 form that carried Embedded
	ViaName  string
	Embedded netip.Addr
	Outside  bool // refused for lying outside Range rather than in it
}

func (r *Refusal) String() string {
	if r.Outside {
		return fmt.Sprintf("%s is outside %s, %s", r.Addr, r.Range, r.Name)
	}
	if r.Embedded.IsValid() {
		return fmt.Sprintf("%s carries %s (%s %s), which is in %s, %s", r.Addr, r.Embedded, r.ViaName, r.Via, r.Range, r.Name)
	}
	return fmt.Sprintf("%s is in %s, %s", r.Addr, r.Range, r.Name)
}

// Judge returns why addr must not be dialled, or nil when it is public.
func Judge(addr netip.Addr) *Refusal {
	if !addr.IsValid() {
		return &Refusal{Addr: addr, Name: "not an IP address"}
	}
	addr = addr.WithZone("")
	if addr.Is4() {
		if s, ok := within(refusedV4, addr); ok {
			return &Refusal{Addr: addr, Range: s.prefix, Name: s.name}
		}
		return nil
	}
	if s, ok := within(refusedV6, addr); ok {
		return &Refusal{Addr: addr, Range: s.prefix, Name: s.name}
	}
	for _, e := range embeddings {
		if !e.prefix.Contains(addr) {
			continue
		}
		b := addr.As16()
		v4 := netip.AddrFrom4([4]byte(b[e.at : e.at+4]))
		if s, ok := within(refusedV4, v4); ok {
			return &Refusal{Addr: addr, Range: s.prefix, Name: s.name, Via: e.prefix, ViaName: e.name, Embedded: v4}
		}
		return nil
	}
	if !globalUnicast.prefix.Contains(addr) {
		return &Refusal{Addr: addr, Range: globalUnicast.prefix, Name: globalUnicast.name, Outside: true}
	}
	return nil
}

func within(spans []span, addr netip.Addr) (span, bool) {
	for _, s := range spans {
		if s.prefix.Contains(addr) {
			return s, true
		}
	}
	return span{}, false
}

// PublicOnly is the private-network guard: it refuses to dial loopback,
// private (RFC 1918, ULA), link-local, CGNAT, multicast, documentation,
// benchmarking and every other special-purpose range, and IPv6 forms that
// carry such an IPv4 address (mapped, translated, compatible, NAT64, 6to4).
// It runs at dial time on the resolved address, before the connection is
// attempted, so a public name that resolves, or redirects, to an internal
// host is caught; the error names the address and the range.
func PublicOnly(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	if r := Judge(ap.Addr()); r != nil {
		return fmt.Errorf("dial %s: %w: %s", ap.Addr(), ErrBlockedAddress, r)
	}
	return nil
}

// IsPublic reports whether addr may be reached with the guard on.
func IsPublic(addr netip.Addr) bool { return Judge(addr) == nil }
