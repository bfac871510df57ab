package opml

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/reader.opml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{
		{Title: "CamboJA News", URL: "https://cambojanews.com/feed/", HTMLURL: "https://cambojanews.com/", Categories: []string{"Cambodia"}},
		{Title: "VOD English", URL: "https://vodenglish.news/feed/", Categories: []string{"Cambodia", "en", "labour", "unions"}},
		{Title: "Old wire", URL: "https://wire.example/rss", Categories: []string{"Asia News"}, Disabled: true},
		{Title: "Loose & unfiled", URL: "http://loose.example/atom.xml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseRefuses(t *testing.T) {
	deep := "<opml version=\"2.0\"><body>" + strings.Repeat("<outline text=\"x\">", 40) + strings.Repeat("</outline>", 40) + "</body></opml>"
	for name, c := range map[string]struct{ doc, want string }{
		"not xml":  {"feeds: []", "opml: "},
		"not opml": {`<rss version="2.0"><channel/></rss>`, "not an OPML document"},
		"syntax":   {"<opml version=\"2.0\">\n<body>\n<outline text=\"a\"\n</body></opml>", "opml: line "},
		"too deep": {deep, "nested deeper than 32 levels"},
		"latin1":   {`<?xml version="1.0" encoding="ISO-8859-1"?><opml version="2.0"><body/></opml>`, "only UTF-8 is read"},
	} {
		_, err := Parse(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
}

// TestWriteRoundTrip: what Write writes, Parse reads back the same, and it
// is OPML 2.0.
func TestWriteRoundTrip(t *testing.T) {
	in := []Feed{
		{Title: "CamboJA News", URL: "https://cambojanews.com/feed/", Categories: []string{"cambodia", "en"}, ID: "cambojanews"},
		{Title: `Quotes "&" <angles>`, URL: "https://x.example/feed?a=1&b=2", Disabled: true},
		{Title: "ខ្មែរ", URL: "https://km.example/feed"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, "civicwatch feeds", time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC), in); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<opml version="2.0">`, `<dateCreated>Thu, 26 Nov 2026 07:00:00 +0000</dateCreated>`,
		`category="cambodia,en"`, `isComment="true"`, `type="rss"`, `civicwatchId="cambojanews"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, buf.String())
		}
	}
	out, err := Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

// FuzzParse: an OPML file is outside input; no document may panic the
// parser or make it loop, and what it reads must write back.
func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("testdata/reader.opml")
	f.Add(string(seed))
	f.Add(`<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/" category="/x/y,z"/></body></opml>`)
	f.Add(`<opml><body><outline><outline><outline xmlUrl="x"/></outline></outline></body></opml>`)
	f.Fuzz(func(t *testing.T, doc string) {
		feeds, err := Parse(strings.NewReader(doc))
		if err != nil {
			return
		}
		if err := Write(io.Discard, "fuzz", time.Time{}, feeds); err != nil {
			t.Fatalf("a parsed list does not write: %v", err)
		}
	})
}
