package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/civicwatch/civicwatch/internal/config"
)

// TestStoryExplainTellsTheTruth: the story page marks only the hits that
// counted; a hit cut out by EXCEPT or turned away by NOT is listed apart as
// vetoed with its clause, the trap's own hits as traps, and a topic that
// does not match says what it lacked.
func TestStoryExplainTellsTheTruth(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "feeds.yaml")
	rules := strings.Replace(fixtureConfig, `topics:
  - id: unions
    name: Unions
    rule: '@union AND (arrest* OR strike* OR ចាប់ខ្លួន) AND NOT football'`, `topics:
  - id: unions
    name: Unions
    rule: '(union EXCEPT "trade union") NEAR/3 (arrest* OR strike*) AND NOT football'
  - id: near
    name: Close
    rule: 'union NEAR/1 arrest*'`, 1)
	if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg

	section := func(body, id string) string {
		_, s, _ := strings.Cut(body, `id="topic-`+id+`"`)
		s, _, _ = strings.Cut(s, "</section>")
		return s
	}
	marks := regexp.MustCompile(`<mark>([^<]*)</mark>`)
	marked := func(s string) []string {
		var out []string
		for _, m := range marks.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}

	_, body := f.get("/stories/" + itoa(f.ids["Union leader arrested in Phnom Penh"]))
	unions := section(body, "unions")
	wantIn(t, "unions", unions, `<span class="verdict">matches</span>`, `Why: <code>union</code>, <code>arrest*</code>`,
		`<tr class="vetoed"><td><code>union</code></td><td>content</td><td>union</td><td>vetoed by (union EXCEPT &#34;trade union&#34;)</td></tr>`,
		`<tr class="trap"><td><code>trade union</code></td><td>content</td><td>trade union</td><td>trap, of (union EXCEPT &#34;trade union&#34;)</td></tr>`)
	// Only reasons are marked: the union of "trade union" is not.
	if got := strings.Join(marked(unions), "|"); got != "Union|arrest|arrest|union|arrest|union" {
		t.Errorf("marked %q, want only the counted union and arrest hits", got)
	}
	if strings.Contains(unions, "<mark>trade") || strings.Contains(unions, "trade <mark>") {
		t.Errorf("the vetoed hit is marked as a reason:\n%s", unions)
	}
	near := section(body, "near")
	wantIn(t, "near", near, `<span class="verdict">does not match</span>`,
		`Does not match: union NEAR/1 arrest*: both sides found, but not within 1 word in one field.`,
		`<tr class="unmet"><td><code>union</code></td><td>title</td><td>Union</td><td>not counted: union NEAR/1 arrest* not met</td></tr>`)
	if m := marked(near); len(m) != 0 || strings.Contains(near, `class="hits"`) {
		t.Errorf("a topic that did not match shows reasons: marked %q\n%s", m, near)
	}

	// A NOT that fired: its hit is the trap, the others vetoed; none marked.
	_, body = f.get("/stories/" + itoa(f.ids["Football union strike ends"]))
	unions = section(body, "unions")
	wantIn(t, "football", unions, `<span class="verdict">vetoed</span>`, `Vetoed by <code>NOT football</code>`,
		`<tr class="trap"><td><code>football</code></td><td>title</td><td>Football</td><td>trap, of NOT football</td></tr>`,
		`<tr class="vetoed"><td><code>union</code></td><td>title</td><td>union</td><td>vetoed by NOT football</td></tr>`,
		`<tr class="vetoed"><td><code>strike*</code></td><td>title</td><td>strike</td><td>vetoed by NOT football</td></tr>`)
	if m := marked(unions); len(m) != 0 {
		t.Errorf("vetoed topic marks %q", m)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func wantIn(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}
