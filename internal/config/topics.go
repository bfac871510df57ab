package config

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/civicwatch/civicwatch/internal/match"
	"go.yaml.in/yaml/v3"
)

// Topic is one configured topic: stories matching its rule are filed under
// it. The rule language is described in docs/rules.md.
type Topic struct {
	ID   string // stable key stored with every match: [a-z0-9-]+, unique
	Name string // for people; defaults to ID
	Rule string // as written, ${VAR} expanded
	Line int    // line of the topic in the file, for messages
}

// rawTopic is one topics[] item as decoded.
type rawTopic struct {
	ID   string    `yaml:"id"`
	Name string    `yaml:"name"`
	Rule ruleValue `yaml:"rule"`
}

// ruleValue is a rule together with where and how its scalar is written,
// so that a byte offset reported by the rule compiler can be turned back
// into a line and column of the file.
type ruleValue struct {
	Text string
	at   scalarAt
}

func (r *ruleValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a rule, got %s", describeNode(n))
	}
	r.Text = n.Value
	r.at = scalarAt{line: n.Line, col: n.Column, style: n.Style}
	return nil
}

var listNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// resolveLists checks list names and that no list is empty. The terms
// themselves are checked when the rules are compiled.
func resolveLists(raw map[string][]string, p *problems) match.Lists {
	lists := make(match.Lists, len(raw))
	for name, terms := range raw {
		field := "lists." + name
		switch {
		case !listNameRE.MatchString(name):
			p.addAt(p.keys[field], field, fmt.Sprintf("invalid list name %q: use lower-case letters, digits and underscores", name))
		case len(terms) == 0:
			p.add(field, "list %s is empty: give it at least one term, or remove it", name)
		}
		lists[name] = terms
	}
	return lists
}

// RedundantTerms lists, list by list in name order, the terms that match
// exactly what an earlier term of the same list matches (the same words
// once case, punctuation and the spellings the matcher reads as one are set
// aside): harmless, so the config is not refused, but each is a line an
// operator reads for nothing, or a variant they believe is needed.
func (c *Config) RedundantTerms() []string {
	names := make([]string, 0, len(c.Lists))
	for name := range c.Lists {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []string
	for _, name := range names {
		first := map[string]string{}
		for _, t := range c.Lists[name] {
			k := match.TermKey(t)
			if prev, ok := first[k]; ok {
				out = append(out, fmt.Sprintf("lists.%s: %q matches what %q does", name, t, prev))
				continue
			}
			first[k] = t
		}
	}
	return out
}

// resolveTopics resolves every topic and checks that ids are unique.
func resolveTopics(raws []rawTopic, p *problems) []Topic {
	topics := make([]Topic, 0, len(raws))
	firstLine := map[string]int{} // id → line of its first use
	for i, r := range raws {
		field := fmt.Sprintf("topics[%d]", i)
		t := Topic{
			ID:   r.ID,
			Name: cmp.Or(r.Name, r.ID),
			Rule: r.Rule.Text,
			Line: p.where(field).line,
		}
		if err := checkTopicID(t.ID); err != nil {
			p.add(field+".id", "%v", err)
		} else if line, dup := firstLine[t.ID]; dup {
			p.add(field+".id", "duplicate id %q (first used at line %d)", t.ID, line)
		} else {
			firstLine[t.ID] = p.where(field + ".id").line
		}
		if strings.TrimSpace(t.Rule) == "" {
			p.add(field+".rule", "missing: every topic needs a rule (see docs/rules.md)")
		}
		topics = append(topics, t)
	}
	return topics
}

func checkTopicID(id string) error {
	switch {
	case id == "":
		return errors.New("missing: every topic needs an id")
	case len(id) > maxIDLen:
		return fmt.Errorf("id %q is longer than %d characters", id, maxIDLen)
	case !idRE.MatchString(id):
		return fmt.Errorf("invalid id %q: use lower-case letters, digits and hyphens, starting with a letter or digit", id)
	}
	return nil
}

// compileRules compiles the topics' rules over the lists. It is called only
// when the lists and topics sections are otherwise sound, so that a rule is
// not blamed for a list that was already reported. A config without topics
// still gets (empty) Rules, so callers need no nil checks.
func compileRules(raws []rawTopic, topics []Topic, lists match.Lists, src [][]rune, p *problems) *match.Rules {
	mt := make([]match.Topic, len(topics))
	for i, t := range topics {
		mt[i] = match.Topic{ID: t.ID, Name: t.Name, Rule: t.Rule}
	}
	rules, err := match.Compile(mt, lists)
	if err == nil {
		return rules
	}
	var errs match.Errors
	if !errors.As(err, &errs) {
		p.add("topics", "%v", err)
		return nil
	}
	for _, e := range errs {
		if e.Topic >= 0 && e.Topic < len(raws) {
			at, field, msg := ruleProblem(e, raws[e.Topic].Rule, src)
			p.addAt(at, field, msg)
			continue
		}
		field := "lists." + e.List
		if e.Term >= 0 {
			field = fmt.Sprintf("%s[%d]", field, e.Term)
		}
		p.add(field, "%s", e.Msg)
	}
	return nil
}

// ruleProblem turns a compiler error in a topic's rule into a position in
// the file, a field path and a message naming the offending token.
func ruleProblem(e *match.Error, rule ruleValue, src [][]rune) (position, string, string) {
	field := fmt.Sprintf("topics[%d].rule", e.Topic)
	msg := e.Msg
	if tok := e.Token; tok != "" && !strings.Contains(msg, tok) && !strings.Contains(msg, strings.Trim(tok, `"`)) {
		msg = fmt.Sprintf("%s (at %q)", msg, tok)
	}
	return rule.at.offsetPos(src, rule.Text, e.Offset), field, msg
}

// sourceLines splits a file into lines of runes, as yaml counts columns in
// characters.
func sourceLines(data []byte) [][]rune {
	text := strings.Split(string(data), "\n")
	lines := make([][]rune, len(text))
	for i, l := range text {
		lines[i] = []rune(strings.TrimSuffix(l, "\r"))
	}
	return lines
}
