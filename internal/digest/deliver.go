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
	"sync"
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
	// FileTag, when set, goes into the file names delivery "file" writes,
	// so that several messages to one reader on one day (urgent alerts
	// beside the digest) do not overwrite each other.
	FileTag string
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
	Host     string
	Port     int
	TLS      string // "starttls" (required), "tls" (implicit, usually port 465) or "none" (localhost relays)
	Username string // empty: no AUTH
	Password string
	// Timeout bounds each step of the conversation: the connection and the
	// greeting, then every command's reply, and the reply to the end of
	// DATA. Zero means DefaultSMTPTimeout.
	Timeout   time.Duration
	TLSConfig *tls.Config // nil: system roots, server name checked
}

// DefaultSMTPTimeout is how long one SMTP step may take. Mail servers
// answer in seconds; one that says nothing for half a minute is stuck, and
// waiting longer only holds the run up.
const DefaultSMTPTimeout = 30 * time.Second

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
		cfg.Timeout = DefaultSMTPTimeout
	}
	return &SMTP{cfg: cfg}, nil
}

func (s *SMTP) options(dial mail.DialContextFunc) []mail.Option {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout), mail.WithHELO(helo())}
	switch s.cfg.TLS {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithDialContextFunc(dial))
	case "tls":
		// go-mail dials implicit TLS itself: it must know the link is
		// encrypted to offer PLAIN and LOGIN. The conversation is still
		// bounded by go-mail's deadlines and ended when the run is.
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS), mail.WithDialContextFunc(dial))
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

// Send delivers m in one SMTP conversation. The server's 2xx reply to the
// end of DATA is the moment of truth: after it the message is accepted, and
// whatever then happens to RSET, QUIT or the link is no reason to send it
// again. Only a failure before that reply is returned. The conversation
// ends, connection closed, as soon as ctx does.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := m.mail()
	if err != nil {
		return &DeliveryError{Err: err}
	}
	var conns connCloser
	defer conns.stop()
	client, err := mail.NewClient(s.cfg.Host, s.options(conns.dialer(ctx, s.cfg.Timeout))...)
	if err != nil {
		return &DeliveryError{Err: err}
	}
	conv, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return stopped(ctx, classify(err))
	}
	stop := context.AfterFunc(ctx, func() { _ = conv.Close() })
	defer stop()
	err = client.SendWithSMTPClient(conv, msg)
	accepted := msg.IsDelivered()
	_ = client.CloseWithSMTPClient(conv) // QUIT: a polite goodbye, nothing hangs on it
	if err != nil && !accepted {
		return stopped(ctx, classify(err))
	}
	return nil
}

// stopped says so when the conversation was cut because the run ended (its
// budget ran out, or the daemon is stopping): the error the cut itself
// caused, a closed connection, would not tell the operator why.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	return &DeliveryError{Temporary: true, Err: fmt.Errorf("the run's time for delivery ran out (%w) after: %w", ctx.Err(), err)}
}

// connCloser dials for go-mail and keeps the connection in hand, so that
// the conversation can be cut when the run ends, from the first byte.
type connCloser struct {
	mu    sync.Mutex
	stops []func() bool
}

func (c *connCloser) dialer(ctx context.Context, timeout time.Duration) mail.DialContextFunc {
	return func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.stops = append(c.stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		c.mu.Unlock()
		dc := &stepConn{Conn: conn, timeout: timeout}
		if err := dc.SetDeadline(time.Now().Add(timeout)); err != nil { // the greeting
			conn.Close()
			return nil, err
		}
		return dc, nil
	}
}

func (c *connCloser) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.stops {
		f()
	}
}

// stepConn gives every step of the conversation its own deadline: each
// write is a command (or part of the message) whose reply must come within
// timeout of it. A server that greets and then stalls on one command is
// caught as surely as one that never greets.
type stepConn struct {
	net.Conn
	timeout time.Duration
}

func (c *stepConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
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
	tag := ""
	if m.FileTag != "" {
		tag = safeName(m.FileTag) + "-"
	}
	return m.Date.UTC().Format("2006-01-02") + "-" + tag + safeName(m.To)
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

// Retry says how often and how patiently a temporary failure is retried
// within one run; what is still pending after it is the next run's.
type Retry struct {
	Attempts int           // in all, the first included
	Backoff  time.Duration // before the second attempt; doubled each time
	// Budget bounds a run's deliveries, every recipient's attempts and
	// waits together: a server that never answers cannot hold a run for
	// longer. Zero: only Attempts and the SMTP timeouts bound it.
	Budget time.Duration
	Sleep  func(ctx context.Context, d time.Duration) error
}

// DefaultRetry tries three times over at most two and a half minutes: a
// stuck server costs a run of `digest --send` under three minutes, and the
// digest waits, pending, for the next run.
var DefaultRetry = Retry{Attempts: 3, Backoff: 15 * time.Second, Budget: 150 * time.Second, Sleep: sleep}

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
		if err = sendOnce(ctx, s, m); err == nil || !IsTemporary(err) || attempt >= r.Attempts {
			return attempt, err
		}
		if serr := r.Sleep(ctx, wait); serr != nil {
			return attempt, err
		}
		wait *= 2
	}
}

// sendOnce is one attempt. Deliveries run on goroutines of their own, where
// a panicking Sender would take the whole process down: a panic is a
// failed attempt instead, temporary, so the digest stays pending.
func sendOnce(ctx context.Context, s Sender, m *Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &DeliveryError{Temporary: true, Err: fmt.Errorf("delivery panicked: %v", p)}
		}
	}()
	return s.Send(ctx, m)
}
