package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/export"
	"github.com/civicwatch/civicwatch/internal/store"
)

func (a *archive) label(t *testing.T, url, topic string, relevant bool) {
	t.Helper()
	st, err := store.Open(t.Context(), a.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetLabel(t.Context(), store.Label{StoryID: a.storyID(t, url), Topic: topic, Relevant: relevant}); err != nil {
		t.Fatal(err)
	}
}

func TestLabelsExportFeedsEval(t *testing.T) {
	a := newArchive(t)
	a.label(t, "https://news.example/a", "unions", true)
	a.label(t, "https://news.example/a", "strikes", false)
	a.label(t, "https://news.example/km", "unions", true)
	a.label(t, "https://news.example/football", "strikes", false)
	a.label(t, "https://world.example/eu", "unions", true)

	file := filepath.Join(a.dir, "labels.jsonl")
	code, out, errOut := cli(t, a.env, "labels", "export", "--out", file)
	if code != exitOK || out != "" || !strings.Contains(errOut, "4 labelled stories written to "+file) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, stdout, _ := cli(t, a.env, "labels", "export")
	if stdout != string(data) {
		t.Errorf("stdout and --out differ:\n%s\n%s", stdout, data)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), data)
	}
	byURL := map[string]export.LabelledStory{}
	for _, l := range lines {
		var s export.LabelledStory
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		byURL[s.URL] = s
	}
	km := byURL["https://news.example/km"]
	if km.Expect != "relevant" || strings.Join(km.Topics, ",") != "unions" || strings.Join(km.Tags, ",") != "cambodia" ||
		km.Source != "cam" || km.Published != "2026-11-20" || !strings.Contains(km.Title, kmUnionZW) {
		t.Errorf("Khmer line %+v", km)
	}
	if a := byURL["https://news.example/a"]; a.Expect != "relevant" || strings.Join(a.Topics, ",") != "unions" {
		t.Errorf("a story relevant to one topic and not another: %+v", a)
	}
	if f := byURL["https://news.example/football"]; f.Expect != "not" || len(f.Topics) != 0 {
		t.Errorf("not relevant: %+v", f)
	}
	if eu := byURL["https://world.example/eu"]; eu.Content != "The unions of Europe met." || len(eu.Tags) != 0 {
		t.Errorf("untagged feed with content: %+v", eu)
	}

	// eval scores the export with the same config: the three relevant
	// stories match, the football one is vetoed. Two count as wrong topics:
	// the EU one matches only strikes (its feed lacks the cambodia tag
	// unions needs), and the format has no place for story a's "not
	// relevant to strikes", so its strikes match is one too.
	code, out, errOut = cli(t, a.env, "eval", file)
	if code != exitOK {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	wantIn(t, "eval", out,
		"stories: TP 3  FP 0  FN 0",
		"(3 relevant, 1 not; 0 borderline not scored)",
		"wrong topics: relevant, matched other topics than listed (2)",
		"listed unions; matched strikes",
	)
	if !containsLine(strings.Split(out, "\n"), "unions", "2", "0", "1") {
		t.Errorf("eval: unions should have TP 2, FP 0, FN 1:\n%s", out)
	}
}

func TestLabelsExportNothingAndErrors(t *testing.T) {
	a := newArchive(t)
	code, out, _ := cli(t, a.env, "labels", "export")
	if code != exitOK || out != "" {
		t.Errorf("no labels: exit %d, %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"labels"}, exitUsage, "needs a subcommand: export"},
		{[]string{"labels", "import"}, exitUsage, `unknown labels subcommand "import"`},
		{[]string{"labels", "export", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"labels", "export", "--out", filepath.Join(a.dir, "no-such-dir", "x.jsonl")}, exitFail, "no-such-dir"},
	} {
		code, _, errOut := cli(t, a.env, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	// A failed export leaves the file as it was.
	file := filepath.Join(a.dir, "keep.jsonl")
	os.WriteFile(file, []byte("old\n"), 0o644)
	bad := map[string]string{"CIVICWATCH_CONFIG": a.cfg, "CIVICWATCH_DB": a.dir}
	if code, _, _ := cli(t, bad, "labels", "export", "--out", file); code != exitFail {
		t.Errorf("unusable database: exit %d", code)
	}
	if b, _ := os.ReadFile(file); string(b) != "old\n" {
		t.Errorf("file changed to %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(a.dir, ".keep.jsonl.*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
