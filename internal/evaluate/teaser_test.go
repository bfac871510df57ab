package evaluate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTeaser(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short text whole", "Union leader arrested.", 200, "Union leader arrested."},
		{"no limit", "Union leader arrested. Police said so.", 0, "Union leader arrested. Police said so."},
		{"last full sentence", "Union leader arrested in Phnom Penh. Police said the charge was incitement.", 50, "Union leader arrested in Phnom Penh."},
		{"word end when the sentence is too short", "Arrest. Police said the union leader was charged with incitement on Monday.", 40, "Arrest. Police said the union leader was"},
		{"Khmer sentence end", "ប៉ូលិសចាប់ខ្លួនមេដឹកនាំសហជីព។ តុលាការចោទប្រកាន់គាត់ពីបទញុះញង់", 40, "ប៉ូលិសចាប់ខ្លួនមេដឹកនាំសហជីព។"},
		// ចាប់ខ្លួន cut after ខ្ល would leave a subscript without its vowel;
		// the cut falls before the syllable ខ្លួ, whose letters stay together.
		{"Khmer without a break", "ប៉ូលិសចាប់ខ្លួនមេដឹកនាំសហជីព", 12, "ប៉ូលិសចាប់"},
		{"spaces trimmed", "  Union leader arrested.  ", 200, "Union leader arrested."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Teaser(c.in, c.max)
			if got != c.want {
				t.Errorf("Teaser(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if c.max > 0 && utf8.RuneCountInString(got) > c.max {
				t.Errorf("%d characters, more than %d", utf8.RuneCountInString(got), c.max)
			}
			if !strings.HasPrefix(strings.TrimSpace(c.in), got) {
				t.Errorf("%q is not an opening of the text", got)
			}
		})
	}
}
