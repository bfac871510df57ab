package feed

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckDepth(t *testing.T) {
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name    string
		in      string
		max     int
		tooDeep bool
	}{
		{name: "empty", in: "", max: 1},
		{name: "flat XML", in: "<a></a><b/><c></c>", max: 1},
		{name: "XML at the limit", in: nest("<a>", "</a>", 5), max: 5},
		{name: "XML over the limit", in: nest("<a>", "</a>", 6), max: 5, tooDeep: true},
		{name: "self-closing tags do not nest", in: "<a>" + strings.Repeat("<b/><c x='1' />", 50) + "</a>", max: 1},
		{name: "siblings do not add up", in: "<r>" + strings.Repeat("<i><t>x</t></i>", 100) + "</r>", max: 3},
		{name: "prefixed names", in: "<rdf:RDF><item><dc:date>x</dc:date></item></rdf:RDF>", max: 3},
		{name: "comment not counted", in: "<a><!-- <b><c><d><e> --></a>", max: 1},
		{name: "comment with tag-like dashes", in: "<a><!-- -> <b> - --></a>", max: 1},
		{name: "CDATA not counted", in: "<a><![CDATA[<p><p><p><p>]]></a>", max: 1},
		{name: "CDATA with brackets", in: "<a><![CDATA[ ]] > <b><c> ]]></a>", max: 1},
		{name: "processing instruction", in: `<?xml version="1.0"?><?xml-stylesheet href="<a><b><c>"?><a/>`, max: 1},
		{
			name: "DOCTYPE with internal subset",
			in:   `<!DOCTYPE rss [ <!ENTITY x "<a><b>"> <!-- ] > --> <!ELEMENT rss ANY> ]><rss><c/></rss>`,
			max:  1,
		},
		{name: "quoted attribute with > and /", in: `<a title="x > <b> <c>/" other='/>'><d></d></a>`, max: 2},
		{name: "quoted attribute hides nesting", in: `<a t="<b><c><d>"></a>`, max: 1},
		{name: "lone < in text", in: "<a>1 < 2 <= 3 <3</a>", max: 1},
		{name: "unclosed void tags closed by parent", in: strings.Repeat("<p>text<br>more<br>x</p>", 100), max: 3},
		{name: "stray end tags", in: "</x></y><a><b></b></a>", max: 2},
		{name: "unclosed tags accumulate", in: strings.Repeat("<div>", 10), max: 9, tooDeep: true},
		{name: "JSON flat", in: `{"a":[1,2,{"b":3}]}`, max: 3},
		{name: "JSON at the limit", in: nest("[", "]", 4), max: 4},
		{name: "JSON over the limit", in: nest("[", "]", 5), max: 4, tooDeep: true},
		{name: "JSON objects", in: `{"a":{"b":{"c":{}}}}`, max: 3, tooDeep: true},
		{name: "JSON brackets in strings", in: `{"a":"[[[[{{{{","b":"\"[[[["}`, max: 1},
		{name: "JSON escaped backslash before quote", in: `{"a":"x\\","b":[[1]]}`, max: 3},
		{name: "JSON escaped backslash ends string", in: `{"a":"x\\"}` + "[[[", max: 2, tooDeep: true},
		{name: "JSON after whitespace and BOM", in: "\xEF\xBB\xBF \n[[[[", max: 3, tooDeep: true},
		{name: "JSON unterminated string", in: `["abc`, max: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDepth([]byte(tt.in), tt.max)
			if tt.tooDeep {
				if !errors.Is(err, ErrTooDeep) {
					t.Fatalf("CheckDepth = %v, want ErrTooDeep", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckDepth = %v, want nil", err)
			}
		})
	}
}

func TestCheckDepthHostile(t *testing.T) {
	// A megabyte of nesting must be refused fast and without recursion.
	tests := []struct {
		name string
		in   string
	}{
		{"100k nested XML elements", strings.Repeat("<a>", 100_000)},
		{"100k nested XML elements with attributes", strings.Repeat(`<a b="c">`, 100_000)},
		{"1M JSON arrays", strings.Repeat("[", 1_000_000)},
		{"1M JSON objects", `{"version":1,"items":` + strings.Repeat(`{"a":`, 200_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := CheckDepth([]byte(tt.in), MaxDepth)
			if !errors.Is(err, ErrTooDeep) {
				t.Fatalf("CheckDepth = %v, want ErrTooDeep", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestCheckDepthWholeDocumentUnderLimit(t *testing.T) {
	// Wide, shallow input scanned in full: linear, not quadratic.
	in := []byte(strings.Repeat(`<item><title a="1">x</title><!-- c --><![CDATA[d]]></item>`, 50_000))
	start := time.Now()
	if err := CheckDepth(in, MaxDepth); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v for %d bytes", d, len(in))
	}
}

func TestCheckDepthFixtures(t *testing.T) {
	for _, name := range []string{"rss2.xml", "atom.xml", "rdf.xml", "feed.json", "khmer.xml", "malformed.xml"} {
		t.Run(name, func(t *testing.T) {
			if err := CheckDepth(readFixture(t, name), 8); err != nil {
				t.Fatalf("real feeds are shallow: %v", err)
			}
		})
	}
}
