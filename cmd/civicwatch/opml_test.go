package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
)

// TestOPMLRoundTripOfTheShippedFeeds exports the shipped feeds as OPML and
// imports them into a config holding one other feed: every shipped feed
// arrives with its URL, name, tags and enabled state; importing again adds
// nothing and leaves the file as it was; importing into the shipped file
// itself adds nothing either.
func TestOPMLRoundTripOfTheShippedFeeds(t *testing.T) {
	dir := t.TempDir()
	shippedText, err := os.ReadFile("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(dir, "shipped.yaml")
	if err := os.WriteFile(shipped, shippedText, 0o644); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(dir, "feeds.opml")
	if code, _, errOut := cli(t, nil, "--config", shipped, "feeds", "export", "--out", exported); code != exitOK {
		t.Fatalf("feeds export: exit %d: %s", code, errOut)
	}

	// Into the shipped file: all duplicates, nothing written.
	code, out, errOut := cli(t, nil, "--config", shipped, "feeds", "import", exported)
	if code != exitOK || !strings.Contains(out, "none added") {
		t.Errorf("import into the shipped file: exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(shipped); string(b) != string(shippedText) {
		t.Error("importing the shipped feeds into themselves changed the file")
	}

	// Into a config with one other feed, and a comment that must survive.
	mine := filepath.Join(dir, "mine.yaml")
	const mineText = "# my own watch\nfeeds:\n  - id: mine   # keep this comment\n    url: https://mine.example/feed\n"
	if err := os.WriteFile(mine, []byte(mineText), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cli(t, nil, "--config", mine, "feeds", "import", exported)
	want, err := config.Load(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if code != exitOK || strings.Count("\n"+out, "\nadded ") != len(want.Feeds) {
		t.Errorf("import: exit %d, want %d feeds added:\n%s%s", code, len(want.Feeds), out, errOut)
	}
	if !strings.Contains(out, "added    cambojanews: CamboJA News (https://cambojanews.com/feed/)") {
		t.Errorf("import does not report what it added:\n%s", out)
	}
	after, _ := os.ReadFile(mine)
	if !strings.HasPrefix(string(after), mineText) {
		t.Errorf("import did not keep the file's text:\n%s", after)
	}
	got, err := config.Load(mine)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Feeds) != len(want.Feeds)+1 {
		t.Fatalf("%d feeds after import, want %d", len(got.Feeds), len(want.Feeds)+1)
	}
	for i, w := range want.Feeds {
		g := got.Feeds[i+1]
		if g.ID != w.ID || g.Name != w.Name || g.URL != w.URL || !reflect.DeepEqual(g.Tags, w.Tags) || g.Enabled != w.Enabled {
			t.Errorf("feed %d after the round trip:\n got %+v\nwant %+v", i, g, w)
		}
	}

	// Twice: nothing more.
	code, out, _ = cli(t, nil, "--config", mine, "feeds", "import", exported)
	if again, _ := os.ReadFile(mine); code != exitOK || string(again) != string(after) || !strings.Contains(out, "none added") {
		t.Errorf("second import: exit %d, file changed: %v\n%s", code, string(again) != string(after), out)
	}
}

func TestFeedsImportMistakes(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{"a": "https://a.example/feed"}, "")
	bad := filepath.Join(dir, "bad.opml")
	os.WriteFile(bad, []byte("<rss/>"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"feeds", "import"}, "takes one OPML file"},
		{[]string{"feeds", "import", bad}, "not an OPML document"},
		{[]string{"feeds", "import", filepath.Join(dir, "nope.opml"), "--tag", "x"}, "nope.opml"},
		{[]string{"feeds", "import", bad, "--tag", "Not A Tag"}, "--tag"},
	} {
		code, _, errOut := cli(t, map[string]string{"CIVICWATCH_CONFIG": cfg}, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
