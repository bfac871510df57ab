package config

import (
	"bytes"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The search for a syntax error's place parses the file again once per
// line and once per character of the failing line; these bound its work on
// a file far larger, or a line far longer, than any config.
const (
	maxLocate       = 1 << 20
	maxLocateColumn = 1000
)

// syntaxMsgRE matches a yaml.v3 syntax error: "yaml: line N: message".
var syntaxMsgRE = regexp.MustCompile(`^yaml: line (\d+): ((?s:.*))$`)

// locateSyntaxError finds where the YAML parser failed. yaml.v3 reports a
// syntax error at the line where the enclosing block began when it knows
// one (an indentation mistake on line 4 of a list that starts on line 1 is
// reported at line 1), and never with a column. The parser reads from the
// start, so the first prefix of the file that fails with the same message
// ends where it failed: that prefix is looked for line by line from the
// reported line on, then character by character within the line.
func locateSyntaxError(data []byte, err error) (line, col int, msg string, ok bool) {
	m := syntaxMsgRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, 0, "", false
	}
	reported, _ := strconv.Atoi(m[1])
	msg = m[2]
	if len(data) > maxLocate {
		return reported, 0, msg, true // the search parses the file again per line
	}
	fails := func(prefix []byte) bool {
		var n yaml.Node
		e := yaml.Unmarshal(prefix, &n)
		if e == nil {
			return false
		}
		pm := syntaxMsgRE.FindStringSubmatch(e.Error())
		return pm != nil && pm[2] == msg
	}
	starts := lineStarts(data)
	for n := max(reported-1, 1); n < len(starts); n++ {
		end := len(data)
		if n+1 < len(starts) {
			end = starts[n+1]
		}
		if !fails(data[:end]) {
			continue
		}
		// Within the line: the shortest prefix that fails the same way.
		col = 1
		for off := starts[n]; off < end && col <= maxLocateColumn; {
			_, size := utf8.DecodeRune(data[off:])
			off += size
			if fails(data[:off]) {
				return n, col, msg, true
			}
			col++
		}
		return n, firstNonSpace(data[starts[n]:end]), msg, true
	}
	return reported, 0, msg, true
}

// firstNonSpace is the 1-based column of a line's first character that is
// not a space or tab, 1 for a blank line.
func firstNonSpace(l []byte) int {
	trimmed := bytes.TrimLeft(l, " \t")
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return 1
	}
	return utf8.RuneCount(l[:len(l)-len(trimmed)]) + 1
}
