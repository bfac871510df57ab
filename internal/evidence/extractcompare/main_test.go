package main

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	for _, c := range []struct {
		pred, gold string
		p, r       float64
	}{
		{"The union leader, arrested.", "the union leader arrested", 1, 1},
		{"Home News The union leader arrested", "the union leader arrested", 4.0 / 6, 1},
		{"union leader", "the union leader arrested", 1, 0.5},
		{"the the the", "the union", 1.0 / 3, 0.5}, // a repeated word counts as often as the gold has it
		{"", "the union", 0, 0},
		{"សហជីព​ ចាប់ខ្លួន", "ចាប់ខ្លួន សហជីព", 1, 1}, // Khmer: marks belong to the word, zero-width spaces separate
	} {
		p, r, f := score(tokens(c.pred), tokens(c.gold))
		if math.Abs(p-c.p) > 1e-9 || math.Abs(r-c.r) > 1e-9 {
			t.Errorf("%q vs %q: p %.3f r %.3f, want %.3f %.3f", c.pred, c.gold, p, r, c.p, c.r)
		}
		if c.p+c.r > 0 && math.Abs(f-2*c.p*c.r/(c.p+c.r)) > 1e-9 {
			t.Errorf("%q: F1 %.3f", c.pred, f)
		}
	}
}
