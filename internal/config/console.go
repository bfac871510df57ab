package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Console is how the operator console may be reached beyond the address it
// listens on.
type Console struct {
	// Hosts are the names (a bare name matches any port, name:port only
	// that port) the console answers to besides its listen address and
	// the localhost forms of it: the name a reverse proxy or a LAN
	// client uses. Every other Host header is refused, which is what
	// keeps a DNS-rebinding page from reading the console.
	Hosts []string
	// BaseURL is the console's public address (scheme and host, maybe a
	// path prefix), used for Atom self links; "" derives it from the
	// listen address and Hosts, never from a request.
	BaseURL string
}

type rawConsole struct {
	Hosts   []string `yaml:"hosts"`
	BaseURL string   `yaml:"base_url"`
}

// resolveConsole checks the console section; a file without one gets the
// zero Console.
func resolveConsole(r *rawConsole, p *problems) Console {
	if r == nil {
		return Console{}
	}
	c := Console{BaseURL: strings.TrimRight(strings.TrimSpace(r.BaseURL), "/")}
	for i, h := range r.Hosts {
		field := fmt.Sprintf("console.hosts[%d]", i)
		h = strings.ToLower(strings.TrimSpace(h))
		if msg := CheckHostName(h); msg != "" {
			p.add(field, "%s", msg)
			continue
		}
		c.Hosts = append(c.Hosts, h)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.add("console.base_url", "want an absolute http or https URL such as https://watch.example.org, got %q", r.BaseURL)
		}
	}
	return c
}

// CheckHostName says what is wrong with a console host name as an operator
// wrote it (in console.hosts or --allowed-host), or "" when it is usable:
// a host name or IP address ([…] for IPv6 with a port), optionally with a
// port, and nothing else.
func CheckHostName(h string) string {
	bad := func(why string) string {
		return why + ": want a host name or address, optionally with :port (watch.example.org, 192.168.1.5:8080), got " + strconv.Quote(h)
	}
	if h == "" {
		return bad("empty")
	}
	if strings.ContainsAny(h, "/?#@ \t*") {
		return bad("not a URL or a pattern")
	}
	name, port := h, ""
	if host, p, err := net.SplitHostPort(h); err == nil {
		name, port = host, p
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return bad("bad port")
		}
	} else if strings.Contains(h, ":") && net.ParseIP(strings.Trim(h, "[]")) == nil {
		return bad("bad host")
	}
	if strings.Trim(name, "[]") == "" {
		return bad("empty")
	}
	return ""
}
