package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddFeeds(t *testing.T) {
	path := writeFile(t, writebackFile, 0o640)
	add := []NewFeed{
		{ID: "vod", Name: `VOD "English"`, URL: "https://vodenglish.news/feed/?a=$b", Tags: []string{"cambodia", "en"}},
		{ID: "old", Name: "Old wire", URL: "https://wire.example/rss", Disabled: true},
	}
	backup, err := AddFeeds(path, add, "reader.opml", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	inserted := `    tags: [cambodia]

  # Added from reader.opml by civicwatch feeds import.
  - id: vod
    name: "VOD \"English\""
    url: "https://vodenglish.news/feed/?a=$$b"
    tags: [cambodia, en]
  - id: old
    name: "Old wire"
    url: "https://wire.example/rss"
    enabled: false

lists:`
	want := strings.Replace(writebackFile, "    tags: [cambodia]\n\nlists:", inserted, 1)
	if string(got) != want {
		t.Errorf("file after AddFeeds:\n%s\nwant:\n%s", got, want)
	}
	if b, err := os.ReadFile(backup); err != nil || string(b) != writebackFile {
		t.Errorf("backup %s: %v", backup, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Feeds); n != 3 || cfg.Feeds[1].URL != "https://vodenglish.news/feed/?a=$b" || cfg.Feeds[2].Enabled {
		t.Errorf("loaded feeds: %+v", cfg.Feeds)
	}
}

// TestAddFeedsRefuses: a feed that would make the file invalid writes
// nothing and says why with the line; a file whose feeds are no block list
// is left to the operator.
func TestAddFeedsRefuses(t *testing.T) {
	path := writeFile(t, writebackFile, 0o644)
	_, err := AddFeeds(path, []NewFeed{{ID: "cam", Name: "Again", URL: "https://again.example/feed"}}, "x.opml", nil)
	var problems *Errors
	if !errors.As(err, &problems) || !strings.Contains(err.Error(), "cam") {
		t.Errorf("duplicate id: %v, want the validation errors", err)
	}
	if b, _ := os.ReadFile(path); string(b) != writebackFile {
		t.Error("the file changed although the edit was refused")
	}
	if m, _ := filepath.Glob(path + ".bak-*"); len(m) > 0 {
		t.Errorf("backups left: %v", m)
	}
	flow := writeFile(t, "feeds: [{id: a, url: 'https://a.example/'}]\n", 0o644)
	if _, err := AddFeeds(flow, []NewFeed{{ID: "b", Name: "b", URL: "https://b.example/"}}, "x.opml", nil); err == nil || !strings.Contains(err.Error(), "by hand") {
		t.Errorf("flow list: %v", err)
	}
}

// TestAddFeedsAtTheEnd: feeds: as the last section, without a final line end.
func TestAddFeedsAtTheEnd(t *testing.T) {
	path := writeFile(t, "fetch:\n  interval: 1h\nfeeds:\n    - id: a\n      url: https://a.example/feed", 0o644)
	if _, err := AddFeeds(path, []NewFeed{{ID: "b", Name: "B", URL: "https://b.example/feed"}}, "x.opml", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "fetch:\n  interval: 1h\nfeeds:\n    - id: a\n      url: https://a.example/feed\n\n    # Added from x.opml by civicwatch feeds import.\n    - id: b\n      name: \"B\"\n      url: \"https://b.example/feed\"\n"
	if string(got) != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}
