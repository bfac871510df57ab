package match

import "testing"

func TestWiden(t *testing.T) {
	lists := Lists{"u": {"union"}, "kh": {"Cambodia"}}
	for _, c := range []struct{ rule, want string }{
		{`(@u OR strike) AND NOT title:football AND (@kh OR tag:cambodia)`, `((@u OR strike) OR ចាប់ខ្លួន) AND NOT title:football AND (@kh OR tag:cambodia)`},
		{`tag:cambodia AND @u`, `tag:cambodia AND (@u OR ចាប់ខ្លួន)`},
		{`@u NEAR/3 arrest* @kh`, `(@u NEAR/3 arrest* OR ចាប់ខ្លួន) @kh`},
		{`@u OR strike`, `(@u OR strike) OR ចាប់ខ្លួន`},
		{"tag:cambodia AND NOT x", "(tag:cambodia AND NOT x) OR ចាប់ខ្លួន"},
		{"given:@kh AND @u", "given:@kh AND (@u OR ចាប់ខ្លួន)"},
	} {
		got, err := Widen(c.rule, lists, "ចាប់ខ្លួន")
		if err != nil || got != c.want {
			t.Errorf("Widen(%q) = %q, %v; want %q", c.rule, got, err, c.want)
		}
		if _, err := Compile([]Topic{{ID: "t", Rule: got}}, lists); err != nil {
			t.Errorf("%q does not compile: %v", got, err)
		}
	}
	if _, err := Widen("(x", nil, "y"); err == nil {
		t.Error("a rule that does not parse was widened")
	}
}
