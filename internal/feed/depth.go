package feed

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxDepth is the element nesting Parse accepts. Real feeds nest fewer than
// 15 levels even with XHTML content; anything near this is an attack on the
// recursive parts of the XML and HTML parsers downstream.
const MaxDepth = 100

// ErrTooDeep reports a document nested more deeply than allowed.
var ErrTooDeep = errors.New("document nested too deeply")

// CheckDepth returns an error wrapping ErrTooDeep if the XML elements or
// JSON arrays and objects in body nest more than max levels deep.
//
// It is a single iterative pass over the bytes, with no tokenizer and no
// recursion, so a hostile document (a megabyte of "<a>" or "[") is rejected
// in about the time it takes to read it. It does not validate anything; a
// malformed body is left for the real parser to reject.
func CheckDepth(body []byte, max int) error {
	i := skipSpace(body, 0)
	if bytes.HasPrefix(body[i:], bomUTF8) {
		i = skipSpace(body, i+len(bomUTF8))
	}
	if i < len(body) && (body[i] == '{' || body[i] == '[') {
		return jsonDepth(body[i:], max)
	}
	return xmlDepth(body, max)
}

func tooDeep(max, offset int) error {
	return fmt.Errorf("%w: more than %d levels at byte %d", ErrTooDeep, max, offset)
}

// jsonDepth counts open arrays and objects, stepping over strings so that
// brackets inside them are not counted.
func jsonDepth(body []byte, max int) error {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			i = jsonStringEnd(body, i+1)
		case '{', '[':
			depth++
			if depth > max {
				return tooDeep(max, i)
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// jsonStringEnd returns the index of the quote closing a string whose
// contents start at i, or len(body) if it is never closed. A quote is
// escaped when an odd number of backslashes precede it.
func jsonStringEnd(body []byte, i int) int {
	for {
		k := bytes.IndexByte(body[i:], '"')
		if k < 0 {
			return len(body)
		}
		q := i + k
		backslashes := 0
		for j := q - 1; j >= i && body[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// span is the position of an element name in the body.
type span struct{ start, end int }

// xmlDepth refuses a document whose elements nest more than max deep.
func xmlDepth(body []byte, max int) error {
	return walkXML(body, func(t startTag) error {
		if !t.selfClosing && t.depth > max {
			return tooDeep(max, t.offset)
		}
		return nil
	})
}

// startTag is a start tag as walkXML sees it.
type startTag struct {
	parent      []byte // local name of the enclosing element; nil at the root
	name        []byte // local name
	attrs       []byte // the tag's bytes after its name, up to and including '>'
	depth       int    // open elements, this one included unless self-closing
	offset      int    // where the name starts in the document
	selfClosing bool
}

// walkXML calls visit for every start tag of an XML document, in order,
// stopping at the first error visit returns. It is a single iterative pass
// over the bytes, with no tokenizer and no recursion.
//
// It tracks open elements on an explicit stack of names. Names, not a bare
// counter, because gofeed's decoder runs in non-strict mode, where an end
// tag closes every element opened since its matching start tag; a counter
// would drift upwards on feeds with unclosed <br>s in XHTML content. A
// caller bounding the depth (xmlDepth) keeps the stack bounded.
func walkXML(body []byte, visit func(startTag) error) error {
	stack := make([]span, 0, 32)
	i := 0
	for {
		k := bytes.IndexByte(body[i:], '<')
		if k < 0 {
			return nil
		}
		i += k
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(body, i+len("<!--"), "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipPast(body, i+len("<![CDATA["), "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(body, i+len("<?"), "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipDeclaration(body, i+len("<!"))
		case bytes.HasPrefix(rest, []byte("</")):
			name := tagName(body, i+len("</"))
			stack = closeElement(body, stack, name)
			i, _ = tagEnd(body, name.end)
		case len(rest) > 1 && isNameStart(rest[1]):
			name := tagName(body, i+1)
			t := startTag{name: localName(body[name.start:name.end]), offset: name.start}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				t.parent = localName(body[top.start:top.end])
			}
			i, t.selfClosing = tagEnd(body, name.end)
			t.attrs = body[name.end:i]
			if !t.selfClosing {
				stack = append(stack, name)
			}
			t.depth = len(stack)
			if err := visit(t); err != nil {
				return err
			}
		default:
			// A lone '<' in text; the real parser will have its say.
			i++
		}
	}
}

// closeElement pops the stack down to and including the innermost element
// whose local name matches the end tag, as encoding/xml does in non-strict
// mode. A stray end tag with no match leaves the stack alone.
func closeElement(body []byte, stack []span, name span) []span {
	local := localName(body[name.start:name.end])
	for j := len(stack) - 1; j >= 0; j-- {
		if bytes.Equal(localName(body[stack[j].start:stack[j].end]), local) {
			return stack[:j]
		}
	}
	return stack
}

// localName strips a namespace prefix: encoding/xml matches end tags to
// start tags on the local part only.
func localName(name []byte) []byte {
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		return name[k+1:]
	}
	return name
}

// tagName returns the span of the element name starting at i.
func tagName(body []byte, i int) span {
	j := i
	for j < len(body) && !isXMLSpace(body[j]) && body[j] != '/' && body[j] != '>' {
		j++
	}
	return span{i, j}
}

// tagEnd finds the '>' closing a tag whose attributes start at i, stepping
// over quoted attribute values (which may contain '>' and '/'). It returns
// the index after the '>' and whether the tag was self-closing.
func tagEnd(body []byte, i int) (next int, selfClosing bool) {
	for i < len(body) {
		switch body[i] {
		case '"', '\'':
			k := bytes.IndexByte(body[i+1:], body[i])
			if k < 0 {
				return len(body), false
			}
			i += k + 2
		case '>':
			return i + 1, body[i-1] == '/'
		default:
			i++
		}
	}
	return len(body), false
}

// skipPast returns the index after the first occurrence of end at or after
// i, or len(body) when the construct is never closed.
func skipPast(body []byte, i int, end string) int {
	k := bytes.Index(body[i:], []byte(end))
	if k < 0 {
		return len(body)
	}
	return i + k + len(end)
}

// skipDeclaration steps over <!DOCTYPE ...> and similar declarations whose
// contents start at i. A DOCTYPE's internal subset, in brackets, holds
// markup declarations with their own '>' and quoted strings; none of it is
// element nesting.
func skipDeclaration(body []byte, i int) int {
	brackets := 0
	for i < len(body) {
		switch c := body[i]; {
		case c == '"' || c == '\'':
			i = skipPast(body, i+1, string(c))
		case c == '<' && bytes.HasPrefix(body[i:], []byte("<!--")):
			i = skipPast(body, i+len("<!--"), "-->")
		case c == '[':
			brackets++
			i++
		case c == ']':
			if brackets > 0 {
				brackets--
			}
			i++
		case c == '>' && brackets == 0:
			return i + 1
		default:
			i++
		}
	}
	return len(body)
}

// isNameStart reports whether c can begin an XML element name. Any
// non-ASCII byte is allowed: it starts a multi-byte letter in UTF-8.
func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}
