package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const suggestTopics = `lists:
  union: [union, unions, សហជីព]
  place: [Cambodia, Cambodian*, Phnom Penh, កម្ពុជា]
topics:
  - id: unions
    rule: '@union AND NOT football AND (@place OR tag:cambodia)'
  - id: strikes
    rule: strike AND tag:cambodia
`

// suggestFixture: three Khmer strike stories the unions rule misses, which
// share one word the negatives lack, កូដកម្ម (strike); two credit-union
// stories it wrongly catches, which share "credit".
const suggestFixture = `{"id":"k1","title":"កម្មករ​រោងចក្រ​ធ្វើ​កូដកម្ម","summary":"កម្មករ​ជាង​៥០០​នាក់​បាន​ចូលរួម​កូដកម្ម​នៅ​ខេត្ត​កណ្ដាល។","tags":["cambodia"],"expect":"relevant","topics":["unions"]}
{"id":"k2","title":"កូដកម្ម​នៅ​រោងចក្រ​កាត់ដេរ","summary":"កម្មករ​ទាមទារ​ប្រាក់​ឈ្នួល។","tags":["cambodia"],"expect":"relevant","topics":["unions"]}
{"id":"k3","title":"បុគ្គលិក​កាស៊ីណូ​បន្ត​កូដកម្ម","summary":"ពួកគេ​ទាមទារ​ឱ្យ​ដាក់​ឱ្យ​ធ្វើការ​វិញ។","tags":["cambodia"],"expect":"relevant","topics":["unions"]}
{"id":"p1","title":"Union leader arrested in Phnom Penh","summary":"Police arrested the union leader.","tags":["cambodia"],"expect":"relevant","topics":["unions"]}
{"id":"p2","title":"សហជីព​ដាក់​ញត្តិ","summary":"មេដឹកនាំ​សហជីព​នៅ​ភ្នំពេញ។","tags":["cambodia"],"expect":"relevant","topics":["unions"]}
{"id":"n1","title":"រោងចក្រ​ថ្មី​បើក​នៅ​ខេត្ត​កណ្ដាល","summary":"កម្មករ​ជាង​៥០០​នាក់​នឹង​ធ្វើការ​នៅ​ទីនោះ។","tags":["cambodia"],"expect":"not","topics":[]}
{"id":"n2","title":"កាស៊ីណូ​ថ្មី​នៅ​ក្រុង​ព្រះសីហនុ","summary":"បុគ្គលិក​ត្រូវ​បាន​ជ្រើសរើស​និង​ទាមទារ​ឯកសារ។","tags":["cambodia"],"expect":"not","topics":[]}
{"id":"n3","title":"កូដកម្ម​នៅ​ប្រទេស​ថៃ","summary":"កម្មករ​ថៃ​ទាមទារ​ប្រាក់​ឈ្នួល។","tags":[],"expect":"not","topics":[]}
{"id":"f1","title":"Credit union opens branch in Phnom Penh","summary":"The credit union offers loans.","tags":["cambodia"],"expect":"not","topics":[]}
{"id":"f2","title":"Cambodian credit unions report growth","summary":"Savings grew at credit unions.","tags":[],"expect":"not","topics":[]}
`

func TestRulesSuggest(t *testing.T) {
	env, dir, base := rulesArchive(t)
	env["CIVICWATCH_CONFIG"] = matchConfig(t, dir, base, suggestTopics)
	file := labelledFile(t, dir, suggestFixture)
	code, out, errOut := cli(t, env, "rules", "suggest", file, "--topic", "unions")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantIn(t, "suggest", out,
		"unions: 5 relevant, 5 not relevant labelled; TP 2  FP 2  FN 3  precision 0.50  recall 0.40\n",
		"  missed: k1, k2, k3\n  wrongly caught: f1, f2\n",
		"  terms to add:\n    1. កូដកម្ម",
		"+3 relevant, +0 not relevant  precision 0.50 → 0.71  recall 0.40 → 1.00  archive 1 → 1 of 4\n         gains: k1, k2, k3\n",
		"    as in: (@union OR កូដកម្ម) AND NOT football AND (@place OR tag:cambodia)\n",
		"  NOT terms:\n    1. credit                   −2 not relevant, −0 relevant  precision 0.50 → 1.00  recall 0.40 → 0.40  archive 1 → 1 of 4\n         drops: f1, f2\n",
	)
	if strings.Contains(out, "strikes:") || strings.Contains(out, "no archive") {
		t.Errorf("--topic unions, with an archive:\n%s", out)
	}

	// Without a database the labelled file alone speaks; every topic.
	env["CIVICWATCH_DB"] = filepath.Join(dir, "none.db")
	code, out, _ = cli(t, env, "rules", "suggest", file)
	wantIn(t, "no archive", out, "strikes: 0 relevant, 10 not relevant labelled; TP 0  FP 0  FN 0  precision -  recall -",
		"none: no relevant story is missed", "(no archive at ")
	if _, err := os.Stat(env["CIVICWATCH_DB"]); code != exitOK || err == nil {
		t.Errorf("exit %d; a database was created: %v", code, err)
	}
}

func TestRulesSuggestUsage(t *testing.T) {
	env, dir, base := rulesArchive(t)
	env["CIVICWATCH_CONFIG"] = matchConfig(t, dir, base, suggestTopics)
	file := filepath.Join(dir, "labelled.jsonl")
	os.WriteFile(file, []byte(suggestFixture), 0o644)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{not json\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "suggest"}, "takes one labelled file"},
		{[]string{"rules", "suggest", file, "--topic", "nope"}, `no topic "nope"`},
		{[]string{"rules", "suggest", bad}, "could not be read"},
		{[]string{"rules", "suggest", filepath.Join(dir, "missing.jsonl")}, "no such file"},
	} {
		if code, _, errOut := cli(t, env, c.args...); code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestRulesSuggestTeaser reads the labelled stories as teasers, as eval
// --teaser does: a story whose union is named only past its headline is a
// miss there, and the counts and suggestions start from that.
func TestRulesSuggestTeaser(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"CIVICWATCH_CONFIG": matchConfig(t, dir, "http://127.0.0.1:1", "topics:\n  - id: unions\n    rule: union\n"),
		"CIVICWATCH_DB":     filepath.Join(dir, "none.db"),
	}
	rows := `{"id":"r1","title":"Factory news","summary":"Police arrested the union leader at the gate.","expect":"relevant","topics":["unions"]}
{"id":"r2","title":"Union strike spreads","summary":"Workers walked out.","expect":"relevant","topics":["unions"]}
{"id":"n1","title":"Bank results","summary":"Profits rose.","expect":"not","topics":[]}
`
	file := labelledFile(t, dir, rows)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "suggest", file}, "TP 2  FP 0  FN 0"},
		{[]string{"rules", "suggest", file, "--teaser", "5"}, "TP 1  FP 0  FN 1"},
	} {
		if out := cliOK(t, env, c.args...); !strings.Contains(out, c.want) {
			t.Errorf("%v: want %q in\n%s", c.args, c.want, out)
		}
	}
	if code, _, errOut := cli(t, env, "rules", "suggest", file, "--teaser", "-1"); code != exitUsage || !strings.Contains(errOut, "--teaser -1") {
		t.Errorf("--teaser -1: exit %d, stderr %s", code, errOut)
	}
}
