package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one digest email with everything fixed when it is built, so
// that a retry sends the same message under the same Message-ID.
type Message struct {
	From      string // "civicwatch <digest@example.org>"
	To        string // address
	ToName    string
	Subject   string
	Text      string
	HTML      string
	MessageID string // without angle brackets
	Date      time.Time
}

// MessageID is the fixed id of a recipient's digest for a period, so that a
// resend is recognisably the same message to every mail system on the way.
func MessageID(recipient, period, from string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(recipient) + "\x00" + period))
	domain := "civicwatch.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = strings.Trim(from[at+1:], "> ")
	}
	return "digest." + period + "." + hex.EncodeToString(sum[:8]) + "@" + domain
}

// mail builds the MIME message: multipart/alternative with the plain-text
// part first, as RFC 2046 orders alternatives from plainest to richest. The
// boundary comes from the Message-ID, so the bytes are the same every time.
func (m *Message) mail() (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", m.From, err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.To, err)
	}
	// go-mail encodes the subject (RFC 2047) and refuses line breaks in it,
	// so no feed text could smuggle a header in even if it got this far.
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	msg.SetGenHeader(mail.HeaderXMailer, "civicwatch")
	msg.SetBoundary("cw-" + strings.NewReplacer("@", "-", ".", "-").Replace(m.MessageID))
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

// EML is the message as a file, as delivery "file" writes it.
func (m *Message) EML() ([]byte, error) {
	msg, err := m.mail()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// DeliveryError is a failed delivery, temporary (worth retrying: 4xx, a
// dropped connection, a server that cannot be reached) or permanent (5xx,
// a rejected address).
type DeliveryError struct {
	Temporary bool
	Code      int // SMTP reply code, 0 when there was none
	Err       error
}

func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != 0 {
		return fmt.Sprintf("%s failure (%d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s failure: %v", kind, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth another try.
func IsTemporary(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Temporary
}

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host      string
	Port      int
	TLS       string // "starttls" (required), "tls" (implicit, usually port 465) or "none" (localhost relays)
	Username  string // empty: no AUTH
	Password  string
	Timeout   time.Duration
	TLSConfig *tls.Config // nil: system roots, server name checked
}

// SMTP sends over SMTP with go-mail.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP checks the configuration; it does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	switch cfg.TLS {
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("smtp.tls %q: want starttls, tls or none", cfg.TLS)
	}
	if cfg.Host == "" || cfg.Port <= 0 {
		return nil, errors.New("smtp: host and port are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	return &SMTP{cfg: cfg}, nil
}

func (s *SMTP) options() []mail.Option {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout), mail.WithHELO(helo())}
	switch s.cfg.TLS {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(s.cfg.TLSConfig))
	} else {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return opts
}

// helo names this host in the SMTP greeting.
func helo() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// Send delivers m in one SMTP conversation.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := m.mail()
	if err != nil {
		return &DeliveryError{Err: err}
	}
	client, err := mail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return &DeliveryError{Err: err}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// classify sorts a go-mail error into temporary and permanent.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		temp := se.IsTemp() || code >= 400 && code < 500 || code == 0 && isNetwork(err)
		return &DeliveryError{Temporary: temp, Code: code, Err: err}
	}
	// Errors before a message is under way (greeting, EHLO, STARTTLS, AUTH)
	// carry the server's reply: 421 "service not available" is worth
	// another try, 535 "bad credentials" is not.
	var te *textproto.Error
	if errors.As(err, &te) {
		return &DeliveryError{Temporary: te.Code >= 400 && te.Code < 500, Code: te.Code, Err: err}
	}
	return &DeliveryError{Temporary: isNetwork(err), Err: err}
}

// isNetwork: the server could not be reached or the connection broke, which
// another try may well get past.
func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "broken pipe") || strings.Contains(err.Error(), "EOF")
}

// Files "delivers" by writing each digest as .eml and .html under a
// directory: delivery "file", for trying civicwatch without a mail server.
type Files struct {
	Dir string
}

// Send writes m; the file names carry the period and the recipient.
func (f *Files) Send(_ context.Context, m *Message) error {
	eml, err := m.EML()
	if err != nil {
		return &DeliveryError{Err: err}
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return &DeliveryError{Err: err}
	}
	base := filepath.Join(f.Dir, fileName(m))
	if err := os.WriteFile(base+".eml", eml, 0o644); err != nil {
		return &DeliveryError{Err: err}
	}
	if err := os.WriteFile(base+".html", []byte(m.HTML), 0o644); err != nil {
		return &DeliveryError{Err: err}
	}
	return nil
}

func fileName(m *Message) string {
	return m.Date.UTC().Format("2006-01-02") + "-" + safeName(m.To)
}

// safeName keeps an address usable as part of a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '@' {
			return r
		}
		return '_'
	}, s)
}

// Retry says how often and how patiently a temporary failure is retried.
type Retry struct {
	Attempts int           // in all, the first included
	Backoff  time.Duration // before the second attempt; doubled each time
	Sleep    func(ctx context.Context, d time.Duration) error
}

// DefaultRetry tries four times over about seven minutes.
var DefaultRetry = Retry{Attempts: 4, Backoff: time.Minute, Sleep: sleep}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SendWithRetry sends m, retrying temporary failures with exponential
// backoff. It returns the number of attempts made and the last error.
func SendWithRetry(ctx context.Context, s Sender, m *Message, r Retry) (int, error) {
	wait := r.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = s.Send(ctx, m); err == nil || !IsTemporary(err) || attempt >= r.Attempts {
			return attempt, err
		}
		if serr := r.Sleep(ctx, wait); serr != nil {
			return attempt, err
		}
		wait *= 2
	}
}
