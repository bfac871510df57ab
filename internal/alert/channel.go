package alert

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
)

// Channel delivers one message to one receiver. Send returns nil only when
// the receiver accepted it (a 2xx, or the mail server's 2xx to DATA);
// otherwise a *SendError says whether another try may succeed.
type Channel interface {
	Send(ctx context.Context, m *Message) error
}

// Message is what a channel sends: the event and its JSON as stored in the
// ledger, so that every attempt sends the same bytes.
type Message struct {
	Event   Event
	Payload []byte
	Created time.Time
}

// SendError is a failed attempt. Temporary failures are retried with the
// same event id; permanent ones (a clear refusal) are recorded and shown.
type SendError struct {
	Temporary  bool
	Status     int           // HTTP status; 0 when none came
	RetryAfter time.Duration // the receiver asked to wait this long; 0: our own backoff
	Err        error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Status != 0 {
		return fmt.Sprintf("%s failure (HTTP %d): %v", kind, e.Status, e.Err)
	}
	return fmt.Sprintf("%s failure: %v", kind, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// temporary reports whether err is worth another try. Errors that are not
// a *SendError (a panic, a bug) are treated as temporary: the message stays
// pending rather than being lost.
func temporary(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Temporary
	}
	var de *digest.DeliveryError
	if errors.As(err, &de) {
		return de.Temporary
	}
	return true
}

func retryAfter(err error) time.Duration {
	var se *SendError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// Deps are what channels share: the HTTP client, the environment that holds
// their secrets, and the mail sender for email.
type Deps struct {
	Client    *http.Client
	LookupEnv func(string) (string, bool)
	// Mail returns the sender for email channels (the digest's, from the
	// config); it is called when an email is sent, so that a missing SMTP
	// password fails that channel and no other.
	Mail     func() (digest.Sender, error)
	From     string         // digest.from
	Location *time.Location // the zone times are shown in
	UA       string
}

// NewChannel builds the channel for c.
func NewChannel(c config.Channel, d Deps) (Channel, error) {
	switch c.Kind {
	case config.ChannelWebhook:
		return &webhook{cfg: c, d: d}, nil
	case config.ChannelNtfy:
		return &ntfy{cfg: c, d: d}, nil
	case config.ChannelSlack:
		return &slack{cfg: c, d: d}, nil
	case config.ChannelTelegram:
		return &telegram{cfg: c, d: d}, nil
	case config.ChannelMatrix:
		return &matrix{cfg: c, d: d}, nil
	case config.ChannelEmail:
		return &email{cfg: c, d: d}, nil
	}
	return nil, fmt.Errorf("unknown channel kind %q", c.Kind)
}

// NewClient is the client channels use by default: TLS verified, a bounded
// request, and no redirects. A redirected POST becomes a GET without the
// body, whose 200 would be taken for delivery, so a 3xx is returned as it
// is and refused (the ledger shows it: fix the URL). Channel endpoints are
// configured by the operator, unlike feed URLs, so the private-network
// guard does not apply: a receiver on the LAN is normal.
func NewClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// secret reads a secret for a channel; a missing one is a temporary failure,
// so the message waits (visibly) for the operator to set it and restart.
func (d Deps) secret(name, what string) (string, error) {
	v, err := config.Secret(name, what, d.LookupEnv)
	if err != nil {
		return "", &SendError{Temporary: true, Err: err}
	}
	return v, nil
}

// post sends req and sorts the answer: 2xx is accepted whatever follows (a
// receiver that answers 200 and drops the connection has the message);
// 408, 429 and 5xx are temporary; any other status is a refusal. A secret
// in the URL (Telegram puts the bot token there) never reaches the error:
// net/http's *url.Error quotes the URL, so only its cause is kept, and
// every secret is blanked out of what the receiver said.
func post(ctx context.Context, d Deps, req *http.Request, secrets ...string) (*http.Response, []byte, error) {
	req = req.WithContext(ctx)
	if d.UA != "" {
		req.Header.Set("User-Agent", d.UA)
	}
	client := d.Client
	if client == nil {
		client = NewClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, &SendError{Temporary: true, Err: errors.New(redact(fmt.Sprintf("%s %s: %v", req.Method, req.URL.Host, err), secrets))}
	}
	defer resp.Body.Close()
	// A short answer, for the error message; a failure reading it after a
	// 2xx changes nothing.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, body, nil
	}
	temp := resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return resp, body, &SendError{Temporary: temp, Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After")),
		Err: errors.New(redact(fmt.Sprintf("%s %s: %s %s", req.Method, req.URL.Host, resp.Status, msg), secrets))}
}

// parseRetryAfter reads Retry-After in seconds (dates are rare from the
// receivers here and are ignored), clamped to a day.
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, 24*time.Hour)
}

// redact blanks every non-empty secret out of s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// errorWithout is err with secret blanked out.
func errorWithout(err error, secret string) error {
	return errors.New(redact(err.Error(), []string{secret}))
}

func escapeHTML(s string) string { return html.EscapeString(s) }
