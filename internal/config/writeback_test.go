package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writebackFile has a rule in each style the write-back must find the end
// of, with comments around them.
const writebackFile = `# civicwatch test config
fetch:
  interval: 30m   # how often

feeds:
  # the one feed
  - id: cam
    url: https://cam.example/feed
    tags: [cambodia]

lists:
  eu: ["European Union"]

topics:
  # strikes in Cambodia
  - id: strikes
    rule: strike AND tag:cambodia   # keep it simple
  - id: unions
    name: Unions
    rule: >-   # folded on purpose
      union
        AND NOT @eu

  # quoted
  - id: quoted
    rule: "strike
      OR union"
  - id: single
    rule: 'it''s'
  - id: plain-lines
    rule: strike
      OR union
# the end
`

func writeFile(t *testing.T, text string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feeds.yaml")
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSetTopicRule(t *testing.T) {
	cases := []struct {
		name, topic, rule string
		// want is the file after the edit, given as the lines that change.
		old, new string
	}{
		{
			name: "plain to plain keeps the comment", topic: "strikes", rule: "strike AND (tag:cambodia OR union)",
			old: "    rule: strike AND tag:cambodia   # keep it simple\n",
			new: "    rule: strike AND (tag:cambodia OR union)   # keep it simple\n",
		},
		{
			name: "plain to a block moves the comment to its header", topic: "strikes", rule: "strike\n  AND tag:cambodia",
			old: "    rule: strike AND tag:cambodia   # keep it simple\n",
			new: "    rule: |-   # keep it simple\n      strike\n        AND tag:cambodia\n",
		},
		{
			name: "folded block to a block", topic: "unions", rule: "union\n  AND NOT @eu\n  AND tag:cambodia",
			old: "    rule: >-   # folded on purpose\n      union\n        AND NOT @eu\n",
			new: "    rule: |- # folded on purpose\n      union\n        AND NOT @eu\n        AND tag:cambodia\n",
		},
		{
			name: "folded block to one line", topic: "unions", rule: "@eu",
			old: "    rule: >-   # folded on purpose\n      union\n        AND NOT @eu\n",
			new: "    rule: '@eu' # folded on purpose\n",
		},
		{
			name: "double quotes over two lines", topic: "quoted", rule: "strike",
			old: "    rule: \"strike\n      OR union\"\n",
			new: "    rule: strike\n",
		},
		{
			name: "single quotes with a quote inside", topic: "single", rule: `"it's"`,
			old: "    rule: 'it''s'\n",
			new: "    rule: '\"it''s\"'\n",
		},
		{
			name: "plain over two lines, the last topic", topic: "plain-lines", rule: "union OR strike",
			old: "    rule: strike\n      OR union\n# the end\n",
			new: "    rule: union OR strike\n# the end\n",
		},
		{
			name: "a dollar is kept from env expansion", topic: "strikes", rule: `"$5 wage" OR "${NOT_A_VAR}"`,
			old: "    rule: strike AND tag:cambodia   # keep it simple\n",
			new: "    rule: '\"$$5 wage\" OR \"$${NOT_A_VAR}\"'   # keep it simple\n",
		},
		{
			name: "CRLF from a browser", topic: "strikes", rule: "strike\r\n  OR union",
			old: "    rule: strike AND tag:cambodia   # keep it simple\n",
			new: "    rule: |-   # keep it simple\n      strike\n        OR union\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, writebackFile, 0o640)
			backup, err := SetTopicRule(path, c.topic, c.rule, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if !strings.Contains(writebackFile, c.old) {
				t.Fatalf("bad case: %q is not in the file", c.old)
			}
			if want := strings.Replace(writebackFile, c.old, c.new, 1); string(got) != want {
				t.Errorf("file after the edit:\n%s\nwant:\n%s", got, want)
			}
			cfg, err := Parse(got, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rule := cfg.Topics[topicIndex(cfg.Topics, c.topic)].Rule; rule != strings.ReplaceAll(c.rule, "\r\n", "\n") {
				t.Errorf("rule read back %q, want %q", rule, c.rule)
			}
			checkBackup(t, path, backup, writebackFile)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("mode after the edit: %v, %v; want 0640 kept", fi.Mode(), err)
			}
		})
	}
}

func checkBackup(t *testing.T, path, backup, want string) {
	t.Helper()
	if filepath.Dir(backup) != filepath.Dir(path) || !strings.HasPrefix(filepath.Base(backup), "feeds.yaml.bak-20") {
		t.Errorf("backup at %s, want feeds.yaml.bak-YYYYMMDDTHHMMSS beside %s", backup, path)
	}
	if got, err := os.ReadFile(backup); err != nil || string(got) != want {
		t.Errorf("backup holds %q (%v), want the old file", got, err)
	}
}

func TestSetTopicRuleRefuses(t *testing.T) {
	cases := []struct {
		name, topic, rule string
		want              string // in the error
		is                error
		problems          bool // an *Errors listing the new file's problems
	}{
		{name: "a rule that does not parse", topic: "strikes", rule: "strike AND (union", want: `"(" is not closed`, problems: true},
		{name: "an unknown list", topic: "unions", rule: "union AND @nope", want: "unknown list @nope", problems: true},
		{name: "an empty rule", topic: "unions", rule: "  ", want: "every topic needs a rule", problems: true},
		{name: "a topic id written as a variable", topic: "strikes", rule: "strike", want: "no such topic", is: ErrNoTopic},
		{name: "an unknown topic", topic: "strkes", rule: "strike", want: `no such topic "strkes"`, is: ErrNoTopic},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, writebackFile, 0o644)
			if c.name == "a topic id written as a variable" {
				// A topic id the file only has through a variable is not
				// found by its expanded value: the file text is edited.
				os.WriteFile(path, []byte(strings.Replace(writebackFile, "id: strikes", "id: ${TOPIC}", 1)), 0o644)
			}
			before, _ := os.ReadFile(path)
			_, err := SetTopicRule(path, c.topic, c.rule, func(string) (string, bool) { return "strikes", true })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if var_ := new(*Errors); errors.As(err, var_) != c.problems {
				t.Errorf("error %v: an *Errors = %v, want %v", err, !c.problems, c.problems)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(before) {
				t.Errorf("the file changed:\n%s", after)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("files beside the config: %v, want none (no backup, no temporary file)", entries)
			}
		})
	}
}

func TestSetTopicRuleBackupsAndSymlinks(t *testing.T) {
	path := writeFile(t, writebackFile, 0o644)
	link := filepath.Join(t.TempDir(), "feeds.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	first, err := SetTopicRule(link, "strikes", "strike", nil)
	if err != nil {
		t.Fatal(err)
	}
	afterFirst, _ := os.ReadFile(path)
	second, err := SetTopicRule(link, "strikes", "strike OR walkout", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The file the link names was edited, with its backups beside it; the
	// link is still a link.
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v, %v", fi, err)
	}
	if first == second {
		t.Errorf("two edits in a row share the backup %s", first)
	}
	checkBackup(t, path, first, writebackFile)
	checkBackup(t, path, second, string(afterFirst))
	cfg, err := Load(link)
	if err != nil || cfg.Topics[0].Rule != "strike OR walkout" {
		t.Errorf("after two edits: %v; rule %q", err, cfg.Topics[0].Rule)
	}
}

func TestSetTopicRuleKeepsCRLF(t *testing.T) {
	crlf := strings.ReplaceAll(writebackFile, "\n", "\r\n")
	path := writeFile(t, crlf, 0o644)
	if _, err := SetTopicRule(path, "strikes", "strike\n  OR union", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := strings.Replace(crlf, "    rule: strike AND tag:cambodia   # keep it simple\r\n",
		"    rule: |-   # keep it simple\r\n      strike\r\n        OR union\r\n", 1)
	if string(got) != want {
		t.Errorf("file after the edit:\n%q\nwant:\n%q", got, want)
	}
}

func TestSetTopicRuleOnTheShippedConfig(t *testing.T) {
	shipped, err := os.ReadFile("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, string(shipped), 0o644)
	old, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rule := strings.Replace(old.Topics[1].Rule, "NEAR/20", "NEAR/25", 1)
	if _, err := SetTopicRule(path, old.Topics[1].ID, rule, nil); err != nil {
		t.Fatal(err)
	}
	edited, _ := os.ReadFile(path)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, topic := range cfg.Topics {
		want := old.Topics[i].Rule
		if i == 1 {
			want = rule
		}
		if topic.Rule != want {
			t.Errorf("topic %s: rule %q, want %q", topic.ID, topic.Rule, want)
		}
	}
	// Every comment line of the shipped file is still there, in order.
	var comments []string
	for l := range strings.Lines(string(shipped)) {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			comments = append(comments, l)
		}
	}
	rest := string(edited)
	for _, c := range comments {
		i := strings.Index(rest, c)
		if i < 0 {
			t.Fatalf("comment lost or moved: %q", c)
		}
		rest = rest[i+len(c):]
	}
	if len(cfg.Feeds) != len(old.Feeds) || len(cfg.Lists) != len(old.Lists) {
		t.Errorf("feeds or lists changed: %d/%d feeds, %d/%d lists", len(cfg.Feeds), len(old.Feeds), len(cfg.Lists), len(old.Lists))
	}
}
