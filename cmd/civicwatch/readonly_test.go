package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadOnlyCommandsCreateNoDatabase: pointed at a database that does not
// exist, every command that only reads fails, names the path and --db, and
// leaves the directory as it was.
func TestReadOnlyCommandsCreateNoDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("feeds.yaml", []byte("feeds:\n  - id: a\n    url: https://a.example/feed\ntopics:\n  - id: unions\n    rule: union\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"search", "union"},
		{"explain", "1"},
		{"feeds"},
		{"digests"},
		{"labels", "export"},
		{"rules", "test", "--rule", "union"},
		{"--db", filepath.Join(dir, "elsewhere.db"), "search", "union"},
	} {
		code, out, errOut := cli(t, nil, args...)
		db := "./civicwatch.db"
		if args[0] == "--db" {
			db = args[1]
		}
		if code == exitOK || !strings.Contains(errOut, "no database at "+db) || !strings.Contains(errOut, "--db") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a failure naming %s and --db", args, code, out, errOut, db)
		}
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"feeds.yaml"}) {
			t.Fatalf("%v left %v in the directory", args, names)
		}
	}
}
