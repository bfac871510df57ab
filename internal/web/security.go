package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"unicode"
)

// TokenEnv names the environment variable that holds the console's access
// token. It is read from the environment only, never from feeds.yaml: the
// config file is shared, copied and committed, the token must not be.
const TokenEnv = "CIVICWATCH_CONSOLE_TOKEN"

// minTokenLen keeps a guessable token from passing for protection.
const minTokenLen = 16

// ErrNoToken is returned (wrapped) by CheckListen for an address other
// machines can reach when no token guards it.
var ErrNoToken = errors.New("no access token")

// CheckListen decides whether the console may listen on addr. Loopback
// needs nothing, since only this machine can connect; any other address
// (":8080" and "0.0.0.0:8080" included) needs a token, because the console
// shows the whole archive and can rewrite feeds.yaml. A token that is set
// must be long enough to be worth having, and free of spaces and control
// characters, wherever the console listens.
func CheckListen(addr, token string) error {
	if strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		// Sixteen spaces are sixteen characters and no secret, and a
		// Bearer header loses leading and trailing spaces on the way.
		return fmt.Errorf("%s holds spaces or control characters: use at least %d random characters without them (e.g. openssl rand -hex 32)",
			TokenEnv, minTokenLen)
	}
	if token != "" && len(token) < minTokenLen {
		return fmt.Errorf("%s is set but only %d characters long: use at least %d random characters (e.g. openssl rand -hex 32)",
			TokenEnv, len(token), minTokenLen)
	}
	if token != "" || IsLoopback(addr) {
		return nil
	}
	return fmt.Errorf("%w: refusing to serve the console on %s, which other machines can reach, without an access token; "+
		"set %s to a random secret of at least %d characters (e.g. %s=$(openssl rand -hex 32)) "+
		"and log in with it (HTTP Basic password, or Authorization: Bearer), or listen on 127.0.0.1",
		ErrNoToken, addr, TokenEnv, minTokenLen, TokenEnv)
}

// IsLoopback reports whether a listen address binds only the loopback
// interface. An empty host binds every interface, so it is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// auth holds the token as a hash, so that comparing takes the same time
// whatever the length of the guess.
type auth struct {
	sum *[sha256.Size]byte // nil: no token, every request is let in
}

func newAuth(token string) auth {
	if token == "" {
		return auth{}
	}
	sum := sha256.Sum256([]byte(token))
	return auth{sum: &sum}
}

// ok accepts "Authorization: Bearer <token>" (scripts, feed readers that
// can set headers) and HTTP Basic with the token as password and any user
// name (browsers, which then remember it for the session).
func (a auth) ok(r *http.Request) bool {
	if a.sum == nil {
		return true
	}
	var got string
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		got = strings.TrimSpace(h[7:])
	} else if _, pass, ok := r.BasicAuth(); ok {
		got = pass
	} else {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], a.sum[:]) == 1
}

func (a auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.ok(r) {
			// Basic first: it is the challenge a browser answers with
			// its login prompt.
			w.Header().Add("WWW-Authenticate", `Basic realm="civicwatch console", charset="UTF-8"`)
			w.Header().Add("WWW-Authenticate", `Bearer realm="civicwatch console"`)
			http.Error(w, "401 unauthorized: this console needs the access token ("+TokenEnv+") as the password, or as Authorization: Bearer", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// contentPolicy allows the console's own stylesheet and script and nothing
// else: no inline script or style, so text a feed smuggled past escaping
// still could not run, and no framing, so no clickjacking of the forms.
const contentPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the headers every response carries, errors included.
// A handler may replace the policy (the digest's HTML part has its own).
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// csrf guards every request that writes. http.CrossOriginProtection turns
// away what a browser marks as cross-origin (Sec-Fetch-Site, or an Origin
// that is not this host); the form token covers what it lets through by
// design, requests carrying neither header, such as a browser too old to
// send them. The token is per process: the console has one operator
// identity (the access token), so per-session tokens would add state and
// no protection; a restart makes open forms stale, and the 403 says so.
type csrf struct {
	token string
	cop   *http.CrossOriginProtection
}

// formField is the hidden input every writing form carries.
const formField = "csrf"

func newCSRF() (*csrf, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("csrf token: %w", err)
	}
	c := &csrf{token: hex.EncodeToString(b), cop: http.NewCrossOriginProtection()}
	c.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "403 forbidden: cross-origin request refused", http.StatusForbidden)
	}))
	return c, nil
}

// maxFormBytes bounds a posted form: the longest is a rule.
const maxFormBytes = 1 << 20

func (c *csrf) protect(next http.Handler) http.Handler {
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			// Say what went wrong: a form over the cap read as one
			// without its token would send the operator reloading a
			// page that is fine.
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				http.Error(w, fmt.Sprintf("413 request entity too large: the form is over %d KiB; a rule that long is a mistake, shorten it", maxFormBytes>>10),
					http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "400 bad request: the form could not be read", http.StatusBadRequest)
			return
		}
		got := r.PostFormValue(formField)
		if subtle.ConstantTimeCompare([]byte(got), []byte(c.token)) != 1 {
			http.Error(w, "403 forbidden: the form's token is missing or stale; reload the page and submit again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
	return c.cop.Handler(check)
}
