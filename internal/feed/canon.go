package feed

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the article; dropping them lets one story shared through several
// channels be stored once. Keys are lower case; utm_* is handled apart.
var trackingParams = map[string]bool{
	"fbclid":  true,
	"gclid":   true,
	"dclid":   true,
	"gbraid":  true,
	"wbraid":  true,
	"msclkid": true,
	"mc_cid":  true,
	"mc_eid":  true,
	"igshid":  true,
	"yclid":   true,
	"_ga":     true,
	"_gl":     true,
	"ocid":    true,
	"cmpid":   true,
}

var defaultPorts = map[string]string{"http": "80", "https": "443"}

// CanonicalURL resolves raw against base (which may be nil) and returns the
// one spelling of that address used to recognise an article seen before: an
// absolute http(s) URL with scheme and host in lower case, no default port,
// no user info, no fragment, a path of at least "/", and the query without
// tracking parameters, sorted by key.
//
// Anything that is not http or https (javascript:, mailto:, data:, ...) is
// an error, as are an empty string and a relative reference with no
// absolute base.
func CanonicalURL(raw string, base *url.URL) (string, error) {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		// RFC 3986 would resolve "" to the base itself, but in a feed an
		// empty link means no link, not "the feed".
		return "", fmt.Errorf("canonical url %q: empty", raw)
	}
	if len(trimmed) > MaxURL {
		return "", fmt.Errorf("canonical url: %d bytes, longer than %d", len(trimmed), MaxURL)
	}
	ref, err := url.Parse(trimmed)
	if err != nil {
		return "", fmt.Errorf("canonical url %q: %w", raw, err)
	}
	if base == nil {
		base = &url.URL{}
	}
	// Resolving also removes "." and ".." path segments, including for an
	// absolute ref, so the result is the same whether or not a base is given.
	u := base.ResolveReference(ref)

	u.Scheme = strings.ToLower(u.Scheme)
	if _, ok := defaultPorts[u.Scheme]; !ok {
		if u.Scheme == "" {
			return "", fmt.Errorf("canonical url %q: relative reference without an absolute base", raw)
		}
		return "", fmt.Errorf("canonical url %q: scheme %q is not http or https", raw, u.Scheme)
	}
	if u.Opaque != "" {
		return "", fmt.Errorf("canonical url %q: no host (opaque %s: URL)", raw, u.Scheme)
	}
	host, err := canonicalHost(u)
	if err != nil {
		return "", fmt.Errorf("canonical url %q: %w", raw, err)
	}
	u.Host = host
	// Credentials in a link are either a mistake or a secret; neither
	// belongs in the database or in the identity of an article.
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	// WordPress writes Khmer slugs with lower-case escapes (%e1%9e%80),
	// other places with upper-case; RFC 3986 makes upper case canonical.
	u.RawPath = upperEscapes(u.EscapedPath())
	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// canonicalHost returns u's host in lower case without the scheme's default
// port.
func canonicalHost(u *url.URL) (string, error) {
	hostname, err := asciiHostname(u.Hostname())
	if err != nil {
		return "", err
	}
	if err := checkHostname(hostname); err != nil {
		return "", err
	}
	port := u.Port()
	if port == defaultPorts[u.Scheme] {
		port = ""
	}
	if port != "" {
		return net.JoinHostPort(hostname, port), nil
	}
	if strings.Contains(hostname, ":") {
		return "[" + hostname + "]", nil // IPv6 literal
	}
	return hostname, nil
}

// asciiHostname lower-cases a host name and writes an internationalised one
// in its ASCII (punycode) form, so that "пример.рф" and "xn--e1afmkfd.xn--p1ai"
// are one host, and the result needs no percent-encoding.
func asciiHostname(h string) (string, error) {
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			a, err := idna.Lookup.ToASCII(h)
			if err != nil {
				return "", fmt.Errorf("host %q: %w", h, err)
			}
			return strings.ToLower(a), nil
		}
	}
	return strings.ToLower(h), nil
}

// checkHostname accepts an IPv6 literal (without zone: a link-local address
// is no news site) or a name of ASCII letters, digits, '-', '.' and '_'. net/url lets through hosts such as "::"
// or "a b" that no site has and that would not survive a round trip.
func checkHostname(h string) error {
	if h == "" {
		return errors.New("no host")
	}
	if strings.Contains(h, ":") {
		if ip, err := netip.ParseAddr(h); err != nil || !ip.Is6() || ip.Zone() != "" {
			return fmt.Errorf("invalid IPv6 host %q", h)
		}
		return nil
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fmt.Errorf("invalid character %q in host %q", c, h)
		}
	}
	return nil
}

// canonicalQuery drops tracking parameters and sorts the rest by key. It
// works on the raw query so the surviving parameters keep their original
// escaping; the sort is stable so repeated keys keep their order, which can
// carry meaning.
func canonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	type param struct{ key, raw string }
	var params []param
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, _, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if isTrackingParam(key) {
			continue
		}
		params = append(params, param{key, escapeQueryPart(part)})
	}
	slices.SortStableFunc(params, func(a, b param) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	b.Grow(len(rawQuery))
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.raw)
	}
	return b.String()
}

// escapeQueryPart percent-encodes what may not appear raw in a query (RFC
// 3986: spaces, controls, non-ASCII, a '%' that starts no escape, ...) and
// upper-cases existing escapes, so that every spelling of a parameter comes
// out the same and the result parses back to itself. Valid escapes are
// kept as escapes: decoding them could change what the server receives.
func escapeQueryPart(s string) string {
	if queryPartIsCanonical(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte('%')
			b.WriteByte(upperHex(s[i+1]))
			b.WriteByte(upperHex(s[i+2]))
			i += 2
		case c != '%' && isQueryByte(c):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
	return b.String()
}

func queryPartIsCanonical(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
				return false
			}
			i += 2
			continue
		}
		if !isQueryByte(c) {
			return false
		}
	}
	return true
}

// isQueryByte reports whether c may appear unescaped in a query: RFC 3986
// unreserved, sub-delims, ':', '@', '/' and '?'.
func isQueryByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0
}

// upperEscapes upper-cases the hex digits of percent-escapes in s.
func upperEscapes(s string) string {
	lower := false
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && (s[i+1] != upperHex(s[i+1]) || s[i+2] != upperHex(s[i+2])) {
			lower = true
			break
		}
	}
	if !lower {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = upperHex(b[i+1]), upperHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isUpperHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F'
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

func isTrackingParam(key string) bool {
	key = strings.ToLower(key)
	return strings.HasPrefix(key, "utm_") || trackingParams[key]
}
