package config

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// TLS modes of the smtp section.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is required
	TLSImplicit = "tls"      // TLS from the first byte, usually port 465
	TLSNone     = "none"     // no encryption: only for a relay on this machine
)

// SMTP is how digests reach the mail server. The password is never in the
// file: PasswordEnv names the environment variable that holds it, read at
// send time so that `civicwatch check` works on a machine without secrets.
type SMTP struct {
	Host        string
	Port        int
	TLS         string // TLSStartTLS, TLSImplicit or TLSNone
	Username    string // empty: no AUTH
	PasswordEnv string // name of the variable holding the password; empty without Username
	// Timeout bounds each step of a conversation: the greeting, every
	// command's reply, the reply to the end of DATA.
	Timeout Duration
	Line    int
}

// DefaultSMTPTimeout is smtp.timeout's default: a mail server answers in
// seconds, and one silent for half a minute is stuck.
const DefaultSMTPTimeout = Duration(30 * time.Second)

// rawSMTP is the smtp section as decoded.
type rawSMTP struct {
	Host        string    `yaml:"host"`
	Port        *int      `yaml:"port"`
	TLS         *string   `yaml:"tls"`
	Username    string    `yaml:"username"`
	PasswordEnv string    `yaml:"password_env"`
	Timeout     *Duration `yaml:"timeout"`
}

// resolveSMTP applies defaults and checks the smtp section; nil when the
// file has none.
func resolveSMTP(r *rawSMTP, p *problems) *SMTP {
	if r == nil {
		return nil
	}
	const f = "smtp"
	s := &SMTP{
		Host:        strings.TrimSpace(r.Host),
		TLS:         setting(p, f+".tls", r.TLS, TLSStartTLS),
		Username:    r.Username,
		PasswordEnv: r.PasswordEnv,
		Timeout:     setting(p, f+".timeout", r.Timeout, DefaultSMTPTimeout),
		Line:        p.where(f).line,
	}
	defPort := 587 // submission, with STARTTLS
	if s.TLS == TLSImplicit {
		defPort = 465
	}
	s.Port = setting(p, f+".port", r.Port, defPort)
	if s.Host == "" {
		p.add(f+".host", "missing: name the mail server, e.g. smtp.example.org")
	}
	switch s.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		p.add(f+".tls", "unknown tls mode %q: want starttls, tls or none", s.TLS)
	}
	checkRange(p, f+".port", s.Port, 1, 65535)
	checkDuration(p, f+".timeout", s.Timeout, 100*time.Millisecond)
	checkCredentials(p, s)
	return s
}

// checkCredentials wants a username and a password variable together, and
// refuses to send a password in the clear to another machine.
func checkCredentials(p *problems, s *SMTP) {
	switch {
	case s.Username != "" && s.PasswordEnv == "":
		p.add("smtp.password_env", "missing: with a username, name the environment variable that holds the password, e.g. CIVICWATCH_SMTP_PASSWORD")
	case s.Username == "" && s.PasswordEnv != "":
		p.add("smtp.username", "missing: password_env is set, so give the username to log in with")
	}
	if s.PasswordEnv != "" && !validEnvName(s.PasswordEnv) {
		// The value is not echoed: it may well be the password itself,
		// pasted here or expanded from ${...}.
		p.add("smtp.password_env", "must be the name of an environment variable (letters, digits and underscores), not the password itself")
	}
	if s.Username != "" && s.TLS == TLSNone && s.Host != "" && !isLoopback(s.Host) {
		p.add("smtp.tls", "tls none would send the password unencrypted to %s: use starttls or tls", s.Host)
	}
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Password reads the SMTP password from the environment variable named by
// PasswordEnv, with lookup (os.LookupEnv when nil). Without a username there
// is no password to read. A missing or empty variable is an error naming it.
func (s *SMTP) Password(lookup func(string) (string, bool)) (string, error) {
	if s.PasswordEnv == "" {
		return "", nil
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	pw, ok := lookup(s.PasswordEnv)
	if !ok || pw == "" {
		return "", fmt.Errorf("smtp.password_env: environment variable %s is not set: it must hold the password of %s on %s",
			s.PasswordEnv, s.Username, s.Host)
	}
	return pw, nil
}
