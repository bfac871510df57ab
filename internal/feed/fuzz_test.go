package feed

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://WWW.Example.ORG:443/a/./b/../c?utm_source=x&z=1&a=2#frag",
		"http://[2001:DB8::1]:80/x?",
		"/news/1", "story-2.html", "//cdn.example.org/x", "?p=1", "#top", "",
		"javascript:alert(1)", "mailto:a@b", "http:opaque", "http://u:p@h:8080/%7e?q=%41&Q=b",
		"https://example.org/a%2fb?k=v+w&k=a;b", "HTTP://XN--80AK6AA92E.COM/", "https://пример.рф/путь",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	base, err := url.Parse("https://example.org/news/feed.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string, withBase bool) {
		b := base
		if !withBase {
			b = nil
		}
		got, err := CanonicalURL(raw, b)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("CanonicalURL(%q) = %q: not http(s)", raw, got)
		}
		if strings.Contains(got, "#") {
			t.Fatalf("CanonicalURL(%q) = %q: fragment kept", raw, got)
		}
		for _, bb := range []*url.URL{nil, base} {
			again, err := CanonicalURL(got, bb)
			if err != nil {
				t.Fatalf("CanonicalURL(%q) = %q, which is refused: %v", raw, got, err)
			}
			if again != got {
				t.Fatalf("not idempotent: %q -> %q -> %q", raw, got, again)
			}
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "  a \t b  ", "<p>One</p><p>Two</p>", "a&nbsp;&amp;&#8217;b", "x<script>y</script>z",
		"<svg><p>no</p></svg>yes", "<!-- c -->d", "<script><!--<script></script>", "e\ufeff\u0301",
		"\xff\xfe<b>\x00</b>", "<textarea><p>t</p></textarea>", "ចាប់ខ្លួន\u200bមេដឹកនាំ", "<p a='>'>q</p>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		checkText(t, s, out)
		if Clean(out) != out {
			t.Fatalf("HTMLToText(%q) = %q is not clean", s, out)
		}
		checkText(t, s, Clean(s))

		// Whatever s holds, wrapped in a script it is not text, unless it
		// closes the script itself.
		if !strings.Contains(strings.ToLower(s), "</script") {
			const marker = "SCRIPTMARKER"
			in := "<p>before</p><script>" + marker + s + "</script>"
			if got := HTMLToText(in); got != "before" {
				t.Fatalf("script content leaked: HTMLToText(%q) = %q", in, got)
			}
		}
	})
}

// checkText asserts the invariants of folded text.
func checkText(t *testing.T, in, out string) {
	t.Helper()
	switch {
	case !utf8.ValidString(out):
		t.Fatalf("(%q) = %q: invalid UTF-8", in, out)
	case strings.Contains(out, "  "):
		t.Fatalf("(%q) = %q: double space", in, out)
	case out != strings.TrimSpace(out):
		t.Fatalf("(%q) = %q: not trimmed", in, out)
	case strings.ContainsAny(out, "\t\n\r\u00a0\ufeff\x00"):
		t.Fatalf("(%q) = %q: unfolded whitespace or control", in, out)
	}
}

func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		f.Add(b, "text/xml; charset=iso-8859-1")
	}
	f.Add([]byte(strings.Repeat("<a>", 200)), "")
	f.Add([]byte("<!DOCTYPE html><html></html>"), "text/html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		orig := bytes.Clone(body)
		feed, err := Parse(body, contentType, "https://example.org/news/feed.xml")
		if !bytes.Equal(body, orig) {
			t.Fatal("Parse modified its input")
		}
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			if it.URL != "" && !strings.HasPrefix(it.URL, "http://") && !strings.HasPrefix(it.URL, "https://") {
				t.Fatalf("item URL %q is not http(s)", it.URL)
			}
			for _, s := range []string{it.Title, it.Summary, it.Content, it.Author} {
				checkText(t, string(body), s)
			}
			if it.Title == "" && it.URL == "" && it.GUID == "" && it.Summary == "" && it.Content == "" {
				t.Fatalf("empty item kept: %+v", it)
			}
		}
	})
}

func FuzzToUTF8(f *testing.F) {
	for _, s := range []string{
		"<rss/>", "\xEF\xBB\xBF<?xml encoding='latin1'?>\xe9", `<?xml version="1.0" encoding="windows-1252"?>` + "\x93",
		"\xFF\xFE<\x00a\x00", "\xFE\xFF\x00<", "<\x00?\x00x\x00", `<?xml encoding="utf-16"?>`, "caf\xe9",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "text/xml; charset=utf-8")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, err := ToUTF8(body, contentType)
		if err != nil {
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("ToUTF8(%q, %q) = %q: invalid UTF-8", body, contentType, out)
		}
		// Decoded output is UTF-8 declared as such (or not at all), so a
		// second pass must leave it alone. NULs can fake a UTF-16 prefix.
		if bytes.IndexByte(out, 0) < 0 {
			again, err := ToUTF8(out, "")
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("second pass changed %q to %q (%v)", out, again, err)
			}
		}
	})
}

func FuzzCheckDepth(f *testing.F) {
	for _, s := range []string{"<a><b/></a>", "[[]]", `{"a":"\"["}`, "<!DOCTYPE [<!-- ] -->]><a>", "<a x='>'>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Depth is monotonic in the limit: what passes at n passes above n.
		if CheckDepth(body, 3) == nil && CheckDepth(body, 4) != nil {
			t.Fatalf("CheckDepth(%q) passes at 3, fails at 4", body)
		}
	})
}
