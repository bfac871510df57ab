package export

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/mmcdole/gofeed"
)

// FuzzAtom: whatever feeds put in a story, the document is well-formed XML
// that gofeed reads as Atom with the one entry.
func FuzzAtom(f *testing.F) {
	f.Add("<script>alert(1)</script>", "a\x00b\x0Bc", "javascript:alert(1)", "feed\uFFFE", "union*")
	f.Add("]]>&amp;", "\u202Eevil", "https://x.example/?a=1&b=<2>", "", "\xff")
	f.Fuzz(func(t *testing.T, title, summary, link, feedName, term string) {
		s := stories()[:1]
		s[0].Title, s[0].Summary, s[0].URL = title, summary, link
		s[0].Matches[0].Hits[0].Term = term
		var b bytes.Buffer
		if err := Atom(&b, AtomFeed{ID: FeedID("x"), Title: feedName, Self: link,
			FeedNames: map[string]string{"cambojanews": feedName}}, s); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, b.Bytes())
			}
		}
		parsed, err := gofeed.NewParser().ParseString(b.String())
		if err != nil || parsed.FeedType != "atom" || len(parsed.Items) != 1 || parsed.Items[0].GUID != EntryID(&s[0].Story) {
			t.Fatalf("parsed %+v, %v", parsed, err)
		}
	})
}
