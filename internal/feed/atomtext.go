package feed

import (
	"bytes"
	"strings"
)

// atomText says which text constructs of one Atom entry are plain text
// (type="text", the default). gofeed has already decoded their entities
// once, as XML requires, and what it returns is the text itself: decoding
// it again as HTML would turn a title written "&amp;amp;" (the text
// "&amp;") into "&", and take a literal "<b>" in a text title for a tag.
// gofeed does not keep the type, so it is read from the document.
type atomText struct {
	title, summary, content bool
}

// atomTextTypes reads, for each entry of an Atom document in order, which
// of its title, summary and content are plain text. It walks the tags as
// CheckDepth does (walkXML), a fraction of what a tokenizer costs.
func atomTextTypes(body []byte) []atomText {
	var out []atomText
	_ = walkXML(body, func(t startTag) error {
		switch {
		case string(t.name) == "entry":
			out = append(out, atomText{})
		case len(out) > 0 && string(t.parent) == "entry":
			plain := plainTextType(t.attrs)
			switch string(t.name) {
			case "title":
				out[len(out)-1].title = plain
			case "summary":
				out[len(out)-1].summary = plain
			case "content":
				out[len(out)-1].content = plain
			}
		}
		return nil
	})
	return out
}

// plainTextType mirrors gofeed's reading of an Atom text construct: text
// when the type says so, or when neither type nor (Atom 0.3) mode is
// given. "text/html" and other MIME types are not plain text.
func plainTextType(attrs []byte) bool {
	typ := strings.ToLower(strings.TrimSpace(attrValue(attrs, "type")))
	mode := strings.TrimSpace(attrValue(attrs, "mode"))
	return typ == "text" || typ == "text/plain" || (typ == "" && mode == "")
}

// attrValue returns the value of the attribute named name (its local
// part) in the bytes of a tag after its name, entities left as written.
func attrValue(attrs []byte, name string) string {
	i := 0
	for i < len(attrs) {
		for i < len(attrs) && (isXMLSpace(attrs[i]) || attrs[i] == '/') {
			i++
		}
		j := i
		for j < len(attrs) && attrs[j] != '=' && !isXMLSpace(attrs[j]) && attrs[j] != '>' && attrs[j] != '/' {
			j++
		}
		key := localName(attrs[i:j])
		for j < len(attrs) && isXMLSpace(attrs[j]) {
			j++
		}
		if j >= len(attrs) || attrs[j] != '=' {
			if j == i {
				return ""
			}
			i = j
			continue
		}
		j++
		for j < len(attrs) && isXMLSpace(attrs[j]) {
			j++
		}
		if j >= len(attrs) || (attrs[j] != '"' && attrs[j] != '\'') {
			return ""
		}
		k := bytes.IndexByte(attrs[j+1:], attrs[j])
		if k < 0 {
			return ""
		}
		if string(key) == name {
			return string(attrs[j+1 : j+1+k])
		}
		i = j + k + 2
	}
	return ""
}
