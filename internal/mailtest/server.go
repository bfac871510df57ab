// Package mailtest is for tests that send mail: an in-process SMTP server
// speaking real SMTP on loopback, with faults injected on demand, and
// helpers that read what it captured as a mail client would.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is an in-process SMTP server.
type Server struct {
	Addr string // host:port on 127.0.0.1
	Port int

	srv      *smtp.Server
	mu       sync.Mutex
	received []Message
	faults   []string // consumed in order: "rcpt:451", "rcpt:550", "data:421", "data:drop", "data:250-drop"
	rejected []string // addresses refused with 550 every time
	rcpts    int      // RCPT commands seen, accepted or not
	user     string   // when set, AUTH PLAIN with user/pass is required
	pass     string
	sawTLS   bool
	down     bool // greet every connection with 421 and hang up
	stall    int  // connections still to hold ungreeted; < 0: every one
	stalled  int  // connections held ungreeted so far
	held     []net.Conn
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Start starts a server on a free loopback port; with cert set it offers
// STARTTLS. It stops when the test ends.
func Start(t testing.TB, cert *tls.Certificate) *Server {
	t.Helper()
	return StartAt(t, "127.0.0.1:0", cert)
}

// StartAt starts a server on addr: a test that stopped a server can start
// another where the first was, as a mail server coming back would.
func StartAt(t testing.TB, addr string, cert *tls.Certificate) *Server {
	t.Helper()
	s := &Server{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.AllowInsecureAuth = cert == nil
	if cert != nil {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	l, err := listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(&stallListener{Listener: l, srv: s})
	t.Cleanup(s.Close)
	return s
}

// StartImplicitTLS starts a server that speaks TLS from the first byte, as
// mail servers on port 465 do (smtp.tls: tls).
func StartImplicitTLS(t testing.TB, cert *tls.Certificate) *Server {
	t.Helper()
	s := &Server{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}}))
	t.Cleanup(s.Close)
	return s
}

// listen retries briefly: a port just closed may take a moment to free.
func listen(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return l, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// Close stops the server: connections are refused from now on, and those
// held by Stall are closed.
func (s *Server) Close() {
	s.srv.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.held {
		c.Close()
	}
	s.held = nil
}

// Stall makes the server accept the next n connections and never say a
// word on them, as a mail server wedged behind its listener does: no
// greeting, no reply, the connection held open until the server stops.
// n < 0 stalls every connection from now on; 0 ends stalling.
func (s *Server) Stall(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = n
}

// Stalled is how many connections the server has held ungreeted.
func (s *Server) Stalled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stalled
}

// hold keeps c ungreeted if a stall is due, and says whether it did.
func (s *Server) hold(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stall == 0 {
		return false
	}
	if s.stall > 0 {
		s.stall--
	}
	s.stalled++
	s.held = append(s.held, c)
	return true
}

// stallListener hands go-smtp only the connections that are to be served.
type stallListener struct {
	net.Listener
	srv *Server
}

func (l *stallListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.srv.hold(c) {
			return c, err
		}
	}
}

// Fault queues faults, consumed in order by the stage they name.
func (s *Server) Fault(f ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Reject makes the server refuse addr for good: 550 at RCPT, every time.
func (s *Server) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, strings.ToLower(addr))
}

// RequireAuth makes the server demand AUTH PLAIN with these credentials.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// Messages returns what the server accepted, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// To returns the messages accepted for addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if slices.ContainsFunc(m.To, func(to string) bool { return strings.EqualFold(to, addr) }) {
			out = append(out, m)
		}
	}
	return out
}

// RcptCount is how many RCPT commands the server has seen.
func (s *Server) RcptCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts
}

// SawTLS reports whether any session ran over TLS.
func (s *Server) SawTLS() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sawTLS
}

// next consumes the first fault if it is for this stage.
func (s *Server) next(stage string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) > 0 && strings.HasPrefix(s.faults[0], stage) {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return f
	}
	return ""
}

// SetDown makes the server answer every new connection with 421 and hang
// up, as a mail server that is out of service does, while keeping its port:
// a closed port could be taken by another test's server meanwhile.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *Server) credentials() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user, s.pass
}

func (s *Server) accept(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, m)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available"}
	}
	if _, isTLS := c.TLSConnectionState(); isTLS {
		s.mu.Lock()
		s.sawTLS = true
		s.mu.Unlock()
	}
	return &session{srv: s, conn: c}, nil
}

type session struct {
	srv    *Server
	conn   *smtp.Conn
	authed bool
	msg    Message
	hangUp bool // after the reply to DATA: the "data:250-drop" fault
}

func (x *session) AuthMechanisms() []string {
	if user, _ := x.srv.credentials(); user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		wantUser, wantPass := x.srv.credentials()
		if user != wantUser || pass != wantPass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if user, _ := x.srv.credentials(); user != "" && !x.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.msg = Message{From: from}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.srv.mu.Lock()
	x.srv.rcpts++
	rejected := slices.Contains(x.srv.rejected, strings.ToLower(to))
	x.srv.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	switch x.srv.next("rcpt") {
	case "rcpt:451":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case "rcpt:550":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch x.srv.next("data") {
	case "data:421":
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down"}
	case "data:drop":
		// The message arrived, but the client never hears so: it must
		// retry, and the retry is the same message.
		x.srv.accept(Message{From: x.msg.From, To: x.msg.To, Data: data})
		x.conn.Close()
		return nil
	case "data:250-drop":
		// Accepted, and the client is told so; then the link dies before
		// its next command (RSET or QUIT). The message must not be sent
		// again.
		x.hangUp = true
	}
	x.msg.Data = data
	x.srv.accept(x.msg)
	return nil
}

// Reset runs on RSET and, in go-smtp, right after the reply to DATA has
// been written: the moment to hang up for "data:250-drop".
func (x *session) Reset() {
	x.msg = Message{}
	if x.hangUp {
		x.hangUp = false
		// The socket itself: go-smtp holds its connection's lock while
		// resetting, so its own Close would wait for ever.
		x.conn.Conn().Close()
	}
}
func (x *session) Logout() error { return nil }

// Cert makes a self-signed certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func Cert(t testing.TB) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// ClientTLS is a client configuration that trusts pool's certificate for 127.0.0.1.
func ClientTLS(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
