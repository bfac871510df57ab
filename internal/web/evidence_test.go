package web

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

const (
	arrestTitle = "Union leader arrested in Phnom Penh"
	moiTitle    = "Ministry of Interior suspends land rights NGO"
)

// seedEvidence gives the fixture's matched stories evidence: the arrest
// story captured, then edited (ten → twelve) in a second capture; the
// ministry story captured, then removed (404); the Khmer story failed.
func (f *fixture) seedEvidence(t *testing.T) {
	ctx := t.Context()
	if _, err := f.store.EnqueueEvidence(ctx, true, now.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	capture := func(title, text, sum string, at time.Time) *store.Capture {
		return &store.Capture{StoryID: f.ids[title], CapturedAt: at, URL: "https://cambojanews.example/arrest",
			FinalURL: "https://cambojanews.example/arrest?amp=0", Status: 200, BodySHA256: sum, BodyBytes: 1000,
			WARCFile: "civicwatch-00001.warc.gz", WARCRecordID: "<urn:uuid:1>", Text: text, TextSHA256: "t" + sum}
	}
	first := "Police arrested ten union leaders on Tuesday after a march."
	edited := "Police arrested twelve union leaders on Tuesday after a march. <script>alert(1)</script>"
	t1 := now.Add(-48 * time.Hour)
	if err := f.store.SaveCapture(ctx, capture(arrestTitle, first, "aaaaaaaaaaaaaaaa1111", t1), t1.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	t2 := now.Add(-24 * time.Hour)
	if err := f.store.SaveCheck(ctx, &store.Check{StoryID: f.ids[arrestTitle], At: t2, Outcome: "edited", Status: 200,
		FinalURL: "https://cambojanews.example/arrest?amp=0", BodySHA256: "bbbbbbbbbbbbbbbb2222", State: store.EvidenceEdited,
		Capture: capture(arrestTitle, edited, "bbbbbbbbbbbbbbbb2222", t2.Add(time.Second))}); err != nil {
		t.Fatal(err)
	}
	caps, err := f.store.Captures(ctx, f.ids[arrestTitle])
	if err != nil || len(caps) != 2 {
		t.Fatalf("captures %+v, %v", caps, err)
	}
	if err := f.store.SaveSubmission(ctx, store.SPNResult{CaptureID: caps[0].ID, URL: caps[0].FinalURL, At: t1,
		State: store.SPNSubmitted, JobID: "spn2-abc"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveCapture(ctx, capture(moiTitle, "The ministry suspended the group.", "cccccccccccccccc3333", t1), t1.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveCheck(ctx, &store.Check{StoryID: f.ids[moiTitle], At: t2, Outcome: "removed", Status: 404,
		Error: "HTTP 404", State: store.EvidenceRemoved}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CaptureFailed(ctx, f.ids[khmerTitle], "capture https://rasmei.example/km: <b>refused</b>", t1, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// TestEvidencePage: /evidence lists the stories with evidence, each linking
// to its story page, with its state, captures, last check and URL, and
// filters by state; an unknown state is a 400.
func TestEvidencePage(t *testing.T) {
	f := newFixture(t)
	if _, body := f.get("/evidence"); !strings.Contains(body, "No evidence yet") {
		t.Errorf("empty /evidence:\n%s", body)
	}
	f.seedEvidence(t)
	res, body := f.get("/evidence", "Host", "localhost")
	if res.StatusCode != 200 {
		t.Fatalf("/evidence: %d\n%s", res.StatusCode, body)
	}
	row := func(title, state, captures string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)<tr class="evidence-` + state + `">\s*<td data-label="story"><a href="/stories/` +
			regexp.QuoteMeta(itoa(f.ids[title])) + `"[^>]*>` + regexp.QuoteMeta(title) + `</a></td>\s*<td data-label="state"><span class="state">` +
			state + `</span>.*?<td data-label="captures">` + captures + `</td>\s*<td data-label="last check">[^<]+</td>\s*<td data-label="URL"`)
	}
	for _, re := range []*regexp.Regexp{row(arrestTitle, "edited", "2"), row(moiTitle, "removed", "1"), row(khmerTitle, "failed", "0")} {
		if !re.MatchString(body) {
			t.Errorf("/evidence lacks a row matching %s:\n%s", re, body)
		}
	}
	for _, want := range []string{`href="https://cambojanews.example/arrest"`, "&lt;b&gt;refused&lt;/b&gt;",
		`href="/evidence?state=edited"`, "edited (1)", "removed (1)", "failed (1)", `href="/evidence" aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/evidence lacks %q", want)
		}
	}
	inert(t, "evidence", body)
	wantHeaders(t, "evidence", res)

	_, body = f.get("/evidence?state=edited")
	if !strings.Contains(body, arrestTitle) || strings.Contains(body, moiTitle) || strings.Contains(body, khmerTitle) {
		t.Errorf("/evidence?state=edited lists other states:\n%s", body)
	}
	if _, body = f.get("/evidence?state=unreachable"); !strings.Contains(body, "No story is unreachable") {
		t.Errorf("/evidence?state=unreachable:\n%s", body)
	}
	if res, _ := f.get("/evidence?state=gone"); res.StatusCode != 400 {
		t.Errorf("/evidence?state=gone: %d, want 400", res.StatusCode)
	}
}

// TestStoryPageEvidence: a story's page shows its timeline of captures and
// checks (time, status, state, SHA-256 prefix, final URL) and the word diff
// of its edit, marked in text as well as by class.
func TestStoryPageEvidence(t *testing.T) {
	f := newFixture(t)
	f.seedEvidence(t)
	res, body := f.get("/stories/" + itoa(f.ids[arrestTitle]))
	if res.StatusCode != 200 {
		t.Fatalf("story page: %d", res.StatusCode)
	}
	for _, want := range []string{
		`<h2 id="evidence">Evidence</h2>`,
		`<span class="state evidence-edited">edited</span>, 2 captures`,
		"<td>capture 1</td>", "<td>re-check</td>", "<td>capture 2</td>",
		`<code title="SHA-256 of the body: aaaaaaaaaaaaaaaa1111">aaaaaaaaaaaa…</code>`,
		`<code title="SHA-256 of the body: bbbbbbbbbbbbbbbb2222">bbbbbbbbbbbb…</code>`,
		"https://cambojanews.example/arrest?amp=0",
		"Edit from capture 1 to capture 2",
		`Police arrested <del class="diff-del">[-ten-]</del><ins class="diff-ins">{+twelve+}</ins> union leaders`,
		`<ins class="diff-ins">{+ &lt;script&gt;alert(1)&lt;/script&gt;+}</ins>`,
		"civicwatch-00001.warc.gz @ 0; Save Page Now: submitted, job spn2-abc",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("story page lacks %q", want)
		}
	}
	inert(t, "story with evidence", body)
	// Oldest first: capture 1, the check that found the edit, capture 2.
	if i, j, k := strings.Index(body, "<td>capture 1</td>"), strings.Index(body, "<td>re-check</td>"), strings.Index(body, "<td>capture 2</td>"); !(i < j && j < k) {
		t.Errorf("timeline out of order: %d %d %d", i, j, k)
	}
	_, body = f.get("/stories/" + itoa(f.ids[moiTitle]))
	for _, want := range []string{`<span class="state evidence-removed">removed</span>`, `<tr class="outcome-removed">`, "<td>404</td>", "HTTP 404"} {
		if !strings.Contains(body, want) {
			t.Errorf("removed story's page lacks %q", want)
		}
	}
	if strings.Contains(body, "Edit from capture") {
		t.Error("a story without an edit shows a diff")
	}
	if _, body = f.get("/stories/" + itoa(f.ids["Weather in Phnom Penh"])); strings.Contains(body, `id="evidence"`) {
		t.Error("a story without evidence shows an evidence section")
	}
}
