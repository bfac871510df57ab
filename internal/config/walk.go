package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// walker checks a yaml.Node tree against the decode structs before yaml
// decodes it. It does here what yaml's Decoder.KnownFields would do, because
// (*yaml.Node).Decode has no strict mode and decoding the raw text instead
// would bypass ${VAR} expansion. Doing it ourselves also gives every problem
// a column and a field path, and lets us drop the offending nodes so that
// decoding (and so validation) still covers the rest of the file.
type walker struct {
	env func(string) (string, bool)
	p   *problems
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walk checks n as the YAML form of a value of type t found at field.
func (w *walker) walk(n *yaml.Node, t reflect.Type, field string) {
	w.p.pos[field] = nodePos(n)
	if n.Kind == yaml.AliasNode {
		return // the anchored node was checked where it is defined
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isLeaf(t):
		w.leaf(n, field)
	case isNull(n):
		return // an empty section or list: defaults apply
	case t.Kind() == reflect.Struct:
		w.mapping(n, t, field)
	case t.Kind() == reflect.Slice:
		w.sequence(n, t.Elem(), field)
	case t.Kind() == reflect.Map:
		w.dict(n, t.Elem(), field)
	}
}

// leaf expands ${VAR} in a scalar value.
func (w *walker) leaf(n *yaml.Node, field string) {
	if n.Kind != yaml.ScalarNode {
		w.wrongKind(n, field, "a single value")
		return
	}
	w.p.leaves[nodePos(n)] = field
	out, err := expandEnv(n.Value, w.env)
	if err != nil {
		w.p.unreadable(nodePos(n), field, err.Error())
		nullify(n)
		return
	}
	if out == n.Value {
		return
	}
	n.Value = out
	if isPlain(n) {
		// yaml typed the plain scalar "${N}" as a string when it parsed it;
		// clearing the tag makes the decoder resolve the expanded value
		// afresh, so "concurrency: ${N}" can become an int.
		n.Tag = ""
	}
}

// mapping checks the keys of a mapping that decodes into struct type t,
// removing unknown and repeated keys after reporting them.
func (w *walker) mapping(n *yaml.Node, t reflect.Type, field string) {
	if n.Kind != yaml.MappingNode {
		w.wrongKind(n, field, "a mapping of keys to values")
		return
	}
	names, types := yamlFields(t)
	kept := w.keys(n, field, func(k, v *yaml.Node, sub string) bool {
		ft, ok := types[k.Value]
		if !ok {
			w.p.addAt(nodePos(k), sub, fmt.Sprintf("unknown key %q (known keys: %s)",
				k.Value, strings.Join(names, ", ")))
			return false
		}
		w.walk(v, ft, sub)
		return true
	})
	n.Content = kept
}

// dict checks a mapping with free-form keys (a Go map) whose values have
// type elem.
func (w *walker) dict(n *yaml.Node, elem reflect.Type, field string) {
	if n.Kind != yaml.MappingNode {
		w.wrongKind(n, field, "a mapping of keys to values")
		return
	}
	n.Content = w.keys(n, field, func(k, v *yaml.Node, sub string) bool {
		w.p.keys[sub] = nodePos(k)
		w.walk(v, elem, sub)
		return true
	})
}

// keys runs visit on each key/value pair of mapping n and returns the pairs
// to keep. Non-scalar and repeated keys are reported and dropped here, as
// yaml would otherwise refuse the whole mapping and hide everything else in
// it; "<<" merge keys are kept for yaml to resolve.
func (w *walker) keys(n *yaml.Node, field string, visit func(k, v *yaml.Node, sub string) bool) []*yaml.Node {
	firstLine := map[string]int{}
	kept := n.Content[:0] // filtering in place: writes never overtake reads
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" {
			kept = append(kept, k, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.p.addAt(nodePos(k), field, "keys must be plain names, not lists or mappings")
			continue
		}
		sub := joinField(field, k.Value)
		if line, dup := firstLine[k.Value]; dup {
			w.p.addAt(nodePos(k), sub, fmt.Sprintf("key %q repeated (first at line %d)", k.Value, line))
			continue
		}
		firstLine[k.Value] = k.Line
		if visit(k, v, sub) {
			kept = append(kept, k, v)
		}
	}
	return kept
}

// sequence checks each item of a list whose items have type elem.
func (w *walker) sequence(n *yaml.Node, elem reflect.Type, field string) {
	if n.Kind != yaml.SequenceNode {
		w.wrongKind(n, field, "a list")
		return
	}
	for i, item := range n.Content {
		w.walk(item, elem, fmt.Sprintf("%s[%d]", field, i))
	}
}

// wrongKind reports a node of the wrong shape and empties it, so the decoder
// neither repeats the complaint in its own words nor skips its siblings.
func (w *walker) wrongKind(n *yaml.Node, field, want string) {
	w.p.unreadable(nodePos(n), field, fmt.Sprintf("expected %s, got %s", want, describeNode(n)))
	nullify(n)
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		const max = 40 // enough to recognise the value without flooding the message
		if len(n.Value) > max {
			return fmt.Sprintf("%q...", n.Value[:max])
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// yamlFields lists the YAML keys of struct type t in declaration order,
// with the type each one decodes into. It follows yaml.v3's naming: the tag
// name, else the lower-cased field name; "-" and unexported fields are
// skipped. Inline fields are not supported as no section uses them.
func yamlFields(t reflect.Type) ([]string, map[string]reflect.Type) {
	var names []string
	types := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		names = append(names, name)
		types[name] = f.Type
	}
	return names, types
}

// isLeaf reports whether values of t are written as a single scalar.
func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Map:
		return false
	}
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isPlain reports whether n is an unquoted scalar without an explicit tag,
// i.e. one whose type yaml guesses from its text.
func isPlain(n *yaml.Node) bool {
	const notPlain = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle |
		yaml.LiteralStyle | yaml.FoldedStyle
	return n.Style&notPlain == 0
}

// nullify turns n into an empty value in place.
func nullify(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

func nodePos(n *yaml.Node) position {
	return position{n.Line, n.Column}
}
