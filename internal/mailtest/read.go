package mailtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Parsed is a captured message read as a mail client reads it.
type Parsed struct {
	Header mail.Header
	Types  []string // content types of the alternatives, in order
	Bodies []string // their decoded bodies
}

// Parse reads a message that must be multipart/alternative.
func Parse(t testing.TB, data []byte) *Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	p := &Parsed{Header: m.Header}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part) // multipart decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.Types = append(p.Types, ct)
		p.Bodies = append(p.Bodies, string(body))
	}
	return p
}

// Subject is the decoded Subject header.
func (p *Parsed) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		return p.Header.Get("Subject")
	}
	return s
}

// Part returns the body of the alternative of content type ct, or "".
func (p *Parsed) Part(ct string) string {
	for i, t := range p.Types {
		if t == ct {
			return p.Bodies[i]
		}
	}
	return ""
}

// CheckSafeHTML parses HTML as a mail client would and fails the test on
// anything active or remote: scripts, images, frames, event handlers, CSS
// url(), links other than http(s). A document without any link fails too,
// so that the check cannot pass by seeing nothing.
func CheckSafeHTML(t testing.TB, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Script, atom.Img, atom.Iframe, atom.Object, atom.Embed, atom.Link, atom.Style, atom.Form:
			t.Errorf("HTML has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case strings.HasPrefix(strings.ToLower(a.Key), "on"):
				t.Errorf("<%s> has an event handler %s=%q", n.Data, a.Key, a.Val)
			case a.Key == "href":
				links++
				if !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") {
					t.Errorf("link to %q", a.Val)
				}
			case a.Key == "src" || a.Key == "background":
				t.Errorf("<%s> loads %q", n.Data, a.Val)
			case a.Key == "style" && strings.Contains(strings.ToLower(a.Val), "url("):
				t.Errorf("<%s> style loads a resource: %q", n.Data, a.Val)
			}
		}
	}
	if links == 0 {
		t.Error("no links at all: the check saw nothing")
	}
}
