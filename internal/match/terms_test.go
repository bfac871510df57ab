package match

import (
	"slices"
	"testing"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		name string
		hits []Hit
		want []string
	}{
		{"none", nil, []string{}},
		{"title before summary before content, then by offset", []Hit{
			{Term: "union*", Field: FieldContent, Start: 0},
			{Term: "arrest*", Field: FieldSummary, Start: 9},
			{Term: "strike", Field: FieldSummary, Start: 2},
			{Term: "Cambodia", Field: FieldTitle, Start: 30},
		}, []string{"Cambodia", "strike", "arrest*", "union*"}},
		{"each term once", []Hit{
			{Term: "union*", Field: FieldTitle, Start: 0},
			{Term: "union*", Field: FieldContent, Start: 4},
			{Term: "strike", Field: FieldContent, Start: 0},
		}, []string{"union*", "strike"}},
	} {
		if got := Terms(tc.hits); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
