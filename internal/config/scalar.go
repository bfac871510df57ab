package config

import (
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// scalarAt is where a scalar starts in the file (1-based, as yaml.Node
// gives it: the first character for a plain scalar, the opening quote for a
// quoted one, the | or > indicator for a block scalar) and how it is written.
type scalarAt struct {
	line, col int
	style     yaml.Style
}

// offsetPos returns the file position of the byte at offset in value, the
// decoded text of the scalar. It replays the scalar's source character by
// character against value: line folding, indentation, doubled quotes in
// single-quoted text and escapes in double-quoted text take source
// characters that are not in the value, or stand for one. Where the two
// cannot be aligned (a ${VAR} was expanded, say) it falls back to the start
// of the scalar. An offset at the end of value is placed just after its last
// character.
func (s scalarAt) offsetPos(src [][]rune, value string, offset int) position {
	start := position{s.line, s.col}
	if s.line < 1 || s.line > len(src) || s.col < 1 {
		return start
	}
	r := newCellReader(src, s)
	after := start // just after the last aligned character
	for i, v := range value {
		c, ok := r.align(v)
		if !ok {
			return start
		}
		here := position{c.line + 1, c.col + 1}
		if offset < i+utf8.RuneLen(v) {
			return here
		}
		after = position{here.line, here.col + 1}
	}
	return after
}

// cell is one character of a scalar's source, 0-based. An escape sequence
// of a double-quoted scalar is one cell that stands for any character.
type cell struct {
	r         rune
	line, col int
	escape    bool
}

// cellReader yields the characters of a scalar's source in order, leaving
// out what can never be part of the value: quotes, the indentation of
// continuation lines and block scalars, escaped line breaks. Line breaks are
// yielded as '\n'.
type cellReader struct {
	src     [][]rune
	style   yaml.Style
	l, c    int  // next character
	indent  int  // block scalars: indentation of the content
	done    bool // the closing quote or the end of a block scalar was reached
	escaped bool // double quotes: the line ended with a backslash
}

func newCellReader(src [][]rune, s scalarAt) *cellReader {
	r := &cellReader{src: src, style: s.style, l: s.line - 1, c: s.col - 1}
	switch {
	case s.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The content starts on the line after the indicator; its
		// indentation is that of its first non-blank line.
		r.l++
		r.indent = -1
		for l := r.l; l < len(src) && r.indent < 0; l++ {
			if n := leadingSpaces(src[l]); n < len(src[l]) {
				r.indent = n
			}
		}
		r.c = min(max(r.indent, 0), r.lineLen())
	case s.style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		r.c++ // past the opening quote
	}
	return r
}

// align returns the next cell that yields v, skipping whitespace that
// folding or chomping took out of the value. It fails on any other
// mismatch.
func (r *cellReader) align(v rune) (cell, bool) {
	for {
		c, ok := r.next()
		if !ok {
			return cell{}, false
		}
		switch {
		case c.escape || c.r == v:
			return c, true
		case c.r == '\n' && v == ' ': // a folded line break
			return c, true
		case c.r == ' ' || c.r == '\t' || c.r == '\n':
			continue // trailing spaces, or one of several line breaks
		}
		return cell{}, false
	}
}

func (r *cellReader) lineLen() int {
	if r.l >= len(r.src) {
		return 0
	}
	return len(r.src[r.l])
}

func (r *cellReader) next() (cell, bool) {
	block := r.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	for !r.done && r.l < len(r.src) {
		line := r.src[r.l]
		if r.c >= len(line) {
			if !r.nextLine(block) {
				return cell{}, false
			}
			if r.escaped {
				r.escaped = false
				continue
			}
			return cell{r: '\n', line: r.l - 1, col: len(line)}, true
		}
		ch, at := line[r.c], r.c
		switch {
		case r.style&yaml.SingleQuotedStyle != 0 && ch == '\'':
			if r.c+1 < len(line) && line[r.c+1] == '\'' {
				r.c += 2
				return cell{r: '\'', line: r.l, col: at}, true
			}
			r.done = true
			return cell{}, false
		case r.style&yaml.DoubleQuotedStyle != 0 && ch == '"':
			r.done = true
			return cell{}, false
		case r.style&yaml.DoubleQuotedStyle != 0 && ch == '\\':
			if r.c+1 >= len(line) {
				r.c++
				r.escaped = true
				continue
			}
			r.c = min(r.c+2+escapeDigits(line[r.c+1]), len(line))
			return cell{line: r.l, col: at, escape: true}, true
		}
		r.c++
		return cell{r: ch, line: r.l, col: at}, true
	}
	return cell{}, false
}

// nextLine moves to the start of the next line's content, and reports false
// at the end of the scalar.
func (r *cellReader) nextLine(block bool) bool {
	r.l++
	if r.l >= len(r.src) {
		return false
	}
	line := r.src[r.l]
	n := leadingSpaces(line)
	if !block {
		for n < len(line) && (line[n] == ' ' || line[n] == '\t') { // flow continuation lines may indent with tabs
			n++
		}
		r.c = n
		return true
	}
	if n < len(line) && n < r.indent { // a less indented line ends the block
		r.done = true
		return false
	}
	r.c = min(r.indent, len(line))
	return true
}

// escapeDigits is how many characters follow the letter of a double-quoted
// escape: \xXX, \uXXXX, \UXXXXXXXX.
func escapeDigits(letter rune) int {
	switch letter {
	case 'x':
		return 2
	case 'u':
		return 4
	case 'U':
		return 8
	}
	return 0
}

func leadingSpaces(line []rune) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}
