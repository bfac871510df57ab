package feed

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// xmlDeclScanLimit bounds the search for the end of an XML declaration. A
// real declaration is well under 100 bytes; the limit keeps a body that
// starts with "<?xml" but never closes it from costing a full scan.
const xmlDeclScanLimit = 512

// ToUTF8 returns body as valid UTF-8 whatever encoding it arrived in.
//
// The encoding is taken, in order, from a byte order mark, the XML
// declaration, and the charset parameter of contentType; a charset from
// contentType alone is overruled by a body that is valid, non-ASCII UTF-8.
// A declared non-UTF-8 encoding is transcoded and the declaration rewritten to say
// UTF-8, so that encoding/xml (inside gofeed) does not transcode a second
// time. A body with no usable declaration that is not valid UTF-8 is read as
// windows-1252, the encoding such feeds almost always turn out to be in. A
// body declared UTF-8 but invalid has each bad run replaced by U+FFFD.
//
// The common case, valid UTF-8 declared as UTF-8 or not at all, returns body
// itself without copying.
func ToUTF8(body []byte, contentType string) ([]byte, error) {
	switch {
	case bytes.HasPrefix(body, bomUTF8):
		// A BOM outranks any declaration (WHATWG encoding sniffing).
		return rewriteDeclEncoding(fromDeclaredUTF8(body[len(bomUTF8):])), nil
	case bytes.HasPrefix(body, bomUTF16LE):
		return transcode(body, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le")
	case bytes.HasPrefix(body, bomUTF16BE):
		return transcode(body, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be")
	}
	// UTF-16 without a BOM still shows itself: "<?" with a NUL byte on one
	// side of each ASCII character.
	if bytes.HasPrefix(body, []byte("<\x00?\x00")) {
		return transcode(body, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le")
	}
	if bytes.HasPrefix(body, []byte("\x00<\x00?")) {
		return transcode(body, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be")
	}

	label, inDecl := declaredEncoding(body, contentType)
	switch {
	case label == "":
		return fromUTF8(body, false)
	case strings.EqualFold(label, "utf-8"):
		// The common case, spelled out to skip a lookup that allocates.
		return fromDeclaredUTF8(body), nil
	}
	enc, name, err := lookupEncoding(label)
	if err != nil {
		// An unknown label is noise, not information: guess as if nothing were
		// declared, but take the label out of the declaration, where it would
		// make encoding/xml fail.
		return fromUTF8(body, inDecl)
	}
	switch name {
	case "utf-8":
		// Spellings such as "utf8" are accepted by gofeed's charset reader,
		// so the declaration can stay as it is.
		return fromDeclaredUTF8(body), nil
	case "utf-16le", "utf-16be":
		// The declaration or header was readable as ASCII, so the body is
		// not UTF-16 whatever it claims (the UTF-16 cases were caught above).
		return fromUTF8(body, inDecl)
	}
	if !inDecl && isUTF8Text(body) {
		// Servers label everything with their default charset (Apache's
		// iso-8859-1 is the classic), while text in a legacy encoding almost
		// never happens to form valid multi-byte UTF-8. The document's own
		// declaration, by contrast, is trusted.
		return body, nil
	}
	return transcode(body, enc, name)
}

// isUTF8Text reports whether body is valid UTF-8 with at least one
// multi-byte sequence, the evidence that it really is UTF-8. Pure ASCII
// proves nothing: 7-bit encodings such as ISO-2022-JP look like it.
func isUTF8Text(body []byte) bool {
	for i, c := range body {
		if c >= utf8.RuneSelf {
			return utf8.Valid(body[i:])
		}
	}
	return false
}

// fromUTF8 handles a body with no trustworthy declaration: valid UTF-8 is
// kept, anything else is taken to be windows-1252. rewrite says the XML
// declaration names an encoding that must be replaced by UTF-8.
func fromUTF8(body []byte, rewrite bool) ([]byte, error) {
	if !utf8.Valid(body) {
		enc, name, err := lookupEncoding("windows-1252")
		if err != nil {
			return nil, err
		}
		return transcode(body, enc, name)
	}
	if rewrite {
		return rewriteDeclEncoding(body), nil
	}
	return body, nil
}

// fromDeclaredUTF8 returns a body that says it is UTF-8 as valid UTF-8,
// replacing each invalid run with U+FFFD rather than guessing another
// encoding against the publisher's word.
func fromDeclaredUTF8(body []byte) []byte {
	if utf8.Valid(body) {
		return body
	}
	return bytes.ToValidUTF8(body, []byte("\uFFFD"))
}

// transcode decodes body from enc into UTF-8 and makes the XML declaration,
// if any, say UTF-8. Decoders replace undecodable input with U+FFFD, but a
// UTF-8 "decoder" passes invalid bytes through, hence the final repair.
func transcode(body []byte, enc encoding.Encoding, name string) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	out = bytes.TrimPrefix(out, bomUTF8)
	return fromDeclaredUTF8(rewriteDeclEncoding(out)), nil
}

// lookupEncoding resolves a charset label the way browsers do (so
// iso-8859-1 and us-ascii mean windows-1252) and returns its canonical name.
func lookupEncoding(label string) (encoding.Encoding, string, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, "", fmt.Errorf("charset %q: %w", label, err)
	}
	name, err := htmlindex.Name(enc)
	if err != nil {
		return nil, "", fmt.Errorf("charset %q: %w", label, err)
	}
	return enc, name, nil
}

// declaredEncoding returns the encoding label from the XML declaration, or
// failing that from the Content-Type charset, and whether it came from the
// declaration. The declaration wins because publishers set it with the
// content, whereas servers often send a default charset for every file.
func declaredEncoding(body []byte, contentType string) (label string, inDecl bool) {
	if start, end, ok := declEncodingValue(body); ok {
		if v := body[start:end]; bytes.EqualFold(v, []byte("utf-8")) {
			return "utf-8", true // without copying the label
		}
		return string(body[start:end]), true
	}
	return contentTypeCharset(contentType), false
}

// declEncodingValue finds the value of the encoding pseudo-attribute of a
// leading XML declaration and returns its bounds in body.
func declEncodingValue(body []byte) (start, end int, ok bool) {
	i := skipSpace(body, 0)
	if !bytes.HasPrefix(body[i:], []byte("<?xml")) {
		return 0, 0, false
	}
	limit := min(len(body), i+xmlDeclScanLimit)
	declEnd := bytes.Index(body[i:limit], []byte("?>"))
	if declEnd < 0 {
		return 0, 0, false
	}
	decl := body[i : i+declEnd]
	k := bytes.Index(decl, []byte("encoding"))
	if k < 0 {
		return 0, 0, false
	}
	j := skipSpace(decl, k+len("encoding"))
	if j >= len(decl) || decl[j] != '=' {
		return 0, 0, false
	}
	j = skipSpace(decl, j+1)
	if j >= len(decl) || (decl[j] != '"' && decl[j] != '\'') {
		return 0, 0, false
	}
	quote := decl[j]
	closing := bytes.IndexByte(decl[j+1:], quote)
	if closing < 0 {
		return 0, 0, false
	}
	return i + j + 1, i + j + 1 + closing, true
}

// rewriteDeclEncoding returns body with its declared encoding replaced by
// UTF-8. Without a declared encoding, or with one that already says UTF-8,
// there is nothing to rewrite and body is returned as is.
func rewriteDeclEncoding(body []byte) []byte {
	start, end, ok := declEncodingValue(body)
	if !ok || strings.EqualFold(string(body[start:end]), "utf-8") {
		return body
	}
	const utf8Name = "UTF-8"
	out := make([]byte, 0, len(body)-(end-start)+len(utf8Name))
	out = append(out, body[:start]...)
	out = append(out, utf8Name...)
	return append(out, body[end:]...)
}

// contentTypeCharset extracts the charset parameter of a Content-Type
// header. It is deliberately more forgiving than mime.ParseMediaType, which
// rejects the whole header over a stray semicolon that servers do send.
func contentTypeCharset(contentType string) string {
	for param := range strings.SplitSeq(contentType, ";") {
		key, value, ok := strings.Cut(param, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "charset") {
			continue
		}
		return strings.Trim(strings.TrimSpace(value), `"'`)
	}
	return ""
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isXMLSpace(b[i]) {
		i++
	}
	return i
}

func isXMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
