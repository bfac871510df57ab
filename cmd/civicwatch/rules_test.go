package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rulesArchive polls four stories into a fresh database under testTopics:
// two from the Cambodia-tagged feed, two from the global one.
func rulesArchive(t *testing.T) (env map[string]string, dir, base string) {
	t.Helper()
	items := map[string]string{
		"/cam": `<item><guid>c1</guid><title>Garment workers strike</title><link>https://cam.example/1</link></item>` +
			`<item><guid>c2</guid><title>Union leader arrested</title><link>https://cam.example/2</link></item>`,
		"/world": `<item><guid>w1</guid><title>Dock workers strike</title><link>https://world.example/1</link></item>` +
			`<item><guid>w2</guid><title>European Union and union talks</title><link>https://world.example/2</link></item>`,
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title>%s</channel></rss>`, items[r.URL.Path])
	}))
	t.Cleanup(ts.Close)
	dir = t.TempDir()
	env = map[string]string{"CIVICWATCH_CONFIG": matchConfig(t, dir, ts.URL, testTopics), "CIVICWATCH_DB": filepath.Join(dir, "cw.db")}
	if code, _, errOut := cli(t, env, "poll"); code != exitOK {
		t.Fatalf("poll: exit %d: %s", code, errOut)
	}
	return env, dir, ts.URL
}

func TestRulesTest(t *testing.T) {
	env, dir, base := rulesArchive(t)
	// The other config tags the global feed cambodia, drops unions and
	// adds arrests.
	otherDir := filepath.Join(dir, "other")
	os.Mkdir(otherDir, 0o755)
	other := matchConfig(t, otherDir, base, "topics:\n  - id: strikes\n    rule: strike AND tag:cambodia\n  - id: arrests\n    rule: arrest*\n")
	os.WriteFile(other, []byte(strings.Replace(mustRead(t, other), "tags: [global]", "tags: [cambodia]", 1)), 0o644)
	since90 := time.Now().UTC().Add(-90 * 24 * time.Hour).Format("2006-01-02")

	cases := []struct {
		name    string
		args    []string
		want    [][]string // lines holding these words, in order
		notWant []string
	}{
		{
			name: "a widened rule gains the global outlet's strike",
			args: []string{"rules", "test", "--topic", "strikes", "--rule", "strike"},
			want: [][]string{
				{"strikes: 1 → 2 stories (+1 gained, −0 lost) over 4 stories since " + since90},
				{"gained (1):"}, {"Dock workers strike", "[world]"}, {"strike (title)"},
			},
			notWant: []string{"lost (", "Garment"},
		},
		{
			name: "a NOT loses a story and says so",
			args: []string{"rules", "test", "--topic", "unions", "--rule", "union AND NOT @eu AND NOT arrested", "--since", "1d"},
			want: [][]string{
				{"unions: 1 → 0 stories (+0 gained, −1 lost) over 4 stories since"},
				{"lost (1):"}, {"Union leader arrested", "[cam]"}, {"union (title); vetoed by NOT arrested"},
			},
			notWant: []string{"gained ("},
		},
		{
			name: "a rule of no topic, over the whole archive",
			args: []string{"rules", "test", "--rule", "arrest* OR talks", "--all"},
			want: [][]string{
				{"rule: 0 → 2 stories (+2 gained, −0 lost) over 4 stories in the whole archive"},
				{"European Union and union talks"}, {"talks (title)"}, {"Union leader arrested"}, {"arrest* (title)"},
			},
		},
		{
			name: "another config, topic by topic",
			args: []string{"rules", "test", "--config", other},
			want: [][]string{
				{"strikes: 1 → 2 stories (+1 gained, −0 lost)"}, {"Dock workers strike"},
				{"arrests (not in " + env["CIVICWATCH_CONFIG"] + "): 0 → 1 stories (+1 gained, −0 lost)"},
				{"unions (not in " + other + "): 1 → 0 stories (+0 gained, −1 lost)"}, {"Union leader arrested", "[cam]"},
			},
		},
		{
			name:    "another config, one topic",
			args:    []string{"rules", "test", "--config", other, "--topic", "arrests"},
			want:    [][]string{{"arrests (not in"}, {"Union leader arrested"}},
			notWant: []string{"strikes", "unions"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, env, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			t.Log("\n" + out)
			lines := strings.Split(out, "\n")
			for _, w := range c.want {
				if !containsFields(lines, w...) {
					t.Errorf("output lacks a line with %q", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
		})
	}

	// The global --config before the command name is the current config;
	// the one after it is the other.
	noEnv := map[string]string{"CIVICWATCH_DB": env["CIVICWATCH_DB"]}
	code, out, errOut := cli(t, noEnv, "--config", other, "rules", "test", "--config", env["CIVICWATCH_CONFIG"], "--topic", "unions")
	if code != exitOK || !strings.Contains(out, "unions (not in "+other+"): 0 → 1 stories (+1 gained, −0 lost)") {
		t.Errorf("global --config then rules test --config: exit %d\n%s%s", code, out, errOut)
	}
}

func TestRulesTestMistakes(t *testing.T) {
	env, dir, _ := rulesArchive(t)
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no subcommand", []string{"rules"}, "rules needs a subcommand"},
		{"another subcommand", []string{"rules", "save"}, "rules needs a subcommand"},
		{"neither --rule nor --config", []string{"rules", "test", "--topic", "strikes"}, "give either --rule or --config, not both or neither"},
		{"both", []string{"rules", "test", "--rule", "strike", "--config", "x.yaml"}, "not both or neither"},
		{"unknown topic", []string{"rules", "test", "--topic", "strkes", "--rule", "strike"}, `--topic: no such topic "strkes"`},
		{"bad rule", []string{"rules", "test", "--topic", "strikes", "--rule", "strike AND (union"}, `--rule: column 12: "(" is not closed`},
		{"bad rule, second line", []string{"rules", "test", "--rule", "strike\nAND @nope"}, "--rule: line 2, column 5: unknown list @nope"},
		{"--all and --since", []string{"rules", "test", "--rule", "strike", "--all", "--since", "2d"}, "exclude each other"},
		{"bad period", []string{"rules", "test", "--rule", "strike", "--since", "soon"}, "invalid duration"},
		{"missing other config", []string{"rules", "test", "--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"other config, unknown topic", []string{"rules", "test", "--config", env["CIVICWATCH_CONFIG"], "--topic", "nope"}, "--topic nope: neither"},
		{"stray argument", []string{"rules", "test", "--rule", "strike", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, env, c.args...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, exitUsage, c.want)
			}
		})
	}
	// Help goes to stdout (issue 14; it was stderr).
	if code, out, _ := cli(t, env, "rules", "test", "--help"); code != exitOK || !strings.Contains(out, "--config OTHER.yaml") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 4210: "4,210", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
