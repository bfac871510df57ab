package snippet

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func FuzzFind(f *testing.F) {
	f.Add("Union leader ПРОФСОЮЗА", "union", "профсоюз")
	f.Add("ក"+"សហ"+zwsp+"ជីព", union, "ហជ")
	f.Add("\xffunion\xfe\u212A", "UNION", "k")
	f.Add("aaa", "aa", "a")
	f.Add(trainDA+zwsp+"ណ្"+zwsp+"ដ", trainTA, "្ត")
	f.Fuzz(func(t *testing.T, text, w1, w2 string) {
		spans := Find(text, []string{w1, w2})
		bounds := map[int]bool{len(text): true}
		for i := range text {
			bounds[i] = true
		}
		for i, sp := range spans {
			if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
				t.Fatalf("span %v out of bounds of %d bytes", sp, len(text))
			}
			if !bounds[sp.Start] || !bounds[sp.End] {
				t.Fatalf("span %v not on rune boundaries of %q", sp, text)
			}
			if i > 0 && spans[i-1].End >= sp.Start {
				t.Fatalf("spans %v and %v unsorted or not merged", spans[i-1], sp)
			}
		}
		for _, w := range []string{w1, w2} {
			// Only words that survive NFC unchanged: normalising can
			// change what a word is, and this check folds without it.
			if p := foldString(w); p != "" && strings.Contains(newFolded(text).text, p) && len(spans) == 0 && isNFC(w) {
				t.Fatalf("%q occurs in %q but nothing was found", w, text)
			}
		}
		segs := Around(text, spans, 60)
		for _, s := range segs {
			if s.Text == "" {
				t.Fatalf("empty segment in %+v", segs)
			}
		}
		Mark(text, spans)
	})
}

func isNFC(s string) bool { return norm.NFC.IsNormalString(s) }
