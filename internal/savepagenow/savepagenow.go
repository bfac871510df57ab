// Package savepagenow submits URLs to the Internet Archive's Save Page Now
// 2 API, so a flagged article is also archived by a third party whose copy
// anyone can look up. The request shape follows the SPN2 public API draft:
// POST to the endpoint with the form field url, the header
// "Authorization: LOW access:secret" and "Accept: application/json"; the
// answer is JSON holding a job_id, whose progress is at
// endpoint/status/JOB_ID.
package savepagenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
)

// Client submits URLs, spacing its requests at least MinInterval apart.
// It is safe for concurrent use; the spacing holds across goroutines.
type Client struct {
	Endpoint    string // e.g. https://web.archive.org/save
	AccessKey   string
	SecretKey   string
	UserAgent   string
	HTTP        *http.Client  // nil: a client with a 2-minute timeout
	MinInterval time.Duration // e.g. a minute / per_minute

	mu   sync.Mutex
	next time.Time // no request before this
}

// AuthError is the API refusing the keys: nothing will be accepted until
// an operator fixes them.
type AuthError struct {
	Status  int
	Message string
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("Save Page Now refused the credentials (HTTP %d)", e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg + ": check the archive.org S3 keys named by evidence.save_page_now.access_key_env and secret_key_env"
}

// RateLimitError is a 429: the caller must slow down. RetryAfter is the
// server's Retry-After, or zero when it gave none.
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string {
	msg := "Save Page Now rate limit reached (HTTP 429)"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// reply is the API's JSON answer; a refusal carries status "error" and a
// status_ext code such as error:invalid-url-syntax.
type reply struct {
	URL       string `json:"url"`
	JobID     string `json:"job_id"`
	Message   string `json:"message"`
	Status    string `json:"status"`
	StatusExt string `json:"status_ext"`
}

// maxReply bounds the answer read: the API's answers are a few hundred
// bytes, and a proxy's error page must not be read whole.
const maxReply = 64 << 10

// Submit asks the API to capture pageURL and returns the job id. It waits
// first until MinInterval has passed since the previous request.
func (c *Client) Submit(ctx context.Context, pageURL string) (string, error) {
	if err := c.wait(ctx); err != nil {
		return "", err
	}
	form := url.Values{"url": {pageURL}}
	resp, body, err := c.call(ctx, http.MethodPost, c.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	var r reply
	jsonErr := json.Unmarshal(body, &r)
	msg := r.Message
	if jsonErr != nil {
		msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", &AuthError{Status: resp.StatusCode, Message: msg}
	case resp.StatusCode == http.StatusTooManyRequests:
		return "", &RateLimitError{RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Message: msg}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", fmt.Errorf("save page now: HTTP %d %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), msg)
	case jsonErr != nil:
		return "", fmt.Errorf("save page now: answer is not JSON: %w", jsonErr)
	case r.JobID == "":
		why := r.StatusExt
		if r.Message != "" {
			why = strings.TrimSpace(why + " " + r.Message)
		}
		return "", fmt.Errorf("save page now: no job id in the answer: %s", why)
	}
	return r.JobID, nil
}

// Job is what the API says of a capture job: Status "pending", "success"
// (Timestamp and OriginalURL name the Wayback Machine's copy) or "error"
// (Message says why).
type Job struct {
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
	OriginalURL string `json:"original_url"`
	Message     string `json:"message"`
	StatusExt   string `json:"status_ext"`
}

// ArchivedURL is the address of the Wayback Machine's copy a successful
// job made, on the endpoint's host.
func (c *Client) ArchivedURL(j Job) string {
	base := "https://web.archive.org"
	if u, err := url.Parse(c.Endpoint); err == nil && u.Host != "" {
		base = u.Scheme + "://" + u.Host
	}
	return base + "/web/" + j.Timestamp + "/" + j.OriginalURL
}

// Status reads a job's progress. Reading it is not a capture request, so
// it does not wait for MinInterval.
func (c *Client) Status(ctx context.Context, jobID string) (Job, error) {
	resp, body, err := c.call(ctx, http.MethodGet, c.StatusURL(jobID), nil)
	if err != nil {
		return Job{}, fmt.Errorf("%w (job %s)", err, jobID)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Job{}, &AuthError{Status: resp.StatusCode, Message: strings.TrimSpace(string(body[:min(len(body), 200)]))}
	case resp.StatusCode == http.StatusTooManyRequests:
		return Job{}, &RateLimitError{RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return Job{}, fmt.Errorf("save page now status of %s: HTTP %d %s", jobID, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var j Job
	if err := json.Unmarshal(body, &j); err != nil {
		return Job{}, fmt.Errorf("save page now status of %s: answer is not JSON: %w", jobID, err)
	}
	switch j.Status {
	case "pending", "error":
	case "success":
		if j.Timestamp == "" || j.OriginalURL == "" {
			return Job{}, fmt.Errorf("save page now status of %s: success without the copy's timestamp and URL", jobID)
		}
	default:
		return Job{}, fmt.Errorf("save page now status of %s: unknown status %q", jobID, j.Status)
	}
	return j, nil
}

// call sends one request to the API with the keys and reads at most
// maxReply bytes of its answer.
func (c *Client) call(ctx context.Context, method, target string, form io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, form)
	if err != nil {
		return nil, nil, fmt.Errorf("save page now: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "LOW "+c.AccessKey+":"+c.SecretKey)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("save page now: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, nil, fmt.Errorf("save page now: read answer: %w", err)
	}
	return resp, body, nil
}

// StatusURL is where a job's progress can be read.
func (c *Client) StatusURL(jobID string) string {
	return strings.TrimRight(c.Endpoint, "/") + "/status/" + url.PathEscape(jobID)
}

// wait blocks until the next request may go out and books the slot after.
func (c *Client) wait(ctx context.Context) error {
	c.mu.Lock()
	now := time.Now()
	at := c.next
	if at.Before(now) {
		at = now
	}
	c.next = at.Add(c.MinInterval)
	c.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxRetryAfter clamps the server's Retry-After: a broken header must not
// park submissions for days.
const maxRetryAfter = 6 * time.Hour

func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

// IsAuth reports an AuthError.
func IsAuth(err error) bool {
	var a *AuthError
	return errors.As(err, &a)
}

// RateLimited returns the RateLimitError in err, if any.
func RateLimited(err error) (*RateLimitError, bool) {
	var r *RateLimitError
	ok := errors.As(err, &r)
	return r, ok
}

// FromConfig builds the client of an enabled evidence.save_page_now
// section, reading the keys from the environment (lookup; nil means
// os.LookupEnv). It returns nil for a disabled section, and an error naming
// the variable when a key is missing.
func FromConfig(c config.SavePageNow, userAgent string, lookup func(string) (string, bool)) (*Client, error) {
	if !c.Enabled {
		return nil, nil
	}
	access, err := config.Secret(c.AccessKeyEnv, "the archive.org S3 access key (evidence.save_page_now.access_key_env)", lookup)
	if err != nil {
		return nil, err
	}
	secret, err := config.Secret(c.SecretKeyEnv, "the archive.org S3 secret key (evidence.save_page_now.secret_key_env)", lookup)
	if err != nil {
		return nil, err
	}
	return &Client{Endpoint: c.Endpoint, AccessKey: access, SecretKey: secret, UserAgent: userAgent,
		MinInterval: time.Minute / time.Duration(max(c.PerMinute, 1))}, nil
}
