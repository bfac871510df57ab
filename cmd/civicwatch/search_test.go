package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	a := newArchive(t)
	idA := a.storyID(t, "https://news.example/a")
	idEU := a.storyID(t, "https://world.example/eu")
	code, out, errOut := cli(t, a.env, "search", "UNION")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Both stories were first seen in the same poll: the higher id first.
	want := fmt.Sprintf("%d  ", max(idA, idEU))
	if !strings.HasPrefix(out, want) {
		t.Errorf("output does not start with the newest story %q:\n%s", want, out)
	}
	wantIn(t, "output", out,
		fmt.Sprintf("%d  20", idA), "  cam  [strikes, unions]\n  Union leader arrested\n  Police arrested the »union« leader at dawn",
		fmt.Sprintf("%d  20", idEU), "  world  [strikes]\n  Unions in Europe\n  The »union«s of Europe met.",
		"2 stories\n",
	)

	// Every word must occur; each is marked.
	_, out, _ = cli(t, a.env, "search", "strike", "police")
	if !strings.Contains(out, "»Police« arrested the union leader at dawn, a »strike« was called.") || !strings.Contains(out, "1 story\n") {
		t.Errorf("two words:\n%s", out)
	}
	_, out, _ = cli(t, a.env, "search", "--limit", "1", "union")
	if strings.Count(out, "\n  ") != 3 || !strings.Contains(out, "1 story") { // title, snippet, published (issue 14)
		t.Errorf("--limit 1:\n%s", out)
	}
	_, out, _ = cli(t, a.env, "search", "nothing-like-this")
	if out != "no stories found\n" {
		t.Errorf("no hit: %q", out)
	}
}

func TestSearchKhmer(t *testing.T) {
	a := newArchive(t)
	id := a.storyID(t, "https://news.example/km")
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		// As stored, with the zero-width space inside the word: found, the
		// whole word marked.
		{"word as stored", kmUnionZW, []string{fmt.Sprintf("%d  ", id), "  cam  [unions]", "ប្រធាន»" + kmUnionZW + "«ត្រូវបាន", "1 story"}},
		// A part on one side of the break: found.
		{"part of the word", "ជីព", []string{fmt.Sprintf("%d  ", id), "ប្រធានសហ\u200B»ជីព«ត្រូវបាន"}},
		// Another Khmer word of the same text, without a break.
		{"another word", kmArrested, []string{fmt.Sprintf("%d  ", id), "ត្រូវបាន»" + kmArrested + "«"}},
		// Typed without the zero-width space that the stored word has
		// inside: found all the same, the stored word marked.
		{"word typed without the break", kmUnion, []string{fmt.Sprintf("%d  ", id), "ប្រធាន»" + kmUnionZW + "«ត្រូវបាន", "1 story"}},
	} {
		code, out, errOut := cli(t, a.env, "search", tc.query)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.name, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
	_, help, _ := cli(t, a.env, "search", "-h") // on stdout since issue 14
	if !strings.Contains(help, "spaces (U+200B and kin)") || !strings.Contains(help, "a syllable's parts match") ||
		!strings.Contains(help, "Only ASCII letters match whatever their\ncase") {
		t.Errorf("help does not state the limitations:\n%s", help)
	}
}

func TestSearchJSONAndErrors(t *testing.T) {
	a := newArchive(t)
	code, out, _ := cli(t, a.env, "search", "--json", "Лидер")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var hit searchHit
	if err := json.Unmarshal([]byte(out), &hit); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if hit.Title != "ПРОФСОЮЗ and the ministry" || hit.Snippet != "»Лидер« профсоюза задержан." || len(hit.Topics) != 0 ||
		len(hit.Feeds) != 1 || hit.URL != "https://news.example/cyr" {
		t.Errorf("hit %+v", hit)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search"}, exitUsage, "at least one word"},
		{[]string{"search", "%_"}, exitUsage, "at least one word"},
		{[]string{"search", "--limit", "0", "union"}, exitUsage, "--limit"},
	} {
		code, _, errOut := cli(t, a.env, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut)
		}
	}
	bad := map[string]string{"CIVICWATCH_CONFIG": a.cfg, "CIVICWATCH_DB": a.dir} // a directory
	if code, _, _ := cli(t, bad, "search", "union"); code != exitFail {
		t.Errorf("unusable database: exit %d, want %d", code, exitFail)
	}
}

// TestSearchLimits: past 32 words or 512 bytes, search exits 2 with a
// message naming the limit; at the limits it runs.
func TestSearchLimits(t *testing.T) {
	a := newArchive(t)
	words := strings.Fields(strings.Repeat("union ", 33))
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"33 words", words, exitUsage},
		{"2,000 words", strings.Fields(strings.Repeat("w ", 2000)), exitUsage},
		{"513 bytes", []string{strings.Repeat("u", 513)}, exitUsage},
		{"32 words", words[:32], exitOK},
		{"512 bytes", []string{strings.Repeat("u", 512)}, exitOK},
	} {
		code, _, errOut := cli(t, a.env, append([]string{"search"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %s", tc.name, code, tc.code, errOut)
		}
		if tc.code == exitUsage && !strings.Contains(errOut, "too long") {
			t.Errorf("%s: stderr %q does not say the query is too long", tc.name, errOut)
		}
	}
}
