package evidence

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// mutablePage serves /a as the test sets it: an article text, a status, a
// redirect home, or a dropped connection.
type mutablePage struct {
	mu   sync.Mutex
	mode string // "ok", "404", "410", "home", "drop", "nonarticle"
	text string
}

func (p *mutablePage) set(mode, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.text = mode, text
}

func (p *mutablePage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	mode, text := p.mode, p.text
	p.mu.Unlock()
	if r.URL.Path == "/" {
		io.WriteString(w, "<html><body><h1>Home</h1><p>Latest news</p></body></html>")
		return
	}
	switch mode {
	case "404":
		http.NotFound(w, r)
	case "410":
		w.WriteHeader(http.StatusGone)
	case "home":
		http.Redirect(w, r, "/", http.StatusFound)
	case "drop":
		// Hang up without an answer: a network failure as the client sees it.
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case "nonarticle":
		io.WriteString(w, "<html><body></body></html>")
	case "pdf":
		// A statement published as a document: no article to extract.
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "+text+"\n%%EOF\n")
	case "deep":
		// A web page too deeply nested to extract, whose bytes say text.
		io.WriteString(w, strings.Repeat("<div>", MaxNesting+10)+text)
	default:
		io.WriteString(w, "<html><body><article><h1>Garment workers strike</h1><p>"+text+"</p></article></body></html>")
	}
}

const para = "Garment workers in Phnom Penh walked out on Monday after the union's leader was dismissed without notice, their representatives said, and the management refused to meet them."

func TestRechecks(t *testing.T) {
	edited := strings.Replace(para, "Monday", "Tuesday", 1)
	type step struct {
		mode, text string
		want       string // state after the check
	}
	tests := []struct {
		name  string
		steps []step
		// captures expected at the end, the first included
		captures int
	}{
		{"unchanged", []step{{"ok", para, "unchanged"}}, 1},
		{"whitespace is not an edit", []step{{"ok", strings.ReplaceAll(para, " ", "  \n "), "unchanged"}}, 1},
		{"edited", []step{{"ok", edited, "edited"}, {"ok", edited, "unchanged"}}, 2},
		{"404", []step{{"404", "", "removed"}}, 1},
		{"410", []step{{"410", "", "removed"}}, 1},
		{"redirect home", []step{{"home", "", "removed"}}, 1},
		{"article gone from the page", []step{{"nonarticle", "", "removed"}}, 1},
		{"one refusal is not unreachable", []step{{"drop", "", "captured"}, {"ok", para, "unchanged"}}, 1},
		{"three refusals in a row", []step{{"drop", "", "captured"}, {"drop", "", "captured"}, {"drop", "", "unreachable"}}, 1},
		{"restored after removal", []step{{"404", "", "removed"}, {"ok", para, "unchanged"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := &mutablePage{mode: "ok", text: para}
			srv := httptest.NewServer(page)
			defer srv.Close()
			st := openStore(t)
			ids := seed(t, st, srv.URL, story{"/a", true})
			now := t0
			day := 24 * time.Hour
			r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: []time.Duration{day, 7 * day, 30 * day},
				Now: func() time.Time { return now }})
			if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 || rep.Checked != 0 {
				t.Fatalf("capture run %+v, %v", rep, err)
			}
			ages := []time.Duration{day, 7 * day, 30 * day}
			for i, s := range tt.steps {
				page.set(s.mode, s.text)
				// Just before the age, nothing is checked.
				now = t0.Add(ages[i] - time.Minute)
				if rep, err := r.Run(t.Context()); err != nil || rep.Checked != 0 {
					t.Fatalf("step %d early: %+v, %v", i+1, rep, err)
				}
				now = t0.Add(ages[i] + time.Minute)
				rep, err := r.Run(t.Context())
				if err != nil || rep.Checked != 1 {
					t.Fatalf("step %d: %+v, %v; want one re-check", i+1, rep, err)
				}
				e, _ := st.EvidenceOf(t.Context(), ids["/a"])
				if e.State != s.want {
					t.Errorf("step %d (%s): state %s, want %s (last error %q)", i+1, s.mode, e.State, s.want, e.LastError)
				}
			}
			caps, _ := st.Captures(t.Context(), ids["/a"])
			if len(caps) != tt.captures {
				t.Errorf("%d captures, want %d", len(caps), tt.captures)
			}
			hist, _ := st.CheckHistory(t.Context(), ids["/a"])
			if len(hist) != len(tt.steps) {
				t.Errorf("%d checks in the history, want %d", len(hist), len(tt.steps))
			}
			if tt.captures == 2 && (caps[0].TextSHA256 == caps[1].TextSHA256 || !strings.Contains(caps[1].Text, "Tuesday") ||
				!strings.Contains(caps[0].Text, "Monday")) {
				t.Errorf("the edit was not kept as a new version beside the first: %q / %q", caps[0].Text, caps[1].Text)
			}
		})
	}
}

func TestNoRecheckAfterTheLastAge(t *testing.T) {
	srv := httptest.NewServer(&mutablePage{mode: "ok", text: para})
	defer srv.Close()
	st := openStore(t)
	seed(t, st, srv.URL, story{"/a", true})
	now := t0
	r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: []time.Duration{time.Hour}, Now: func() time.Time { return now }})
	r.Run(t.Context())
	now = t0.Add(2 * time.Hour)
	if rep, _ := r.Run(t.Context()); rep.Checked != 1 {
		t.Fatalf("first age: %d checks", rep.Checked)
	}
	now = t0.Add(400 * 24 * time.Hour)
	if rep, _ := r.Run(t.Context()); rep.Checked != 0 {
		t.Errorf("a check after the last configured age: %+v", rep)
	}
}

// TestRecheckAll: --recheck-all checks every captured page at once, before
// any is due, spends the budget doing so, and leaves the schedule alone.
func TestRecheckAll(t *testing.T) {
	page := &mutablePage{mode: "ok", text: para}
	srv := httptest.NewServer(page)
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/b", true})
	now := t0
	day := 24 * time.Hour
	opts := Options{Rechecks: []time.Duration{day}, DailyBudget: 3, Now: func() time.Time { return now }}
	r, _ := newRunner(t, st, testFetcher(nil), opts)
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 2 {
		t.Fatalf("capture run %+v, %v", rep, err)
	}
	page.set("ok", strings.Replace(para, "Monday", "Tuesday", 1))
	now = t0.Add(time.Minute) // nothing is due
	opts.RecheckAll = true
	all, _ := newRunner(t, st, testFetcher(nil), opts)
	rep, err := all.Run(t.Context())
	if err != nil || rep.Checked != 1 || !rep.OutOfBudget || rep.States["edited"] != 1 {
		t.Fatalf("recheck-all with one fetch of budget left: %+v, %v; want one check, edited, out of budget", rep, err)
	}
	now = t0.Add(day + time.Minute) // a new UTC day, a new budget; both are due
	rep, err = r.Run(t.Context())
	if err != nil || rep.Checked != 2 {
		t.Fatalf("scheduled run after a forced check: %+v, %v; want both pages checked on schedule", rep, err)
	}
	page.set("404", "")
	now = t0.Add(2 * day) // the next day's budget
	rep, err = all.Run(t.Context())
	if err != nil || rep.Checked != 2 || rep.States["removed"] != 2 {
		t.Fatalf("recheck-all after the last age: %+v, %v; want both checked and removed", rep, err)
	}
	for _, p := range []string{"/a", "/b"} {
		if hist, _ := st.CheckHistory(t.Context(), ids[p]); len(hist) < 2 {
			t.Errorf("%s: %d checks in the history", p, len(hist))
		}
	}
}

// TestShutdownIsNoFailure: a capture or re-check cut short by the run's
// context ending (the daemon stopping) is not recorded as a failed attempt
// nor counted toward unreachable.
func TestShutdownIsNoFailure(t *testing.T) {
	page := &mutablePage{mode: "ok", text: para}
	var hang atomic.Bool
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			entered <- struct{}{}
			<-r.Context().Done()
			return
		}
		page.ServeHTTP(w, r)
	}))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true})
	now := t0
	r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: []time.Duration{time.Hour}, Now: func() time.Time { return now }})
	cutShort := func(what string) {
		t.Helper()
		hang.Store(true)
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-entered; cancel() }()
		if _, err := r.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s cut short: %v, want context.Canceled", what, err)
		}
		hang.Store(false)
	}
	cutShort("capture")
	if e, _ := st.EvidenceOf(t.Context(), ids["/a"]); e.Attempts != 0 || e.LastError != "" || e.State != store.EvidenceQueued {
		t.Errorf("after a cut-short capture: %+v; want it queued as before", e)
	}
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 {
		t.Fatalf("capture: %+v, %v", rep, err)
	}
	now = t0.Add(2 * time.Hour)
	cutShort("re-check")
	if hist, _ := st.CheckHistory(t.Context(), ids["/a"]); len(hist) != 0 {
		t.Errorf("a cut-short re-check was recorded: %+v", hist)
	}
	if rep, err := r.Run(t.Context()); err != nil || rep.Checked != 1 || rep.States["unchanged"] != 1 {
		t.Errorf("the re-check after: %+v, %v; want it still due and unchanged", rep, err)
	}
}

// Pages with no article text to compare — a statement published as a PDF,
// a page the extractor refuses — are judged by their bytes where that is
// sound, and never called removed for want of text (a PDF was reported
// removed at every re-check).
func TestRechecksOfPagesWithoutText(t *testing.T) {
	day := 24 * time.Hour
	ages := []time.Duration{day, 7 * day, 30 * day}
	type step struct {
		mode, text string
		state      string // after the check
		outcome    string
	}
	tests := []struct {
		name     string
		first    string // the page's mode at capture
		steps    []step
		captures int
	}{
		{"a PDF unchanged", "pdf", []step{{"pdf", para, "unchanged", "unchanged"}, {"pdf", para, "unchanged", "unchanged"}}, 1},
		{"a PDF replaced", "pdf", []step{{"pdf", "revised " + para, "edited", "edited"}, {"pdf", "revised " + para, "unchanged", "unchanged"}}, 2},
		{"a PDF taken down", "pdf", []step{{"404", "", "removed", "removed"}}, 1},
		{"a PDF gone dark", "pdf", []step{{"drop", "", "captured", "failed"}, {"drop", "", "captured", "failed"}, {"drop", "", "unreachable", "failed"}}, 1},
		{"an unextractable page, same bytes", "deep", []step{{"deep", para, "unchanged", "unchanged"}}, 1},
		{"an unextractable page, other bytes", "deep", []step{{"deep", "other " + para, "captured", "uncompared"}}, 1},
		{"an unextractable page back after removal", "deep", []step{{"404", "", "removed", "removed"}, {"deep", "other", "captured", "uncompared"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := &mutablePage{mode: tt.first, text: para}
			srv := httptest.NewServer(page)
			defer srv.Close()
			st := openStore(t)
			ids := seed(t, st, srv.URL, story{"/a", true})
			now := t0
			r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: ages, Now: func() time.Time { return now }})
			if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 {
				t.Fatalf("capture run %+v, %v", rep, err)
			}
			caps, _ := st.Captures(t.Context(), ids["/a"])
			if len(caps) != 1 || caps[0].Text != "" || caps[0].ExtractError == "" {
				t.Fatalf("first capture %+v: want kept, with no text and the reason", caps)
			}
			if tt.first == "pdf" && !strings.Contains(caps[0].ExtractError, "not an HTML page (application/pdf)") {
				t.Errorf("a PDF's extraction error is %q", caps[0].ExtractError)
			}
			for i, s := range tt.steps {
				page.set(s.mode, s.text)
				now = t0.Add(ages[i] + time.Minute)
				if rep, err := r.Run(t.Context()); err != nil || rep.Checked != 1 {
					t.Fatalf("step %d: %+v, %v; want one re-check", i+1, rep, err)
				}
				e, _ := st.EvidenceOf(t.Context(), ids["/a"])
				hist, _ := st.CheckHistory(t.Context(), ids["/a"])
				if e.State != s.state || len(hist) != i+1 || hist[i].Outcome != s.outcome {
					t.Errorf("step %d (%s): state %s, history %+v; want state %s, outcome %s", i+1, s.mode, e.State, hist, s.state, s.outcome)
				}
			}
			if caps, _ := st.Captures(t.Context(), ids["/a"]); len(caps) != tt.captures {
				t.Errorf("%d captures, want %d", len(caps), tt.captures)
			}
		})
	}
}

// A page in a legacy charset is decoded before extraction: the text kept is
// the words the page shows, in UTF-8.
func TestCaptureDecodesTheCharset(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/header":
			w.Header().Set("Content-Type", "text/html; charset=windows-1252")
		case "/meta":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<meta charset="windows-1252">`)
		}
		io.WriteString(w, "<html><body><article><h1>Strike</h1><p>"+para+" The caf\xe9 owners\x92 association said \x93no\x94.</p></article></body></html>")
	}))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/header", true}, story{"/meta", true})
	r, _ := newRunner(t, st, testFetcher(nil), Options{Now: func() time.Time { return t0 }})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 2 {
		t.Fatalf("run %+v, %v", rep, err)
	}
	for _, path := range []string{"/header", "/meta"} {
		caps, _ := st.Captures(t.Context(), ids[path])
		if len(caps) != 1 || !strings.Contains(caps[0].Text, "The café owners’ association said “no”.") {
			t.Errorf("%s: captures %+v", path, caps)
		}
	}
}

// The page answers, but is it still the article? An edit keeps most of the
// article's passages; a "not found" page served with 200, or another story
// at the old address, keeps next to none and is removed, in Khmer too.
func TestEditedOrReplaced(t *testing.T) {
	kmArticle := "កម្មករ​រោងចក្រ​កាត់ដេរ​នៅ​ភ្នំពេញ​បាន​ធ្វើ​កូដកម្ម​កាលពី​ថ្ងៃ​ច័ន្ទ​ បន្ទាប់​ពី​ប្រធាន​សហជីព​ត្រូវ​បាន​បញ្ឈប់​ពី​ការងារ​ ដោយ​គ្មាន​ការ​ជូនដំណឹង​ជាមុន។"
	kmOther := "ក្រសួង​កសិកម្ម​បាន​ប្រកាស​ពី​តម្លៃ​ស្រូវ​ថ្មី​សម្រាប់​រដូវ​ប្រមូល​ផល​នេះ​ ហើយ​អំពាវនាវ​ឲ្យ​កសិករ​រក្សា​ស្តុក​ទុក។"
	tests := []struct {
		name, newer, want string
	}{
		{"a word changed", strings.Replace(para, "Monday", "Tuesday", 1), "edited"},
		{"a paragraph added", para + " The ministry said on Wednesday that talks would resume next week with both sides present.", "edited"},
		{"a page not found, served as 200", "Sorry, the page you are looking for cannot be found. Try our search or go back to the home page.", "removed"},
		{"another story at the address", "The football federation announced the new season's fixtures on Friday, with the first match in Siem Reap.", "removed"},
		{"a Khmer word changed", strings.Replace(kmArticle, "ច័ន្ទ", "អង្គារ", 1), "edited"},
		{"another Khmer story at the address", kmOther, "removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := para
			if strings.Contains(tt.name, "Khmer") {
				first = kmArticle
			}
			page := &mutablePage{mode: "ok", text: first}
			srv := httptest.NewServer(page)
			defer srv.Close()
			st := openStore(t)
			ids := seed(t, st, srv.URL, story{"/a", true})
			now := t0
			r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: []time.Duration{24 * time.Hour}, Now: func() time.Time { return now }})
			if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 {
				t.Fatalf("capture run %+v, %v", rep, err)
			}
			page.set("ok", tt.newer)
			now = t0.Add(25 * time.Hour)
			if rep, err := r.Run(t.Context()); err != nil || rep.Checked != 1 {
				t.Fatalf("re-check %+v, %v", rep, err)
			}
			if e, _ := st.EvidenceOf(t.Context(), ids["/a"]); e.State != tt.want {
				t.Errorf("state %s (%s), want %s", e.State, e.LastError, tt.want)
			}
		})
	}
}

// A re-check is dated when it is written, not when its fetch began: a
// digest built while the page was being fetched has read its window, and a
// change dated inside that window would reach no digest. (The topics a
// captured article brings are dated the same way, by Rematch.Stamp.)
func TestChecksAreDatedWhenWritten(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	page := &mutablePage{mode: "ok", text: para}
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		advance(10 * time.Minute) // the fetch takes ten minutes of the clock
		page.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(slow)
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true})
	r, _ := newRunner(t, st, testFetcher(nil), Options{Rechecks: []time.Duration{24 * time.Hour}, Now: clock})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 1 {
		t.Fatalf("capture run %+v, %v", rep, err)
	}
	page.set("404", "")
	advance(25 * time.Hour)
	began := clock()
	if rep, err := r.Run(t.Context()); err != nil || rep.Checked != 1 {
		t.Fatalf("re-check %+v, %v", rep, err)
	}
	hist, _ := st.CheckHistory(t.Context(), ids["/a"])
	if len(hist) != 1 || !hist[0].At.After(began.Add(9*time.Minute)) {
		t.Errorf("the re-check is dated %v; its fetch began at %v and took ten minutes", hist, began)
	}
	changes, err := st.EvidenceChanges(t.Context(), began, began.Add(5*time.Minute))
	if err != nil || len(changes) != 0 {
		t.Errorf("a window that ended while the page was fetched holds %+v (%v)", changes, err)
	}
	if changes, _ := st.EvidenceChanges(t.Context(), began.Add(5*time.Minute), clock().Add(time.Minute)); len(changes) != 1 {
		t.Errorf("the next window holds %d changes, want the removal", len(changes))
	}
}
