package feed

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	base, err := url.Parse("https://example.org/news/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  string
		base *url.URL
		want string // "" means an error is expected
	}{
		{name: "already canonical", raw: "https://example.org/a/b?x=1", want: "https://example.org/a/b?x=1"},
		{name: "scheme and host case", raw: "HTTPS://WWW.Example.ORG/Path/Case", want: "https://www.example.org/Path/Case"},
		{name: "http default port", raw: "http://example.org:80/a", want: "http://example.org/a"},
		{name: "https default port", raw: "https://example.org:443/a", want: "https://example.org/a"},
		{name: "non-default port kept", raw: "https://example.org:8443/a", want: "https://example.org:8443/a"},
		{name: "port 443 on http kept", raw: "http://example.org:443/a", want: "http://example.org:443/a"},
		{name: "empty port", raw: "http://example.org:/a", want: "http://example.org/a"},
		{name: "IPv6 host", raw: "http://[2001:DB8::1]:80/x", want: "http://[2001:db8::1]/x"},
		{name: "IPv6 host with port", raw: "http://[2001:db8::1]:8080/x", want: "http://[2001:db8::1]:8080/x"},
		{name: "fragment dropped", raw: "https://example.org/a#comments", want: "https://example.org/a"},
		{name: "empty path", raw: "https://example.org", want: "https://example.org/"},
		{name: "empty path with query", raw: "https://example.org?b=1", want: "https://example.org/?b=1"},
		{name: "whitespace trimmed", raw: " \n\thttps://example.org/a \r\n", want: "https://example.org/a"},
		{name: "user info dropped", raw: "https://user:secret@example.org/a", want: "https://example.org/a"},
		{name: "dot segments", raw: "https://example.org/a/./b/../c", want: "https://example.org/a/c"},
		{name: "escaping kept", raw: "https://example.org/a%2Fb/%E1%9E%81?q=%E1%9E%81", want: "https://example.org/a%2Fb/%E1%9E%81?q=%E1%9E%81"},
		{name: "path escapes upper-cased", raw: "https://example.org/km/%e1%9e%80%E1%9e%81/", want: "https://example.org/km/%E1%9E%80%E1%9E%81/"},
		{name: "path raw non-ASCII escaped", raw: "https://example.org/km/ក", want: "https://example.org/km/%E1%9E%80"},
		{name: "query escapes upper-cased", raw: "https://example.org/a?q=caf%c3%a9", want: "https://example.org/a?q=caf%C3%A9"},
		{name: "query space escaped", raw: "https://example.org/a?q=a b", want: "https://example.org/a?q=a%20b"},
		{name: "query raw non-ASCII escaped", raw: "https://example.org/a?q=ខ", want: "https://example.org/a?q=%E1%9E%81"},
		{name: "query stray percent escaped", raw: "https://example.org/a?q=100%&r=%zz", want: "https://example.org/a?q=100%25&r=%25zz"},
		{name: "query plus and reserved kept", raw: "https://example.org/a?q=a+b:c@d/e?f", want: "https://example.org/a?q=a+b:c@d/e?f"},
		{name: "utm params", raw: "https://example.org/a?utm_source=fb&utm_medium=social&utm_campaign=x&id=3", want: "https://example.org/a?id=3"},
		{name: "utm case-insensitive", raw: "https://example.org/a?UTM_Source=x&Id=3", want: "https://example.org/a?Id=3"},
		{
			name: "click ids",
			raw:  "https://example.org/a?fbclid=1&gclid=2&dclid=3&gbraid=4&wbraid=5&msclkid=6&mc_cid=7&mc_eid=8&igshid=9&yclid=10&_ga=11&_gl=12&ocid=13&cmpid=14&p=1",
			want: "https://example.org/a?p=1",
		},
		{name: "click id case-insensitive", raw: "https://example.org/a?FBCLID=1&GcLiD=2", want: "https://example.org/a"},
		{name: "escaped tracking key", raw: "https://example.org/a?utm%5Fsource=x&k=v", want: "https://example.org/a?k=v"},
		{name: "lookalike kept", raw: "https://example.org/a?utmsource=x&fbclid2=y", want: "https://example.org/a?fbclid2=y&utmsource=x"},
		{name: "only tracking: ? dropped", raw: "https://example.org/a?utm_source=x", want: "https://example.org/a"},
		{name: "bare ? dropped", raw: "https://example.org/a?", want: "https://example.org/a"},
		{name: "empty params dropped", raw: "https://example.org/a?&&b=2&&a=1&", want: "https://example.org/a?a=1&b=2"},
		{name: "sorted by key", raw: "https://example.org/a?z=1&m=2&a=3", want: "https://example.org/a?a=3&m=2&z=1"},
		{name: "sort is stable for repeated keys", raw: "https://example.org/a?t=2&b=0&t=1", want: "https://example.org/a?b=0&t=2&t=1"},
		{name: "valueless params", raw: "https://example.org/a?print&amp=1", want: "https://example.org/a?amp=1&print"},
		{name: "root-relative", raw: "/2026/11/story", base: base, want: "https://example.org/2026/11/story"},
		{name: "document-relative", raw: "story-2.html", base: base, want: "https://example.org/news/story-2.html"},
		{name: "parent-relative", raw: "../about", base: base, want: "https://example.org/about"},
		{name: "scheme-relative", raw: "//CDN.example.org/x", base: base, want: "https://cdn.example.org/x"},
		{name: "query-only", raw: "?p=5&utm_source=x", base: base, want: "https://example.org/news/feed.xml?p=5"},
		{name: "absolute ignores base", raw: "http://other.example/x", base: base, want: "http://other.example/x"},
		{name: "relative without base", raw: "/news/1"},
		{name: "empty", raw: ""},
		{name: "empty with base", raw: "", base: base},
		{name: "blank with base", raw: " \t\n", base: base},
		{name: "javascript", raw: "javascript:alert(1)", base: base},
		{name: "javascript upper case", raw: " JavaScript:alert(1)", base: base},
		{name: "data", raw: "data:text/html,<p>x</p>", base: base},
		{name: "mailto", raw: "mailto:press@example.org", base: base},
		{name: "ftp", raw: "ftp://example.org/file"},
		{name: "no host", raw: "http:///path"},
		{name: "opaque", raw: "http:example.org"},
		{name: "bad port", raw: "http://example.org:port/"},
		{name: "colon host", raw: "//::", base: base},
		{name: "IPv6 zone", raw: "http://[fe80::1%25en0]/"},
		{name: "space in host", raw: "http://exa mple.org/"},
		{name: "IDN host to punycode", raw: "https://ПРИМЕР.рф/x", want: "https://xn--e1afmkfd.xn--p1ai/x"},
		{name: "punycode host kept", raw: "https://XN--E1AFMKFD.xn--p1ai/x", want: "https://xn--e1afmkfd.xn--p1ai/x"},
		{name: "invalid IDN", raw: "https://\u0300a.example/"},
		{name: "control character", raw: "http://example.org/\x7f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.raw, tt.base)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("CanonicalURL(%q) = %q, want an error", tt.raw, got)
				}
				if !strings.HasPrefix(err.Error(), "canonical url ") {
					t.Errorf("error %q lacks context", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CanonicalURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			again, err := CanonicalURL(got, nil)
			if err != nil || again != got {
				t.Errorf("not idempotent: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalURLSameArticle(t *testing.T) {
	// One article reached through different channels is one URL.
	variants := []string{
		"https://www.example.org/2026/11/story?id=7&page=2",
		"https://WWW.EXAMPLE.ORG:443/2026/11/story?page=2&id=7#top",
		"https://www.example.org/2026/11/story?utm_source=facebook&page=2&fbclid=IwAR0&id=7",
		"  https://www.example.org/2026/11/./story?page=2&id=7&utm_medium=social  ",
	}
	want, err := CanonicalURL(variants[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants[1:] {
		if got, err := CanonicalURL(v, nil); err != nil || got != want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
}
