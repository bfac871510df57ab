package feed

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
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
// an error, as is a relative reference with no absolute base.
func CanonicalURL(raw string, base *url.URL) (string, error) {
	ref, err := url.Parse(strings.TrimSpace(raw))
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
	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// canonicalHost returns u's host in lower case without the scheme's default
// port.
func canonicalHost(u *url.URL) (string, error) {
	hostname := strings.ToLower(u.Hostname())
	if hostname == "" {
		return "", errors.New("no host")
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
		params = append(params, param{key, part})
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

func isTrackingParam(key string) bool {
	key = strings.ToLower(key)
	return strings.HasPrefix(key, "utm_") || trackingParams[key]
}
