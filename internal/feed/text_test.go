package feed

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Union leader arrested", "Union leader arrested"},
		{"plain folded", "  Union \t leader\n\narrested  ", "Union leader arrested"},
		{"NBSP folded", "Union\u00a0\u00a0leader\u202farrested\u3000today", "Union leader arrested today"},
		{"entity NBSP folded", "Union&nbsp;&nbsp; leader", "Union leader"},
		{"named entities", "Tom &amp; Jerry &lt;3 &quot;q&quot; &eacute;t&eacute;", "Tom & Jerry <3 \"q\" été"},
		{"numeric entities", "group&#8217;s &#x201C;report&#x201D; &#6016;", "group’s “report” ក"},
		{"double-escaped entity decoded once", "group&amp;#8217;s", "group&#8217;s"},
		{"unknown entity left alone", "AT&T &bogus; R&D", "AT&T &bogus; R&D"},
		{"inline tags glue", "<b>Bold</b>face and <em>it</em>alic", "Boldface and italic"},
		{"paragraphs separate", "<p>One</p><p>Two</p>", "One Two"},
		{"br separates", "One<br>Two<br/>Three<BR />Four", "One Two Three Four"},
		{"list items separate", "<ul><li>a</li><li>b</li></ul>c", "a b c"},
		{"headings and divs", "<h1>Title</h1><div>Body</div><h2>Sub</h2>text", "Title Body Sub text"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b c"},
		{"blockquote and section", "x<blockquote>quoted</blockquote>y<section>s</section><article>a</article>", "x quoted y s a"},
		{"script dropped", "before<script>var x = '<p>hidden</p>';</script>after", "beforeafter"},
		{"script with attributes", `a <script type="text/javascript">alert("x")</script> b`, "a b"},
		{"self-closing script still raw", "a <script/>hidden</script> b", "a b"},
		{"self-closing script swallows the rest", "a <script/>hidden", "a"},
		{"self-closing svg has no content", "a <svg/> b", "a b"},
		{"style dropped", "<style>p { color: red }</style>Visible", "Visible"},
		{"noscript dropped", "<noscript><img src=x>Enable JS</noscript>Text", "Text"},
		{"template dropped", "<template><p>tpl</p></template>Text", "Text"},
		{"iframe dropped", `<iframe src="https://v.example">fallback</iframe>Text`, "Text"},
		{"svg dropped", "<svg><text>Logo</text><g><text>more</text></g></svg>Text", "Text"},
		{"head dropped", "<html><head><title>T</title><style>x</style></head><body>Body</body></html>", "Body"},
		{"unclosed script drops the rest", "Text<script>never closed", "Text"},
		{"comments dropped", "a<!-- secret -->b", "ab"},
		{"attributes not text", `<a href="https://x.example" title="tip">link</a>`, "link"},
		{"img separates", "word<img src=x alt=\"alt text\">word", "word word"},
		{"BOM removed", "\ufeffHello\ufeff world", "Hello world"},
		{"BOM in markup removed", "<p>\ufeffHello</p>", "Hello"},
		{"zero-width space kept", "<p>ចាប់ខ្លួន\u200bមេដឹកនាំ</p>", "ចាប់ខ្លួន\u200bមេដឹកនាំ"},
		{"NFC", "Cafe\u0301 <b>cafe\u0301</b>", "Café café"},
		{"NFC after BOM removal", "e\ufeff\u0301", "é"},
		{"control characters removed", "a\x00b\x07c\u0085d", "abc d"},
		{"invalid UTF-8 replaced", "a\xffb <i>\xfe</i>", "a\uFFFDb \uFFFD"},
		{"lone less-than", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"CDATA-like text", "<p>x</p>\n\n\t<p>  y  </p>", "x y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("HTMLToText(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean", "Hello world", "Hello world"},
		{"markup untouched", "<b> &amp; </b>", "<b> &amp; </b>"},
		{"folded", "\tHello \n world ", "Hello world"},
		{"NFC", "e\u0301", "é"},
		{"khmer", "មេដឹកនាំ\u200bសហជីព", "មេដឹកនាំ\u200bសហជីព"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLToTextCleanInputDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"Union leader arrested", khmerTitle, ""} {
		if n := testing.AllocsPerRun(100, func() { _ = HTMLToText(s) }); n != 0 {
			t.Errorf("HTMLToText(%q) allocates %v times, want 0", s, n)
		}
	}
}

func TestHTMLToTextLarge(t *testing.T) {
	// Larger than the tokenizer's buffer, to cross its refills.
	in := strings.Repeat("<p>word&amp;word</p><script>x</script>", 5000)
	got := HTMLToText(in)
	want := strings.TrimSpace(strings.Repeat("word&word ", 5000))
	if got != want {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
}
