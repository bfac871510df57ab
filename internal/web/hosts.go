package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// hostCheck refuses requests whose Host header is not a name the console
// answers to. This is the defence against DNS rebinding: a page on
// evil.example that re-points its name at 127.0.0.1 reaches the console
// with "Host: evil.example:8080", and since the browser then counts the
// console as evil.example's own origin, neither CORS nor the cross-origin
// check of the forms would stop it. No name an attacker controls can be
// made to equal the console's address or a name the operator listed.
//
// A request is let in when its Host is
//   - a name the operator listed (--allowed-host, console.hosts); a bare
//     name matches any port;
//   - a loopback form (localhost, 127.0.0.1, ::1) with the port the console
//     listens on; when it listens on all interfaces, on any port, since a
//     container's published port may differ from its own;
//   - the address the console listens on, when that is one address.
type hostCheck struct {
	listenIP   netip.Addr // invalid: all interfaces, or not known
	listenPort string     // "" when not known: any port
	anyPort    bool       // loopback forms on any port
	listed     func() []string
}

func newHostCheck(listen string, listed func() []string) hostCheck {
	hc := hostCheck{listed: listed, anyPort: true}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return hc
	}
	hc.listenPort = port
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
		hc.listenIP = ip.Unmap().WithZone("")
		hc.anyPort = false
	} else if host == "localhost" {
		hc.anyPort = false
	}
	return hc
}

// allowed reports whether a request with this Host header (and TLS or not,
// for the port a missing one stands for) may be served.
func (hc hostCheck) allowed(hostHeader string, tls bool) bool {
	name, port, ok := splitHost(hostHeader, tls)
	if !ok {
		return false
	}
	for _, l := range hc.listed() {
		if listedMatch(l, name, port, tls) {
			return true
		}
	}
	samePort := hc.listenPort == "" || port == hc.listenPort
	ip, err := netip.ParseAddr(name)
	isIP := err == nil
	if name == "localhost" || (isIP && ip.Unmap().IsLoopback()) {
		return samePort || hc.anyPort
	}
	return isIP && hc.listenIP.IsValid() && ip.Unmap() == hc.listenIP && samePort
}

// listedMatch reports whether an operator's entry names this host: a bare
// name matches it on any port, name:port on that port only.
func listedMatch(entry, name, port string, tls bool) bool {
	lname, lport, ok := splitHost(entry, tls)
	if !ok || lname != name {
		return false
	}
	_, _, err := net.SplitHostPort(strings.TrimSpace(entry))
	return err != nil || lport == port
}

// splitHost reads a Host header or an operator's host entry as a lower-case
// name without brackets or trailing dot, and a port (the scheme's default
// when absent).
func splitHost(h string, tls bool) (name, port string, ok bool) {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" {
		return "", "", false
	}
	port = "80"
	if tls {
		port = "443"
	}
	if n, p, err := net.SplitHostPort(h); err == nil {
		if p == "" {
			return "", "", false
		}
		h, port = n, p
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	} else if strings.Contains(h, ":") && !isIPv6(h) {
		return "", "", false
	}
	h = strings.TrimSuffix(h, ".")
	if ip, err := netip.ParseAddr(h); err == nil {
		h = ip.WithZone("").String()
	}
	return h, port, h != ""
}

func isIPv6(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Is6()
}

// refuseHost answers a request for a name the console does not serve: 421
// Misdirected Request, the status for "this server does not answer for
// that authority". It names the way to allow a legitimate name.
func refuseHost(w http.ResponseWriter) {
	http.Error(w, "421 misdirected request: this console does not answer to that host name; "+
		"an operator can allow it with --allowed-host or console.hosts in feeds.yaml", http.StatusMisdirectedRequest)
}
