package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/civicwatch/civicwatch/internal/fetch"
)

// ErrNotHTML is a page that is not a web page: a PDF statement, an image,
// a document. It is kept as evidence byte for byte; it has no article text
// to extract, so its re-checks compare the bytes instead.
var ErrNotHTML = errors.New("not an HTML page")

// pageText is the article text of a fetched page: HTML only, decoded to
// UTF-8 from the charset its header, byte-order mark or <meta> declares.
// Handing the extractor a PDF made up text from its bytes, and a re-check
// that found none then called the statement removed.
func (r *Runner) pageText(ex *fetch.Exchange) (string, error) {
	ct := ex.ResponseHeader.Get("Content-Type")
	mt := mediaType(ct, ex.Body)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return "", fmt.Errorf("%w (%s): kept as it came, no text extracted", ErrNotHTML, mt)
	}
	return r.o.Extractor.Extract(utf8Body(ex.Body, ct), ex.FinalURL)
}

// mediaType is the page's media type as its server declares it, or as its
// bytes say when the server declares none or only "octet-stream".
func mediaType(contentType string, body []byte) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" || mt == "application/octet-stream" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	}
	return strings.ToLower(mt)
}

// utf8Body decodes body to UTF-8. An unknown or lying charset leaves the
// bytes as they are; the extractor's text is made valid UTF-8 anyway.
func utf8Body(body []byte, contentType string) []byte {
	rd, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return body
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		return body
	}
	return out
}
