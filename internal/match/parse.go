package match

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rule language, from loosest to tightest binding (docs/rules.md):
//
//	or      = and { "OR" and }
//	and     = unary { ["AND"] unary }
//	unary   = "NOT" unary | near
//	near    = except { "NEAR/n" except }
//	except  = primary { "EXCEPT" primary }
//	primary = ("title:" | "text:" | "article:") primary | "given:" primary | word | phrase | @list | tag:name | "(" or ")"

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tPhrase
	tList
	tTag
	tScope
	tGiven
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tNear
	tExcept
)

type token struct {
	kind tokKind
	text string // word, phrase content, list or tag name, scope name
	pos  int    // byte offset in the rule
	end  int
	n    int // NEAR distance
}

func (t token) src(rule string) string {
	if t.kind == tEOF {
		return ""
	}
	return rule[t.pos:t.end]
}

// maxDepth bounds nesting so that a hostile rule cannot exhaust the stack.
const maxDepth = 64

func lex(rule string) ([]token, *Error) {
	var toks []token
	for i := 0; i < len(rule); {
		r, size := utf8.DecodeRuneInString(rule[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(' || r == ')':
			k := tLParen
			if r == ')' {
				k = tRParen
			}
			toks = append(toks, token{kind: k, pos: i, end: i + 1})
			i++
		case r == '"':
			end := strings.IndexByte(rule[i+1:], '"')
			if end < 0 {
				return nil, &Error{Offset: i, Token: `"`, Msg: `unterminated phrase: no closing "`}
			}
			toks = append(toks, token{kind: tPhrase, text: rule[i+1 : i+1+end], pos: i, end: i + end + 2})
			i += end + 2
		case strings.HasPrefix(rule[i:], "given:"):
			toks = append(toks, token{kind: tGiven, text: "given", pos: i, end: i + len("given:")})
			i += len("given:")
		case strings.HasPrefix(rule[i:], "title:") || strings.HasPrefix(rule[i:], "text:") || strings.HasPrefix(rule[i:], "article:"):
			name, _, _ := strings.Cut(rule[i:], ":")
			toks = append(toks, token{kind: tScope, text: name, pos: i, end: i + len(name) + 1})
			i += len(name) + 1
		default:
			start := i
			for i < len(rule) {
				r, size := utf8.DecodeRuneInString(rule[i:])
				if unicode.IsSpace(r) || r == '(' || r == ')' || r == '"' {
					break
				}
				i += size
			}
			tok, err := wordToken(rule[start:i], start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(rule), end: len(rule)}), nil
}

func wordToken(w string, pos int) (token, *Error) {
	t := token{kind: tWord, text: w, pos: pos, end: pos + len(w)}
	switch {
	case w == "AND":
		t.kind = tAnd
	case w == "OR":
		t.kind = tOr
	case w == "NOT":
		t.kind = tNot
	case w == "EXCEPT":
		t.kind = tExcept
	case w == "NEAR" || strings.HasPrefix(w, "NEAR/"):
		n, err := strconv.Atoi(strings.TrimPrefix(w, "NEAR/"))
		if err != nil || n < 1 || n > 1000 {
			return t, &Error{Offset: pos, Token: w, Msg: "NEAR needs a distance in words from 1 to 1000, as in NEAR/5"}
		}
		t.kind, t.n = tNear, n
	case strings.HasPrefix(w, "@"):
		t.kind, t.text = tList, w[1:]
		if t.text == "" {
			return t, &Error{Offset: pos, Token: w, Msg: "@ needs a list name, as in @cambodia"}
		}
	case strings.HasPrefix(w, "tag:"):
		t.kind, t.text = tTag, strings.ToLower(w[4:])
		if t.text == "" {
			return t, &Error{Offset: pos, Token: w, Msg: "tag: needs a tag name, as in tag:cambodia"}
		}
	}
	return t, nil
}

type nodeKind uint8

const (
	nTerm nodeKind = iota
	nTag
	nOr
	nAnd
	nNot
	nNear
	nExcept
	// nGiven is a condition whose hits are no reason: given:(@cambodia OR
	// tag:cambodia) must hold for the rule to match, but the digest and
	// explain name its words apart, since "Phnom Penh" or a Khmer "and"
	// says where or in what script, not what happened.
	nGiven
)

// node is a parsed rule. Term sets (terms, lists, and OR, NEAR and EXCEPT of
// term sets) yield hits; the rest yield only true or false.
type node struct {
	kind  nodeKind
	kids  []*node
	term  int    // nTerm: index into the compiled terms
	scope scope  // nTerm: where the term may be found
	tag   string // nTag
	near  int    // nNear: distance in words
	pos   int    // offset in the rule, for messages
	src   string // the rule text of this node, for explanations
	list  string // nTerm: the @list it came from, for explanations
	memo  int    // nOr, nNear, nExcept: 1 + its slot in run.memo; 0 for none
}

type scope uint8

const (
	anyField scope = iota
	titleOnly
	textOnly    // anywhere but the title: summary, content or article
	articleOnly // the captured article's text alone
)

// scopes maps a field prefix of the rule language to its scope.
var scopes = map[string]scope{"title": titleOnly, "text": textOnly, "article": articleOnly}

func (n *node) isTermSet() bool {
	switch n.kind {
	case nTerm, nNear, nExcept:
		return true
	case nOr:
		for _, k := range n.kids {
			if !k.isTermSet() {
				return false
			}
		}
		return true
	}
	return false
}

// parser turns tokens into nodes, interning terms through add.
type parser struct {
	rule  string
	toks  []token
	i     int
	depth int
	lists Lists
	add   func(text string, from string) (int, *Error) // interns a term, returns its index
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) fail(t token, format string, args ...any) *Error {
	return &Error{Offset: t.pos, Token: t.src(p.rule), Msg: fmt.Sprintf(format, args...)}
}

func parseRule(rule string, lists Lists, add func(string, string) (int, *Error)) (*node, *Error) {
	toks, err := lex(rule)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		return nil, &Error{Msg: "empty rule"}
	}
	p := &parser{rule: rule, toks: toks, lists: lists, add: add}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.fail(t, `unexpected ")" (no "(" to close)`)
		}
		return nil, p.fail(t, "unexpected %q", t.src(rule))
	}
	return n, nil
}

func (p *parser) or() (*node, *Error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		op := p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = p.join(nOr, op, left, right)
	}
	return left, nil
}

// startsOperand reports whether t can begin an operand, which makes AND
// implicit between two operands.
func startsOperand(t token) bool {
	switch t.kind {
	case tWord, tPhrase, tList, tTag, tScope, tGiven, tLParen, tNot:
		return true
	}
	return false
}

func (p *parser) and() (*node, *Error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op.kind == tAnd {
			p.next()
		} else if !startsOperand(op) {
			return left, nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = p.join(nAnd, op, left, right)
	}
}

func (p *parser) unary() (*node, *Error) {
	if t := p.peek(); t.kind == tNot {
		p.next()
		return p.prefixed(t, nNot, p.unary)
	}
	return p.nearExpr()
}

// prefixed parses with parse the operand of the prefix operator t (NOT,
// given:), already read, and wraps it in a node of kind.
func (p *parser) prefixed(t token, kind nodeKind, parse func() (*node, *Error)) (*node, *Error) {
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	operand, err := parse()
	if err != nil {
		return nil, err
	}
	return &node{kind: kind, kids: []*node{operand}, pos: t.pos, src: p.rule[t.pos:p.prevEnd()]}, nil
}

func (p *parser) nearExpr() (*node, *Error) {
	left, err := p.except()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tNear {
		op := p.next()
		right, err := p.except()
		if err != nil {
			return nil, err
		}
		if err := p.needTerms(op, left, right); err != nil {
			return nil, err
		}
		n := p.join(nNear, op, left, right)
		n.near = op.n
		left = n
	}
	return left, nil
}

func (p *parser) except() (*node, *Error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tExcept {
		op := p.next()
		right, err := p.primary()
		if err != nil {
			return nil, err
		}
		if err := p.needTerms(op, left, right); err != nil {
			return nil, err
		}
		left = p.join(nExcept, op, left, right)
	}
	return left, nil
}

func (p *parser) needTerms(op token, left, right *node) *Error {
	if !left.isTermSet() || !right.isTermSet() {
		return p.fail(op, "%s needs terms on both sides (words, phrases, lists or OR of them), not AND, NOT or tag:", op.src(p.rule))
	}
	return nil
}

// join builds a binary node; both sides of a chain of the same operator are
// flattened so evaluation stays shallow.
func (p *parser) join(kind nodeKind, op token, left, right *node) *node {
	src := p.rule[min(left.pos, op.pos):p.prevEnd()]
	if left.kind == kind && kind != nNear && kind != nExcept {
		left.kids = append(left.kids, right)
		left.src = src
		return left
	}
	return &node{kind: kind, kids: []*node{left, right}, pos: left.pos, src: src}
}

func (p *parser) prevEnd() int {
	if p.i == 0 {
		return 0
	}
	return p.toks[p.i-1].end
}

func (p *parser) enter(t token) *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail(t, "rule nested more than %d deep", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) primary() (*node, *Error) {
	t := p.next()
	switch t.kind {
	case tWord, tPhrase:
		idx, err := p.add(t.text, t.src(p.rule))
		if err != nil {
			err.Offset, err.Token = t.pos, t.src(p.rule)
			return nil, err
		}
		return &node{kind: nTerm, term: idx, pos: t.pos, src: t.src(p.rule)}, nil
	case tList:
		return p.list(t)
	case tTag:
		return &node{kind: nTag, tag: t.text, pos: t.pos, src: t.src(p.rule)}, nil
	case tScope:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		inner, err := p.primary()
		if err != nil {
			return nil, err
		}
		if !inner.isTermSet() {
			return nil, p.fail(t, "%s applies to terms, not to AND, NOT or tag:", t.src(p.rule))
		}
		setScope(inner, scopes[t.text])
		inner.pos, inner.src = t.pos, p.rule[t.pos:p.prevEnd()]
		return inner, nil
	case tGiven:
		return p.prefixed(t, nGiven, p.primary)
	case tLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tRParen {
			return nil, p.fail(t, `"(" is not closed`)
		}
		p.next()
		inner.src = p.rule[t.pos:p.prevEnd()]
		inner.pos = t.pos
		return inner, nil
	case tEOF:
		return nil, p.fail(t, "the rule ends where a term was expected")
	case tRParen:
		return nil, p.fail(t, `unexpected ")" where a term was expected`)
	default:
		return nil, p.fail(t, "%s where a term was expected", t.src(p.rule))
	}
}

// list expands @name into an OR of its terms.
func (p *parser) list(t token) (*node, *Error) {
	terms, ok := p.lists[t.text]
	if !ok {
		return nil, p.fail(t, "unknown list @%s", t.text)
	}
	n := &node{kind: nOr, pos: t.pos, src: t.src(p.rule)}
	for _, term := range terms {
		idx, err := p.add(term, term)
		if err != nil {
			return nil, p.fail(t, "in list @%s: %s", t.text, err.Msg)
		}
		n.kids = append(n.kids, &node{kind: nTerm, term: idx, pos: t.pos, src: term, list: "@" + t.text})
	}
	return n, nil
}

// setScope restricts every term under n to one field; an inner scope,
// written closer to the term, wins.
func setScope(n *node, sc scope) {
	if n.kind == nTerm {
		if n.scope == anyField {
			n.scope = sc
		}
		return
	}
	for _, k := range n.kids {
		setScope(k, sc)
	}
}
