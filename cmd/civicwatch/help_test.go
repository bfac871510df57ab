package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelpOfEveryCommand walks every command's help, asked for three ways:
// each must print to stdout, exit 0, and carry a description, usage, the
// flags with their defaults, and examples; no page may list a global flag
// the command ignores.
func TestHelpOfEveryCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // help must touch nothing: no config read, no database created
	flagLine := regexp.MustCompile(`(?m)^  (--[a-z-]+)`)
	all := slices.Clone(commands)
	all = append(all, command{name: "feeds import", summary: summaries["feeds import"]}, command{name: "feeds export", summary: summaries["feeds export"]})
	for _, c := range all {
		doc, ok := helpDocs[c.name]
		if !ok {
			t.Errorf("%s has no help page in helpDocs", c.name)
			continue
		}
		forms := [][]string{{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}}
		if sub := strings.Fields(c.name); len(sub) > 1 {
			forms = [][]string{{sub[0], sub[1], "--help"}, {sub[0], sub[1], "-h"}}
		}
		for _, args := range forms {
			code, out, errOut := cli(t, nil, args...)
			what := strings.Join(args, " ")
			if code != exitOK || errOut != "" {
				t.Errorf("%s: exit %d, stderr %q; want 0 and nothing on stderr", what, code, errOut)
				continue
			}
			wantIn(t, what, out, "civicwatch "+c.name+": "+c.summary, "Usage:\n", "Flags:\n", "-h, --help", "Examples:\n  ", "civicwatch "+c.name)
			for _, u := range doc.usage {
				wantIn(t, what, out, "  civicwatch "+u+"\n")
			}
			flags := out[strings.Index(out, "Flags:\n"):strings.Index(out, "Examples:\n")]
			for _, m := range flagLine.FindAllStringSubmatch(flags, -1) {
				name := strings.TrimPrefix(m[1], "--")
				global := name == "config" && c.name != "rules" || name == "db" || name == "log-level"
				if global && !slices.Contains(doc.globals, name) {
					t.Errorf("%s lists %s, which %s does not use", what, m[1], c.name)
				}
			}
			for _, g := range doc.globals {
				if !strings.Contains(flags, "--"+g+" ") {
					t.Errorf("%s does not list --%s, which %s uses", what, g, c.name)
				}
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("help left files behind: %v", entries)
	}
}

// TestHelpSpecifics pins what issue 14 found wrong in the help pages.
func TestHelpSpecifics(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args       []string
		want, nope []string
	}{
		{[]string{"run", "-h"}, []string{"--log-level LEVEL", "log level: debug, info, warn or error (default info)", "--listen ADDR", "(default 127.0.0.1:8080)"}, nil},
		{[]string{"poll", "-h"}, []string{"(default warn)", "--feed ID"}, nil},
		{[]string{"check", "-h"}, []string{"--config PATH"}, []string{"--db", "--log-level"}},
		{[]string{"healthcheck", "-h"}, []string{"--url URL", "(default http://127.0.0.1:8080/healthz)"}, []string{"--db", "--config"}},
		{[]string{"labels", "-h"}, []string{"civicwatch labels export [--out FILE]", "--out FILE"}, nil},
		{[]string{"labels", "export", "--help"}, []string{"--out FILE"}, nil},
		{[]string{"rules", "test", "-h"}, []string{"--config OTHER.yaml", "--since DURATION", "(default 90d)"}, nil},
		{[]string{"search", "--help"}, []string{"Khmer is found however the word was typed", "(default 20)"}, nil},
		{[]string{"help"}, []string{"Commands:", "  search ", "  healthcheck ", "--version"}, nil},
		{nil, []string{"Commands:", "civicwatch help COMMAND"}, nil},
		{[]string{"--help"}, []string{"Commands:"}, nil},
		{[]string{"-h"}, []string{"Commands:"}, nil},
		{[]string{"--version"}, []string{"civicwatch "}, []string{"Commands:"}},
		{[]string{"version"}, []string{"civicwatch "}, nil},
	}
	for _, tt := range tests {
		code, out, errOut := cli(t, nil, tt.args...)
		what := "civicwatch " + strings.Join(tt.args, " ")
		if code != exitOK || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", what, code, errOut)
		}
		wantIn(t, what, out, tt.want...)
		for _, n := range tt.nope {
			if strings.Contains(out, n) {
				t.Errorf("%s shows %q:\n%s", what, n, out)
			}
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("help left files behind: %v", entries)
	}
}

// TestOneErrorPrefix: an error is printed once, after one "civicwatch CMD:"
// prefix, with a pointer to the help on a usage error.
func TestOneErrorPrefix(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"poll", "--no-such-flag"}, exitUsage, "civicwatch poll: flag provided but not defined: -no-such-flag (civicwatch poll --help shows its usage)\n"},
		{[]string{"healthcheck", "--url", "http://127.0.0.1:1/healthz"}, exitFail, "civicwatch healthcheck: Get "},
		{[]string{"help", "frobnicate"}, exitUsage, `civicwatch help: unknown command "frobnicate"`},
		{[]string{"frobnicate"}, exitUsage, `civicwatch: unknown command "frobnicate" (civicwatch help lists the commands)` + "\n"},
		{[]string{"--nope"}, exitUsage, "civicwatch: flag provided but not defined: -nope"},
		{[]string{"labels", "-x"}, exitUsage, `civicwatch labels: unknown labels subcommand "-x"`},
	}
	for _, tt := range tests {
		code, _, errOut := cli(t, map[string]string{"CIVICWATCH_DB": filepath.Join(dir, "cw.db")}, tt.args...)
		if code != tt.code || !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "civicwatch") > 3 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
		if strings.Contains(errOut, "healthcheck: healthcheck") || strings.Contains(errOut, ": usage:") {
			t.Errorf("%v: a repeated prefix: %q", tt.args, errOut)
		}
	}
}
