package main

import (
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestEachLine(t *testing.T) {
	type got struct {
		N    int
		Line string
		Err  string
	}
	long := strings.Repeat("x", 100)
	big := strings.Repeat("z", 90<<10) // longer than the reader's buffer
	cases := []struct {
		name, in string
		max      int
		want     []got
	}{
		{"plain", "a\nb\n", 64, []got{{1, "a", ""}, {2, "b", ""}}},
		{"no final newline", "a\nb", 64, []got{{1, "a", ""}, {2, "b", ""}}},
		{"CRLF and BOM", "\uFEFFa\r\nb\r\n", 64, []got{{1, "a", ""}, {2, "b", ""}}},
		{"blank lines skipped but counted", "a\n\n  \nb\n", 64, []got{{1, "a", ""}, {4, "b", ""}}},
		{"exactly at the limit", strings.Repeat("y", 64) + "\n", 64, []got{{1, strings.Repeat("y", 64), ""}}},
		{"too long, then more", "a\n" + long + "\nb\n", 64, []got{{1, "a", ""}, {2, "", "line longer than 64 bytes"}, {3, "b", ""}}},
		{"too long at the end", long, 64, []got{{1, "", "line longer than 64 bytes"}}},
		{"empty", "", 64, nil},
		{"longer than a read buffer", big + "\n" + big + big + "\nb", 100 << 10,
			[]got{{1, big, ""}, {2, "", "line longer than 102400 bytes"}, {3, "b", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out []got
			// One byte at a time: lines span many reads.
			err := eachLine(iotest.OneByteReader(strings.NewReader(c.in)), c.max, func(n int, line []byte, lineErr error) error {
				g := got{N: n, Line: string(line)}
				if lineErr != nil {
					g.Err = lineErr.Error()
				}
				out = append(out, g)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Errorf("got %+v, want %+v", out, c.want)
			}
		})
	}
}

// TestInputTextIsReadOnce: a line's text is read as the poller reads a feed
// item's once, when the line is parsed; cutting it to a teaser must not
// read it again, or an escaped entity would be decoded twice and the
// teaser would hold other words than the whole story.
func TestInputTextIsReadOnce(t *testing.T) {
	line := []byte(`{"id":"x","title":"<b>Fees</b>","summary":"<p>Fees &amp;amp; charges</p>"}`)
	whole, err := parseStory(line)
	if err != nil {
		t.Fatal(err)
	}
	if got := whole.story(); got.Title != "Fees" || got.Summary != "Fees &amp; charges" {
		t.Fatalf("read as %q / %q, want the markup gone and the entity decoded once", got.Title, got.Summary)
	}
	short, err := parseStory(line)
	if err != nil {
		t.Fatal(err)
	}
	short.toTeaser(200)
	if got := short.story().Summary; got != whole.story().Summary {
		t.Errorf("teaser %q, want the whole summary %q: it fits", got, whole.story().Summary)
	}
}
