package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
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
// of its title, summary and content are plain text. It returns nil when
// the document cannot be read this way, and the caller then treats every
// field as HTML, as before.
func atomTextTypes(body []byte) []atomText {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var out []atomText
	depth, entry := 0, -1 // entry is the depth of the open <entry>, -1 outside one
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case entry < 0 && t.Name.Local == "entry":
				entry = depth
				out = append(out, atomText{})
			case entry >= 0 && depth == entry+1:
				plain := plainTextType(t.Attr)
				switch t.Name.Local {
				case "title":
					out[len(out)-1].title = plain
				case "summary":
					out[len(out)-1].summary = plain
				case "content":
					out[len(out)-1].content = plain
				}
			}
		case xml.EndElement:
			if depth == entry {
				entry = -1
			}
			depth--
		}
	}
}

// plainTextType mirrors gofeed's reading of an Atom text construct: text
// when the type says so, or when neither type nor (Atom 0.3) mode is
// given. "text/html" and other MIME types are not plain text.
func plainTextType(attrs []xml.Attr) bool {
	var typ, mode string
	for _, a := range attrs {
		switch a.Name.Local {
		case "type":
			typ = strings.ToLower(strings.TrimSpace(a.Value))
		case "mode":
			mode = strings.ToLower(strings.TrimSpace(a.Value))
		}
	}
	return typ == "text" || typ == "text/plain" || (typ == "" && mode == "")
}
