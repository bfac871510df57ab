// Package fetch downloads feeds politely and defensively: one HTTP client for
// the whole process, conditional GET, bounded bodies, bounded redirects and a
// guard against being steered at private networks.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors a caller may act on.
var (
	ErrTooLarge          = errors.New("body exceeds the size limit")
	ErrTooManyRedirects  = errors.New("too many redirects")
	ErrInsecureRedirect  = errors.New("redirect from https to http refused")
	ErrBlockedAddress    = errors.New("address is in a private or reserved network")
	ErrUnsupportedScheme = errors.New("only http and https are fetched")
)

const (
	// MaxRedirects bounds redirect chains; five is what browsers' feed readers
	// tolerate before calling a loop a loop.
	MaxRedirects = 5
	// MaxRetryAfter clamps a server's Retry-After: a hostile or broken server
	// must not be able to park a feed for years.
	MaxRetryAfter = 24 * time.Hour
	dialTimeout   = 10 * time.Second
)

// StatusError is an HTTP answer other than 2xx or 304.
type StatusError struct {
	Code       int
	RetryAfter time.Duration // from Retry-After on 429 and 503, clamped; 0 if none
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Options configure a Fetcher.
type Options struct {
	Timeout   time.Duration // whole request, body included
	MaxBody   int64         // bytes after decompression
	PerHost   int           // connections per host
	UserAgent string
	// Guard vets every address the client is about to dial, after DNS, so
	// redirects and rebinding tricks are covered too. Nil dials anything;
	// use PublicOnly for the private-network guard.
	Guard func(addr string) error
}

// Request names a feed URL and the validators of its last successful fetch.
type Request struct {
	URL          string
	ETag         string
	LastModified string
}

// Response is a successful answer: 2xx with a body, or 304.
type Response struct {
	Status       int
	NotModified  bool
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	FinalURL     string // after redirects; relative links resolve against it
}

// Fetcher is safe for concurrent use; build one per process so connections
// are pooled.
type Fetcher struct {
	client  *http.Client
	maxBody int64
	ua      string
}

// New builds the Fetcher and its single http.Client.
func New(o Options) *Fetcher {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	if o.Guard != nil {
		guard := o.Guard
		dialer.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
			return guard(address)
		}
	}
	tr := &http.Transport{
		// No proxy from the environment: a proxy would be dialled instead of
		// the feed's host, which would blind the private-network guard.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dialTimeout,
		ResponseHeaderTimeout:  o.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    max(o.PerHost, 2),
		MaxConnsPerHost:        max(o.PerHost, 1),
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Fetcher{
		client: &http.Client{
			Transport:     tr,
			Timeout:       o.Timeout,
			CheckRedirect: checkRedirect,
		},
		maxBody: o.MaxBody,
		ua:      o.UserAgent,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, MaxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), ErrUnsupportedScheme)
	}
	if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme == "http" {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), ErrInsecureRedirect)
	}
	return nil
}

// Fetch performs one conditional GET.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, ErrUnsupportedScheme
	}
	req.Header.Set("User-Agent", f.ua)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()

	out := &Response{
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     resp.Request.URL.String(),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused, but never much.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		se := &StatusError{Code: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, se
	}
	if out.Body, err = f.readBody(resp); err != nil {
		return nil, unwrapURLError(err)
	}
	return out, nil
}

// readBody reads at most maxBody bytes. The transport has already undone any
// gzip, so the cap applies to the decompressed size, which is what protects
// memory from a compression bomb.
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	if f.maxBody > 0 && !resp.Uncompressed && resp.ContentLength > f.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d > %d", ErrTooLarge, resp.ContentLength, f.maxBody)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 && (f.maxBody <= 0 || resp.ContentLength <= f.maxBody) {
		buf.Grow(int(resp.ContentLength))
	}
	var src io.Reader = resp.Body
	if f.maxBody > 0 {
		src = io.LimitReader(resp.Body, f.maxBody+1)
	}
	if _, err := buf.ReadFrom(src); err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("timed out reading body: %w", err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if f.maxBody > 0 && int64(buf.Len()) > f.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.maxBody)
	}
	return buf.Bytes(), nil
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date) and
// clamps it to [0, MaxRetryAfter].
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// unwrapURLError drops net/http's *url.Error wrapper, whose message repeats
// the method and URL that the caller already names.
func unwrapURLError(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	if ue.Timeout() {
		return fmt.Errorf("timed out: %w", ue.Err)
	}
	return ue.Err
}
