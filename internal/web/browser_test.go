package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/civicwatch/civicwatch/internal/browsertest"
)

// browser is a console served over HTTP and a headless Chromium looking
// at it, which records every console message: a Content-Security-Policy
// violation (an inline style or script slipping into a page) shows there.
type browser struct {
	t    *testing.T
	f    *fixture
	url  string
	ctx  context.Context
	dir  string
	mu   sync.Mutex
	msgs []string
}

func newBrowser(t *testing.T) *browser {
	f := newFixture(t)
	srv := httptest.NewServer(f.server)
	t.Cleanup(srv.Close)
	b := &browser{t: t, f: f, url: srv.URL, ctx: browsertest.New(t), dir: browsertest.ArtefactDir(t)}
	err := chromedp.Listen(b.ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			b.msgs = append(b.msgs, ev.Entry.Text)
		case *runtime.EventExceptionThrown:
			b.msgs = append(b.msgs, "exception: "+ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.EmulateViewport(1024, 900))
	t.Cleanup(b.noViolations)
	return b
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// get runs an action that answers with a value.
func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return get(b, chromedp.Evaluate[T](js))
}

// shot keeps a screenshot of the whole page as a test artefact.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, chromedp.FullScreenshot(100)) // 100: PNG, lossless
	path := filepath.Join(b.dir, "console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func (b *browser) noViolations() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.msgs {
		if strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, "exception") {
			b.t.Errorf("browser console: %s", m)
		}
	}
}

func (b *browser) noSidewaysScroll(what string) {
	b.t.Helper()
	wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`)
	if wide {
		b.t.Errorf("%s scrolls sideways at phone width", what)
	}
}

func TestBrowserMatchesPage(t *testing.T) {
	b := newBrowser(t)
	b.run(chromedp.Navigate(b.url+"/"), chromedp.WaitVisible(chromedp.CSS(`.story`)))
	if h := b.text(`h1`); h != "Matches" {
		t.Errorf("heading %q", h)
	}
	headlines := eval[[]string](b, `[...document.querySelectorAll('.headline')].map(e => e.innerText)`)
	joined := strings.Join(headlines, "\n")
	for _, want := range []string{"Union leader arrested in Phnom Penh", khmerTitle, hostileTitle, "Ministry of Interior suspends land rights NGO"} {
		if !strings.Contains(joined, want) {
			t.Errorf("headlines lack %q: %q", want, headlines)
		}
	}
	scripts := eval[int](b, `document.querySelectorAll('script').length`)
	if scripts != 1 {
		t.Errorf("%d script elements: the hostile title became markup", scripts)
	}
	font := eval[string](b, `getComputedStyle(document.querySelector('[lang=km]')).fontFamily`)
	if !strings.Contains(font, "Khmer") {
		t.Errorf("Khmer headline font %q", font)
	}
	b.shot("matches-1024px")
	b.run(chromedp.EmulateViewport(375, 800), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.story`)))
	b.noSidewaysScroll("the matches page")
	b.shot("matches-375px")
}

func TestBrowserSearchKhmer(t *testing.T) {
	b := newBrowser(t)
	b.run(chromedp.Navigate(b.url+"/search"),
		chromedp.SendKeys(chromedp.CSS(`#q`), "សហជីព"),
		chromedp.Submit(chromedp.CSS(`#q`)),
		chromedp.WaitVisible(chromedp.CSS(`.results mark`)))
	marks := eval[[]string](b, `[...document.querySelectorAll('.results mark')].map(e => e.innerText)`)
	if len(marks) == 0 || marks[0] != "សហជីព" {
		t.Errorf("marked %q, want the Khmer word", marks)
	}
	loc := eval[string](b, `location.search`)
	if !strings.Contains(loc, "q=") {
		t.Errorf("the search is not in the URL: %q", loc)
	}
	b.shot("search-khmer")
}

func TestBrowserStoryExplain(t *testing.T) {
	b := newBrowser(t)
	b.run(chromedp.Navigate(b.url+"/"),
		chromedp.Click(chromedp.Search(`//a[contains(., "leader")][contains(., "Phnom Penh")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#topic-unions`)))
	if v := b.text(`#topic-unions .verdict`); v != "matches" {
		t.Errorf("unions verdict %q", v)
	}
	terms := eval[[]string](b, `[...document.querySelectorAll('#topic-unions .hits td:first-child')].map(e => e.innerText)`)
	if !strings.Contains(strings.Join(terms, " "), "arrest*") || !strings.Contains(strings.Join(terms, " "), "union") {
		t.Errorf("terms that fired: %q", terms)
	}
	marked := eval[[]string](b, `[...document.querySelectorAll('#topic-unions .marked mark')].map(e => e.innerText)`)
	if len(marked) == 0 {
		t.Error("no marked text in the explain")
	}
	if v := b.text(`#topic-moi .verdict`); v != "does not match" {
		t.Errorf("moi verdict %q", v)
	}
	b.shot("story-explain")

	// The vetoing NOT is named.
	b.run(chromedp.Navigate(fmt.Sprintf("%s/stories/%d", b.url, b.f.ids["Football union strike ends"])),
		chromedp.WaitVisible(chromedp.CSS(`#topic-unions .veto`)))
	if v := b.text(`#topic-unions .veto`); !strings.Contains(v, "NOT football") {
		t.Errorf("veto %q", v)
	}
	b.shot("story-veto")
}

func TestBrowserRulesLab(t *testing.T) {
	b := newBrowser(t)
	b.run(chromedp.Navigate(b.url+"/rules?topic=unions&since="),
		chromedp.WaitVisible(chromedp.CSS(`#lab-rule`)),
		chromedp.SetValue(chromedp.CSS(`#lab-rule`), "@union AND (arrest* OR ចាប់ខ្លួន OR football)"),
		// The page opened with a result for the topic's own rule; taken
		// away, it cannot be read as the form's page replaces it ("No node
		// with given id found"): the result waited for is the new one.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.lab-result').remove()`),
		chromedp.Click(chromedp.CSS(`form.lab button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.lab-result`)))
	if g := b.text(`#gained`); !strings.HasPrefix(g, "Gained: 1") {
		t.Errorf("gained heading %q", g)
	}
	if g := b.text(`.gained .headline`); g != "Football union strike ends" {
		t.Errorf("gained %q", g)
	}
	if l := b.text(`.lost .headline`); l != hostileTitle {
		t.Errorf("lost %q", l)
	}
	if terms := b.text(`.lost .terms`); !strings.Contains(terms, "strike*") {
		t.Errorf("lost story's terms %q: want the current rule's strike*", terms)
	}
	if terms := b.text(`.gained .terms`); !strings.Contains(terms, "football") {
		t.Errorf("gained story's terms %q", terms)
	}
	save := eval[int](b, `document.querySelectorAll('form.save').length`)
	if save != 1 {
		t.Errorf("%d save forms, want 1", save)
	}
	b.shot("rules-lab")

	// A syntax error is shown with its column, and the caret put there.
	b.run(chromedp.SetValue(chromedp.CSS(`#lab-rule`), "union AND (strike"),
		chromedp.Click(chromedp.CSS(`form.lab button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.rule-error`)))
	if e := b.text(`.rule-error p`); !strings.Contains(e, "column") {
		t.Errorf("rule error %q", e)
	}
	// The deferred script moves the caret on DOMContentLoaded, which may
	// come after .rule-error is visible: wait for it, up to 5 s.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('lab-rule').selectionStart > 0`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the caret was not moved to the error: %v", err)
	}
	b.shot("rules-lab-error")
}

func TestBrowserLabelPersists(t *testing.T) {
	b := newBrowser(t)
	id := b.f.ids["Union leader arrested in Phnom Penh"]
	b.run(chromedp.Navigate(fmt.Sprintf("%s/stories/%d", b.url, id)),
		chromedp.WaitVisible(chromedp.CSS(`#topic-unions`)),
		chromedp.Click(chromedp.CSS(`#topic-unions button[value=relevant]`)),
		chromedp.WaitVisible(chromedp.CSS(`#topic-unions .label-state strong`)))
	b.run(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#topic-unions .label-state strong`)))
	if s := b.text(`#topic-unions .label-state strong`); s != "relevant" {
		t.Errorf("after reload the label reads %q", s)
	}
	labels, err := b.f.store.Labels(t.Context(), []int64{id})
	if err != nil || len(labels) != 1 || !labels[0].Relevant || labels[0].Topic != "unions" {
		t.Errorf("stored labels %+v, %v", labels, err)
	}
	b.shot("story-labelled")
}

// TestBrowserPagesFitAPhone opens every page at a phone's width: wide
// tables scroll inside their box, the page itself never sideways.
func TestBrowserPagesFitAPhone(t *testing.T) {
	b := newBrowser(t)
	b.run(chromedp.EmulateViewport(375, 800))
	for name, path := range map[string]string{
		"search":  "/search?q=union",
		"story":   fmt.Sprintf("/stories/%d", b.f.ids["Union leader arrested in Phnom Penh"]),
		"sources": "/sources",
		"rules":   "/rules?topic=unions&since=&rule=" + "%40union+AND+%28arrest%2A+OR+football%29",
		"digests": "/digests",
	} {
		b.run(chromedp.Navigate(b.url+path), chromedp.WaitVisible(chromedp.CSS(`h1`)))
		b.noSidewaysScroll(name)
		b.shot(name + "-375px")
	}
}

// TestBrowserEvidence: the evidence page filters by state, links to the
// story, and the story's diff shows removed and inserted words marked in
// text and struck or underlined, at desktop and phone widths.
func TestBrowserEvidence(t *testing.T) {
	b := newBrowser(t)
	b.f.seedEvidence(t)
	b.run(chromedp.Navigate(b.url+"/"), chromedp.Click(chromedp.Search(`//nav//a[.="Evidence"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.evidence`)))
	if rows := eval[int](b, `document.querySelectorAll('table.evidence tbody tr').length`); rows != 4 {
		t.Errorf("%d rows on /evidence, want 4 (edited, removed, failed, and the hostile story queued)", rows)
	}
	// The unfiltered table has the edited row too: taken away, it cannot be
	// counted in place of the filtered page's.
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('table.evidence').remove()`),
		chromedp.Click(chromedp.CSS(`.filters a.state-edited`)), chromedp.WaitVisible(chromedp.CSS(`tr.evidence-edited`)))
	if rows := eval[int](b, `document.querySelectorAll('table.evidence tbody tr').length`); rows != 1 {
		t.Errorf("%d rows under the edited filter, want 1", rows)
	}
	b.shot("evidence-edited")
	b.run(chromedp.Click(chromedp.CSS(`tr.evidence-edited td a`)), chromedp.WaitVisible(chromedp.CSS(`.diff`)))
	if del, ins := b.text(`.diff del`), b.text(`.diff ins`); del != "[-ten-]" || ins != "{+twelve+}" {
		t.Errorf("diff marks %q and %q, want [-ten-] and {+twelve+}", del, ins)
	}
	if deco := eval[string](b, `getComputedStyle(document.querySelector('.diff del')).textDecorationLine`); deco != "line-through" {
		t.Errorf("removed words drawn with text-decoration %q", deco)
	}
	if n := eval[int](b, `document.querySelectorAll('table.timeline tbody tr').length`); n != 3 {
		t.Errorf("%d timeline rows, want 3 (two captures, one re-check)", n)
	}
	b.shot("story-evidence")
	b.run(chromedp.EmulateViewport(375, 800))
	for _, path := range []string{"/evidence", fmt.Sprintf("/stories/%d#evidence", b.f.ids[arrestTitle])} {
		b.run(chromedp.Navigate(b.url+path), chromedp.WaitVisible(chromedp.CSS(`h1`)))
		b.noSidewaysScroll(path)
	}
}
