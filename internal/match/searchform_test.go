package match

import "testing"

func TestSearchForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Union leader ARRESTED, (again)", "Union leader ARRESTED, (again)"}, // Latin is left to the index
		{"ក្រសួង\u200bការងារ និង\u200bបណ្ដុះបណ្ដាល", "ក្រសួងការងារ និងបណ្តុះបណ្តាល"},
		{"ហាមមិនអោយ ជួបជុំ។ ហាមមិនឱ្យ", "ហាមមិនឲ្យ ជួបជុំ។ ហាមមិនឲ្យ"}, // spaces and ។ stay
		{"អ្នកការពារសិទិ្ធមនុស្ស ត្រូវឃំុខ្លួន", "អ្នកការពារសិទ្ធិមនុស្ស ត្រូវឃុំខ្លួន"},
		{"រដ្ឋមន្រ្តី ធ្វេីការ", "រដ្ឋមន្ត្រី ធ្វើការ"},
		{"NGO \u200b\u200b staff", "NGO  staff"}, // zero-width characters alone go too
		{"Café ស្ត្រី", "Café ស្ត្រី"},
		{"", ""},
	} {
		got := SearchForm(tc.in)
		if got != tc.want {
			t.Errorf("SearchForm(%+q) = %+q, want %+q", tc.in, got, tc.want)
		}
		if again := SearchForm(got); again != got {
			t.Errorf("SearchForm is not idempotent on %+q: %+q", got, again)
		}
		// The offsets lead back into the text, byte for byte where
		// nothing was read differently.
		form, at := SearchFormOffsets(tc.in)
		if form != got || len(at) != len(form) {
			t.Errorf("SearchFormOffsets(%+q) = %+q with %d offsets, want %+q", tc.in, form, len(at), got)
		}
		for k, o := range at {
			if o < 0 || o >= len(tc.in) || got == tc.in && o != k {
				t.Errorf("SearchFormOffsets(%+q): byte %d maps to %d", tc.in, k, o)
			}
		}
		// What the rules read, the search form reads alike.
		if Normalize(got) != Normalize(tc.in) {
			t.Errorf("Normalize(SearchForm(%+q)) = %+q, Normalize of it %+q", tc.in, Normalize(got), Normalize(tc.in))
		}
	}
	plain := "Garment workers strike"
	if got := SearchForm(plain); got != plain {
		t.Errorf("plain text changed: %q", got)
	}
}
