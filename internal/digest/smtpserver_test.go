package digest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is an in-process SMTP server speaking real SMTP on loopback,
// with faults injected on demand.
type smtpServer struct {
	Addr string
	Port int

	mu       sync.Mutex
	received []received
	faults   []string // consumed in order: "rcpt:451", "data:421", "drop", "rcpt:550"
	user     string   // when set, AUTH PLAIN with user/pass is required
	pass     string
	sawTLS   bool
}

type received struct {
	From string
	To   []string
	Data []byte
}

// startSMTP starts a server; with certificate set it offers STARTTLS.
func startSMTP(t *testing.T, cert *tls.Certificate) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = cert == nil
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) fault(f ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// next consumes the first fault if it is for this stage.
func (s *smtpServer) next(stage string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) > 0 && strings.HasPrefix(s.faults[0], stage) {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return f
	}
	return ""
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

func (s *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	if isTLS {
		s.mu.Lock()
		s.sawTLS = true
		s.mu.Unlock()
	}
	return &smtpSession{srv: s, conn: c}, nil
}

type smtpSession struct {
	srv    *smtpServer
	conn   *smtp.Conn
	authed bool
	msg    received
}

func (x *smtpSession) AuthMechanisms() []string {
	if x.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.srv.user || pass != x.srv.pass {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.srv.user != "" && !x.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.msg = received{From: from}
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch x.srv.next("rcpt") {
	case "rcpt:451":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case "rcpt:550":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
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
		x.srv.mu.Lock()
		x.srv.received = append(x.srv.received, received{From: x.msg.From, To: x.msg.To, Data: data})
		x.srv.mu.Unlock()
		x.conn.Close()
		return nil
	}
	x.msg.Data = data
	x.srv.mu.Lock()
	x.srv.received = append(x.srv.received, x.msg)
	x.srv.mu.Unlock()
	return nil
}

func (x *smtpSession) Reset()        { x.msg = received{} }
func (x *smtpSession) Logout() error { return nil }

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
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

func tlsConfig(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
