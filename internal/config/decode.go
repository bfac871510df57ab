package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeFile runs the file through parsing, checking and decoding into raw.
// It reports false when there is no document to resolve (syntax error, empty
// file): validating defaults would only add noise to that one problem.
func decodeFile(data []byte, raw *rawFile, env func(string) (string, bool), p *problems) bool {
	root := parseDocument(data, p)
	if root == nil {
		return false
	}
	w := walker{env: env, p: p}
	w.walk(root, reflect.TypeOf(raw).Elem(), "")
	decodeNode(root, raw, p)
	return true
}

// parseDocument parses data into a node tree and returns its root, or nil
// after reporting why there is none.
func parseDocument(data []byte, p *problems) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addAt(position{}, "", "file is empty: expected the fetch: and feeds: sections")
		} else if line, col, msg, ok := locateSyntaxError(data, err); ok {
			p.addAt(position{line, col}, "", "YAML syntax: "+msg)
		} else {
			p.yamlError(err)
		}
		return nil
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if isNull(root) {
		p.addAt(nodePos(root), "", "file has no settings: expected the fetch: and feeds: sections")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.addAt(nodePos(root), "", fmt.Sprintf("expected a mapping with the fetch: and feeds: sections, got %s", describeNode(root)))
		return nil
	}
	checkSingleDocument(dec, p)
	return root
}

// checkSingleDocument rejects a second "---" document: it would silently be
// ignored, and a user who wrote one expects it to count.
func checkSingleDocument(dec *yaml.Decoder, p *problems) {
	var extra yaml.Node
	err := dec.Decode(&extra)
	switch {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
	default:
		p.addAt(nodePos(&extra), "", "more than one YAML document: put all settings in the first")
	}
}

// decodeNode decodes the checked tree into raw. yaml keeps going after a
// value of the wrong type and returns them all in one *yaml.TypeError, so
// every one becomes a Problem.
func decodeNode(root *yaml.Node, raw *rawFile, p *problems) {
	err := root.Decode(raw)
	var te *yaml.TypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		for _, msg := range te.Errors {
			p.yamlError(errors.New(msg))
		}
	default:
		p.yamlError(err)
	}
}

// yamlMsgRE splits yaml.v3 messages: syntax errors read "yaml: line N: msg",
// type errors "line N: msg", and ours from UnmarshalYAML (see nodeError)
// "line N: column C: msg".
var yamlMsgRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (?:column (\d+): )?((?s:.*))$`)

// yamlError turns one yaml message into a Problem, finding the field from
// the position it names.
func (p *problems) yamlError(err error) {
	m := yamlMsgRE.FindStringSubmatch(err.Error())
	if m == nil {
		p.addAt(position{}, "", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2]) // 0 when absent
	at := position{line, col}
	field, ok := p.leaves[at]
	if !ok {
		at, field, _ = p.leafOnLine(line)
		at.line = line // keep the line even when no field matched
	}
	p.unreadable(at, field, friendlyTypeError(m[3]))
}

var typeErrRE = regexp.MustCompile("^cannot unmarshal !!(\\w+) (`.*`) into (\\S+)$")

// friendlyTypeError rewrites yaml's "cannot unmarshal !!str `abc` into int"
// in terms of the file rather than of Go types.
func friendlyTypeError(msg string) string {
	m := typeErrRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := m[3]
	switch want {
	case "int", "int64":
		want = "a whole number"
	case "bool":
		want = "true or false"
	case "string":
		want = "text"
	}
	return fmt.Sprintf("expected %s, got %s", want, m[2])
}

// nodeError reports a bad value from an UnmarshalYAML method. A
// *yaml.TypeError makes the decoder record it and carry on with the rest of
// the file (any other error aborts decoding); the column lets yamlError find
// the exact field.
func nodeError(n *yaml.Node, format string, args ...any) error {
	msg := fmt.Sprintf("line %d: column %d: %s", n.Line, n.Column, fmt.Sprintf(format, args...))
	return &yaml.TypeError{Errors: []string{msg}}
}
