package worddiff

import (
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"english words and punctuation", "Police arrested 3 unionists, today.",
			[]string{"Police", " ", "arrested", " ", "3", " ", "unionists", ",", " ", "today", "."}},
		{"accents stay with their letter", "cafe\u0301 ouvert", []string{"cafe\u0301", " ", "ouvert"}},
		// សហជីព (union): ស, ហ, ជី (consonant + vowel sign), ព.
		{"khmer clusters", "សហជីព", []string{"ស", "ហ", "ជី", "ព"}},
		// ក្រសួង (ministry): ក with coeng រ is one cluster, then សួ, ង.
		{"khmer coeng joins the subscript", "ក្រសួង", []string{"ក្រ", "សួ", "ង"}},
		{"zero-width space is a break", "សហជីព\u200bការងារ", []string{"ស", "ហ", "ជី", "ព", "\u200b", "កា", "រ", "ងា", "រ"}},
		{"khmer beside latin", "CNRPគណបក្ស 2024។", []string{"CNRP", "គ", "ណ", "ប", "ក្ស", " ", "2024", "។"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokens(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Join(got, "") != tt.in {
				t.Errorf("tokens do not join back to the text")
			}
		})
	}
}

func TestWordDiff(t *testing.T) {
	tests := []struct {
		name          string
		older, newer  string
		plain         string
		removed, adds []string
	}{
		{"one word changed", "Police arrested ten unionists in Phnom Penh.", "Police arrested twelve unionists in Phnom Penh.",
			"Police arrested [-ten-]{+twelve+} unionists in Phnom Penh.", []string{"ten"}, []string{"twelve"}},
		{"words removed", "The ministry suspended the association for three months.", "The ministry suspended the association.",
			"The ministry suspended the association[- for three months-].", []string{"for three months"}, nil},
		{"phrase replaced keeps spaces inside", "Leaders were charged with incitement yesterday.", "Leaders were released on bail yesterday.",
			"Leaders were [-charged with incitement-]{+released on bail+} yesterday.", []string{"charged with incitement"}, []string{"released on bail"}},
		// ក្រសួងការងារ (Ministry of Labour) became ក្រសួងមហាផ្ទៃ (Ministry of Interior).
		{"khmer word changed", "ក្រសួងការងារ បានព្រមាន", "ក្រសួងមហាផ្ទៃ បានព្រមាន",
			"ក្រសួង[-ការងារ-]{+មហាផ្ទៃ+} បានព្រមាន", []string{"ការងារ"}, []string{"មហាផ្ទៃ"}},
		{"unchanged", "same text", "same text", "same text", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diff(tt.older, tt.newer)
			if got := d.Plain(); got != tt.plain {
				t.Errorf("Plain() = %q, want %q", got, tt.plain)
			}
			rem, ins := d.Words()
			if !slices.Equal(rem, tt.removed) || !slices.Equal(ins, tt.adds) {
				t.Errorf("Words() = %q, %q; want %q, %q", rem, ins, tt.removed, tt.adds)
			}
			if d.Changed() != (tt.older != tt.newer) {
				t.Errorf("Changed() = %v", d.Changed())
			}
		})
	}
}

// TestWordDiffContext: a long unchanged text is cut around the change, so
// an edit of one word in a long article reads as that word in context.
func TestWordDiffContext(t *testing.T) {
	long := strings.Repeat("word ", 200)
	d := Diff(long+"ten people "+long, long+"twelve people "+long).Context(6)
	got := d.Plain()
	if want := "… word word word [-ten-]{+twelve+} people word word …"; !strings.Contains(got, strings.TrimSpace(want[4:len(want)-4])) {
		t.Errorf("Context(6).Plain() = %q, want it to hold %q", got, want)
	}
	if len(got) > 120 || strings.Count(got, "…") != 2 {
		t.Errorf("Context(6).Plain() = %q: the unchanged text is not cut on both sides", got)
	}
}

func TestEdits(t *testing.T) {
	// A version without text (extraction failed) is skipped, and an
	// unchanged version is no edit.
	eds := Edits([]string{"ten arrested", "", "ten arrested", "twelve arrested"})
	if len(eds) != 1 || eds[0].From != 2 || eds[0].To != 3 || eds[0].Diff.Plain() != "[-ten-]{+twelve+} arrested" {
		t.Errorf("Edits = %+v", eds)
	}
}
