package fetch

import (
	"fmt"
	"net/netip"
)

// reserved lists ranges that netip's predicates miss but that no public feed
// lives in.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

// PublicOnly is the private-network guard: it refuses to dial loopback,
// private (RFC 1918, ULA), link-local, CGNAT, multicast, unspecified and
// other reserved addresses. It runs at dial time on the resolved address, so
// a public name that resolves, or redirects, to an internal host is caught.
func PublicOnly(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	if !IsPublic(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", ap.Addr(), ErrBlockedAddress)
	}
	return nil
}

// IsPublic reports whether addr may be reached with the guard on.
func IsPublic(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}
