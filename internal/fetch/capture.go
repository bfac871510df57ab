package fetch

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

// Exchange is one HTTP request and its answer, kept whole for evidence: the
// request line and headers as sent, the status line and headers as received,
// and the body after decompression. Unlike Fetch, any status is an answer:
// a 404 is itself evidence that a page was taken down.
type Exchange struct {
	At             time.Time // when the request was sent
	URL            string    // as asked for
	FinalURL       string    // after redirects
	Method         string
	RequestURI     string // path and query of the final request
	RequestProto   string
	RequestHost    string
	RequestHeader  http.Header
	Status         int
	StatusLine     string // e.g. "HTTP/1.1 200 OK"
	ResponseHeader http.Header
	Body           []byte
}

// Capture fetches an article page once, unconditionally, through the same
// client, guard, body cap and User-Agent as Fetch. Errors are transport
// failures, a refused address or redirect, a stall or an oversized body.
func (f *Fetcher) Capture(ctx context.Context, rawURL string) (*Exchange, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, ErrUnsupportedScheme
	}
	req.Header.Set("User-Agent", f.ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	at := time.Now().UTC()
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, err := f.readBody(resp)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	final := resp.Request
	reqHeader := final.Header.Clone()
	// The transport asks for gzip on its own and does not show it in
	// Header; the record names it so the request reads as it was sent.
	if resp.Uncompressed && reqHeader.Get("Accept-Encoding") == "" {
		reqHeader.Set("Accept-Encoding", "gzip")
	}
	return &Exchange{
		At:             at,
		URL:            rawURL,
		FinalURL:       final.URL.String(),
		Method:         final.Method,
		RequestURI:     final.URL.RequestURI(),
		RequestProto:   "HTTP/1.1",
		RequestHost:    final.URL.Host,
		RequestHeader:  reqHeader,
		Status:         resp.StatusCode,
		StatusLine:     fmt.Sprintf("%s %s", resp.Proto, resp.Status),
		ResponseHeader: resp.Header.Clone(),
		Body:           bytes.Clone(body),
	}, nil
}
