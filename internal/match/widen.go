package match

import "strings"

// Widen returns rule with term added where a campaigner would add a word to
// it: as an alternative in its core, the first part of a top-level AND
// that is not a NOT, not a given: condition and tests no tag (in the
// shipped rules, the group of term lists before "AND NOT …" and the test
// of place). So the new term
// keeps the rule's context and vetoes. A rule without such a part is
// widened as a whole: (rule) OR term. term is written as in a rule (a
// word, word*, "a phrase" or a Khmer string); lists resolve @names.
func Widen(rule string, lists Lists, term string) (string, error) {
	root, err := parseRule(rule, lists, func(string, string) (int, *Error) { return 0, nil })
	if err != nil {
		return "", err
	}
	if root.kind == nAnd {
		for _, k := range root.kids {
			if k.kind == nNot || k.kind == nGiven || hasTag(k) {
				continue
			}
			end := k.pos + len(k.src)
			if end > len(rule) || rule[k.pos:end] != k.src {
				break // no clean span to rewrite: widen the whole rule
			}
			return rule[:k.pos] + "(" + k.src + " OR " + term + ")" + rule[end:], nil
		}
	}
	return "(" + strings.TrimSpace(rule) + ") OR " + term, nil
}

// Narrow returns rule with a NOT of term added: (rule) AND NOT term.
func Narrow(rule string, term string) string {
	return "(" + strings.TrimSpace(rule) + ") AND NOT " + term
}

func hasTag(n *node) bool {
	if n.kind == nTag {
		return true
	}
	for _, k := range n.kids {
		if hasTag(k) {
			return true
		}
	}
	return false
}
