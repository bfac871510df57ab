package snippet

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Khmer words used below: ការងារ (work), សហជីព (union).
const (
	work  = "ការងារ"
	union = "សហជីព"
	zwsp  = "\u200B"
	// បណ្តុះបណ្តាល (training), with the subscript typed as COENG + DA
	// (្ដ) and as COENG + TA (្ត).
	trainDA = "បណ\u17D2\u178Aុះបណ\u17D2\u178Aាល"
	trainTA = "បណ\u17D2\u178Fុះបណ\u17D2\u178Fាល"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		words []string
		want  []Span
	}{
		{"ascii, case folded", "Union leader UNION union", []string{"union"}, []Span{{0, 5}, {13, 18}, {19, 24}}},
		{"query upper, text lower", "a strike at dawn", []string{"STRIKE"}, []Span{{2, 8}}},
		{"cyrillic", "Лидер ПРОФСОЮЗА арестован", []string{"профсоюз"}, []Span{{11, 27}}},
		{"greek final sigma is its own letter", "ΣΟΣ", []string{"σοσ"}, []Span{{0, 6}}},
		{"kelvin sign folds to k", "\u212Aen", []string{"ken"}, []Span{{0, 5}}},
		{"long s folds to s", "ſtrike", []string{"STRIKE"}, []Span{{0, 7}}},
		{"accented, multibyte offsets", "café CAFÉ", []string{"Café"}, []Span{{0, 5}, {6, 11}}},
		{"query in NFD finds NFC text", "café", []string{"cafe\u0301"}, []Span{{0, 5}}},
		{"khmer as written", "ប្រធាន" + union + "ត្រូវបានចាប់ខ្លួន", []string{union}, []Span{{18, 33}}},
		{"khmer with zwsp inside the stored word", "ក" + "សហ" + zwsp + "ជីព", []string{union}, []Span{{3, 21}}},
		{"khmer query with zwsp, text without", union, []string{"សហ" + zwsp + "ជីព"}, []Span{{0, 15}}},
		{"zero-width joiners and bom ignored", "a\u200Cb\u200Dc\uFEFFd", []string{"abcd"}, []Span{{0, 13}}},
		{"zwsp at the edges stays outside", zwsp + union + zwsp, []string{union}, []Span{{3, 18}}},
		{"subscript da in the text, ta typed", "ក" + trainDA, []string{trainTA}, []Span{{3, 39}}},
		{"subscript ta in the text, da typed", trainTA + "ក", []string{trainDA}, []Span{{0, 36}}},
		{"part of the word across the subscript", trainDA, []string{"ណ្តាល"}, []Span{{21, 36}}},
		{"coeng, zwsp, da folds too", "ណ្" + zwsp + "ដា", []string{"ណ្តា"}, []Span{{0, 15}}},
		{"da without coeng stays da", "ដា", []string{"តា"}, nil},
		// The other spellings the rules read as one. សិទិ្ធ (18 bytes) has
		// its vowel typed before the subscript: the span covers it whole.
		{"vowel typed before the subscript", "ក" + "សិទិ្ធ" + "ក", []string{"សិទ្ធិ"}, []Span{{3, 21}}},
		{"the same typed in order", "សិទ្ធិ", []string{"សិទិ្ធ"}, []Span{{0, 18}}},
		{"ឱ in the text, ឲ typed", "ហាមមិនឱ្យ", []string{"ឲ្យ"}, []Span{{18, 27}}},
		{"informal អោយ in the text", "ហាមមិនអោយ", []string{"ឲ្យ"}, []Span{{18, 27}}},
		{"nikahit typed before the vowel", "ឃំុខ្លួន", []string{"ឃុំ"}, []Span{{0, 9}}},
		{"span at the very start and end", "strike then strike", []string{"strike"}, []Span{{0, 6}, {12, 18}}},
		{"overlapping words merged", "strikes", []string{"strike", "kes"}, []Span{{0, 7}}},
		{"touching words merged", "ការងារសហជីព", []string{work, union}, []Span{{0, 33}}},
		{"overlapping occurrences merged", "aaa b aa", []string{"aa"}, []Span{{0, 3}, {6, 8}}},
		{"one word inside another", "unionists", []string{"unionists", "ion"}, []Span{{0, 9}}},
		{"sorted across words", "b a b", []string{"b", "a"}, []Span{{0, 1}, {2, 3}, {4, 5}}},
		{"not found", "nothing here", []string{"union"}, nil},
		{"empty and zero-width words ignored", "union", []string{"", zwsp}, nil},
		{"no words", "union", nil, nil},
		{"empty text", "", []string{"union"}, nil},
		{"invalid bytes are single characters", "\xffunion\xfe", []string{"union"}, []Span{{1, 6}}},
		{"a word longer than the text", "uni", []string{"union"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Find(tt.text, tt.words)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Find(%q, %q) = %v, want %v", tt.text, tt.words, got, tt.want)
			}
			for _, sp := range got {
				if !utf8.ValidString(tt.text) {
					continue
				}
				if s := tt.text[sp.Start:sp.End]; !utf8.ValidString(s) {
					t.Errorf("span %v cuts a rune: %q", sp, s)
				}
			}
		})
	}
}

func TestAround(t *testing.T) {
	long := strings.Repeat("word ", 40) + "union leader arrested " + strings.Repeat("more ", 40)
	at := strings.Index(long, "union")
	tests := []struct {
		name  string
		text  string
		spans []Span
		width int
		want  []Segment
	}{
		{"short text, no span", "A union  leader.", nil, 240, []Segment{{Text: "A union leader."}}},
		{"span at the very start", "union leader", []Span{{0, 5}}, 240,
			[]Segment{{Text: "union", Mark: true}, {Text: " leader"}}},
		{"span at the very end", "leader of the union", []Span{{14, 19}}, 240,
			[]Segment{{Text: "leader of the "}, {Text: "union", Mark: true}}},
		{"cut on words at both ends", long, []Span{{at, at + 5}}, 30, []Segment{
			{Text: "… "}, {Text: "word "}, {Text: "union", Mark: true}, {Text: " leader arrested"}, {Text: " …"}}},
		{"khmer with zwsp kept", "ប្រធាន" + "សហ" + zwsp + "ជីព", []Span{{18, 36}}, 240,
			[]Segment{{Text: "ប្រធាន"}, {Text: "សហ" + zwsp + "ជីព", Mark: true}}},
		{"stale spans ignored", "union", []Span{{0, 9}, {3, 2}, {-1, 2}}, 240, []Segment{{Text: "union"}}},
		{"span inside a rune ignored", "é union", []Span{{1, 3}, {3, 8}}, 240,
			[]Segment{{Text: "é "}, {Text: "union", Mark: true}}},
		{"overlapping spans: the longer first one wins", "union leader", []Span{{0, 5}, {0, 12}, {6, 12}}, 240,
			[]Segment{{Text: "union leader", Mark: true}}},
		{"first span longer than the window is still marked", "a very long phrase indeed", []Span{{2, 25}}, 6,
			[]Segment{{Text: "a "}, {Text: "very long phrase indeed", Mark: true}}},
		{"bidi override removed", "x\u202Eunion", []Span{{4, 9}}, 240,
			[]Segment{{Text: "x"}, {Text: "union", Mark: true}}},
		{"empty text", "", nil, 240, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Around(tt.text, tt.spans, tt.width); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Around(%q, %v, %d) =\n%+v\nwant\n%+v", tt.text, tt.spans, tt.width, got, tt.want)
			}
		})
	}
}

func TestAroundDoesNotReorderCallersSpans(t *testing.T) {
	spans := []Span{{6, 12}, {0, 5}}
	Around("union leader", spans, 240)
	if spans[0] != (Span{6, 12}) {
		t.Errorf("spans reordered: %v", spans)
	}
}

func TestMark(t *testing.T) {
	got := Mark("Union leader UNION", Find("Union leader UNION", []string{"union"}))
	want := []Segment{{Text: "Union", Mark: true}, {Text: " leader "}, {Text: "UNION", Mark: true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Mark = %+v, want %+v", got, want)
	}
}

func TestHits(t *testing.T) {
	hits := []match.Hit{
		{Term: "union", Field: match.FieldTitle, Start: 0, End: 5},
		{Term: "strike*", Field: match.FieldSummary, Start: 7, End: 13},
		{Term: "leader", Field: match.FieldTitle, Start: 6, End: 12},
	}
	if got, want := Hits(hits, match.FieldTitle), []Span{{0, 5}, {6, 12}}; !reflect.DeepEqual(got, want) {
		t.Errorf("title: %v, want %v", got, want)
	}
	if got := Hits(hits, match.FieldContent); got != nil {
		t.Errorf("content: %v, want none", got)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a\n\tb  ", "a b"},
		{"a\x00b", "a b"},
		{"\u202Egnp.exe", "gnp.exe"},
		{"ក" + zwsp + "ខ", "ក" + zwsp + "ខ"},
		{"a\xffb", "ab"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
